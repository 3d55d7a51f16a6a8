# report.py: results/latest.md, latest.png and the CSVs, from the raw data
"""The report half of bench/lib/driver.py (driver.py CONF report)."""

import csv
import json
import os
import shutil
import subprocess
import sys

from driver import VARIANTS, pct, summarize

# The targets of the issue, checked here (never as a timed test).
FCGI_MAX = 1.0          # FastCGI deploy median / floor median
CGI_MAX = 2.5           # CGI deploy median / floor median
CGI_REFUSED_CPU_MS = 2.0
FCGI_REFUSED_RPS = 10000
SCALE_MAX = 1.1         # median with many services / with one
# "Flat": what one process may gain from the first to the last tenth of
# the run: malloc's arenas and the page cache round to pages, a leak of a
# few bytes per request shows as hundreds of kB over 90,000 requests.
FLAT_KB = 64


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def read_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def fmt(x, nd=1):
    if x is None or x != x:
        return "–"
    return "%.*f" % (nd, x)


def verdict(ok, how, margin=None):
    """PASS/MISS; within 10% of the threshold it is called marginal: runs
    on a shared machine move that much."""
    note = ""
    if margin is not None and abs(margin) < 0.10:
        note = "; marginal: within run-to-run spread"
    return ("**PASS**" if ok else "**MISS**") + " (" + how + note + ")"


def summarize_deploys(rows):
    by = {}
    for r in rows:
        by.setdefault(r["variant"], []).append(r)
    out = {}
    for v, rs in by.items():
        good = [r for r in rs if r["ok"] == "1" and r["changed"] == "1"]
        wall = [float(r["wall_ms"]) for r in good]
        cpu = {k: [float(r[k]) for r in good] for k in
               ("client_cpu_ms", "nginx_cpu_ms", "app_cpu_ms",
                "docker_cpu_ms")}
        tot = [float(r["client_cpu_ms"]) + float(r["nginx_cpu_ms"]) +
               float(r["app_cpu_ms"]) for r in good]
        out[v] = {"n": len(rs), "good": len(good), "wall": summarize(wall),
                  "cpu_total": summarize(tot),
                  "cpu": {k: summarize(x) for k, x in cpu.items()},
                  "maxrss": max([int(r["client_maxrss_kb"]) for r in good]
                                or [0])}
    return out


def main(conf, args):
    raw = conf["raw"]
    outdir = conf["out"]
    os.makedirs(outdir, exist_ok=True)
    meta = read_json(os.path.join(raw, "meta.json")) or {}
    deploys = summarize_deploys(read_csv(os.path.join(raw, "deploys.csv")))
    scale_rows = read_csv(os.path.join(raw, "scale.csv"))
    scale_info = read_json(os.path.join(raw, "scale.json"))
    cgi = read_json(os.path.join(raw, "cgi-direct.json"))
    wrk = {n: read_json(os.path.join(raw, "wrk-%s.json" % n))
           for n in ("ceiling", "fcgi", "cgi")}
    mem = read_csv(os.path.join(raw, "memtest.csv"))
    meminfo = read_json(os.path.join(raw, "memtest.json"))
    procmem = read_json(os.path.join(raw, "procmem-end.json")) or {}
    hf = read_json(os.path.join(raw, "hyperfine-cgi.json"))

    floor = deploys.get("floor-curl", {}).get("wall", {}).get("median")
    strict = deploys.get("floor-keepalive", {}).get("wall", {}).get("median")

    def ratio(v, ref=None):
        ref = floor if ref is None else ref
        m = deploys.get(v, {}).get("wall", {}).get("median")
        return m / ref if m is not None and ref else None

    # ---- targets
    targets = []
    r = ratio("fcgi")
    targets.append(("FastCGI deploy median ≤ %.1f× the floor, through nginx"
                    % FCGI_MAX,
                    "%s ms vs %s ms = %s×" % (
                        fmt(deploys.get("fcgi", {}).get("wall", {})
                            .get("median")), fmt(floor), fmt(r, 2)),
                    verdict(r is not None and r <= FCGI_MAX,
                            "%+.0f%% against the target" %
                            ((r / FCGI_MAX - 1) * 100) if r else "no data",
                            r / FCGI_MAX - 1 if r else None)))
    r = ratio("cgi")
    targets.append(("CGI deploy median ≤ %.1f× the floor" % CGI_MAX,
                    "%s ms vs %s ms = %s×" % (
                        fmt(deploys.get("cgi", {}).get("wall", {})
                            .get("median")), fmt(floor), fmt(r, 2)),
                    verdict(r is not None and r <= CGI_MAX,
                            "%+.0f%% against the target" %
                            ((r / CGI_MAX - 1) * 100) if r else "no data",
                            r / CGI_MAX - 1 if r else None)))
    c = (cgi or {}).get("perf") or {}
    cms = c.get("task_clock_ms")
    if cms is None and cgi:
        cms = cgi["refused_cpu_wait4_ms"]["median"]
    targets.append(("CGI: ≤ %.0f ms CPU per refused request" %
                    CGI_REFUSED_CPU_MS,
                    "%s ms (deployer process, %s)" % (
                        fmt(cms, 2), "perf stat task-clock" if c else
                        "wait4 rusage"),
                    verdict(cms is not None and cms <= CGI_REFUSED_CPU_MS,
                            "%+.0f%% against the target" %
                            ((cms / CGI_REFUSED_CPU_MS - 1) * 100)
                            if cms else "no data",
                            cms / CGI_REFUSED_CPU_MS - 1 if cms else None)))
    w = wrk.get("fcgi") or {}
    rps = w.get("rps")
    targets.append(("FastCGI: ≥ %d refused requests/s through nginx" %
                    FCGI_REFUSED_RPS, "%s req/s" % fmt(rps, 0),
                    verdict(rps is not None and rps >= FCGI_REFUSED_RPS,
                            "%+.0f%% against the target" %
                            ((rps / FCGI_REFUSED_RPS - 1) * 100)
                            if rps else "no data",
                            rps / FCGI_REFUSED_RPS - 1 if rps else None)))
    if mem:
        first = mem[1] if len(mem) > 2 else mem[0]
        last = mem[-1]
        growth = int(last["RssAnon"]) - int(first["RssAnon"])
        targets.append((
            "One FastCGI process: memory flat across %s requests" %
            format(int(last["requests"]), ","),
            "RssAnon %s kB after %s, %s kB after %s (%+d kB); VmRSS %s → "
            "%s kB" % (first["RssAnon"], format(int(first["requests"]), ","),
                       last["RssAnon"], format(int(last["requests"]), ","),
                       growth, mem[0]["VmRSS"], last["VmRSS"]),
            verdict(growth <= FLAT_KB, "flat = at most %d kB growth after "
                    "the first tenth" % FLAT_KB)))
    sc = {}
    scd = {}
    for row in scale_rows:
        if row["ok"] == "1" and row["changed"] == "1":
            sc.setdefault((row["phase"], row["variant"]), []).append(
                float(row["wall_ms"]))
            scd.setdefault((row["phase"], row["variant"]), []).append(
                float(row["docker_cpu_ms"]))
    phases = sorted({p for p, _ in sc}, key=lambda p: int(p.split("=")[1]))
    if len(phases) == 2:
        a = pct(sc.get((phases[0], "fcgi"), []), 50)
        b = pct(sc.get((phases[1], "fcgi"), []), 50)
        r = b / a if a else None
        targets.append((
            "%s services: deploy latency ≤ %.1f× that with %s" % (
                phases[1].split("=")[1], SCALE_MAX,
                phases[0].split("=")[1]),
            "FastCGI median %s ms vs %s ms = %s×" % (fmt(b), fmt(a),
                                                      fmt(r, 2)),
            verdict(r is not None and r <= SCALE_MAX,
                    "%+.0f%% against the target" % ((r / SCALE_MAX - 1) * 100)
                    if r else "no data", r / SCALE_MAX - 1 if r else None)))

    # ---- Markdown
    L = []
    L.append("# deployer benchmark: %s" % meta.get("date", ""))
    L.append("")
    L.append("`bench/run.sh` on a loopback Docker Swarm (tests/stack.sh): "
             "one run, every variant interleaved round by round in random "
             "order.  Latency is the wall time of one deploy as the client "
             "sees it; CPU is kernel accounting (wait4 for clients, cgroup "
             "CPU time for the servers).  See bench/README.")
    L.append("")
    L.append("## Machine")
    L.append("")
    L.append("| | |")
    L.append("|---|---|")
    for k in ("cpu", "cores", "memory", "kernel", "os", "docker", "api",
              "docker_cli", "nginx", "libcurl", "fcgiwrap", "spawn_fcgi",
              "webhook", "wrk", "perf", "deployer", "build", "configs",
              "cgroups", "nice", "load_start", "load_end", "duration",
              "params"):
        if k in meta:
            L.append("| %s | %s |" % (k.replace("_", " "), meta[k]))
    L.append("")
    L.append("## Targets")
    L.append("")
    L.append("| target | measured | verdict |")
    L.append("|---|---|---|")
    for t in targets:
        L.append("| %s | %s | %s |" % t)
    L.append("")
    why = analysis(conf, cgi, wrk, meminfo)
    if why:
        L.append("## Why, where a target is close or missed")
        L.append("")
        L.extend("- " + w for w in why)
        L.append("")
    L.append("## Deploys: latency and CPU per deploy")
    L.append("")
    L.append("Each deploy changes the service's image (v1 → v2 → v3 → v1, "
             "pinned to the registry's digest; checked after every deploy); "
             "services have 0 replicas, so nothing waits for a rollout.  "
             "×floor is against the 3-curl floor, ×strict against the "
             "keep-alive floor.  CPU is everything but dockerd and the "
             "registry (client + nginx + server program), ms per deploy, "
             "median; dockerd+registry is shown apart.")
    L.append("")
    L.append("| variant | n ok | median ms | p10 | p90 | IQR | ×floor | "
             "×strict | CPU ms (client+nginx+app) | dockerd+registry CPU ms "
             "| client max RSS kB |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for v in conf["variants"]:
        d = deploys.get(v)
        if not d:
            continue
        w_ = d["wall"]
        cp = d["cpu"]
        L.append("| %s | %d/%d | %s | %s | %s | %s | %s | %s | %s "
                 "(%s + %s + %s) | %s | %s |" % (
                     VARIANTS[v][0], d["good"], d["n"], fmt(w_["median"]),
                     fmt(w_["p10"]), fmt(w_["p90"]),
                     fmt(w_["p75"] - w_["p25"]), fmt(ratio(v), 2),
                     fmt(ratio(v, strict), 2), fmt(d["cpu_total"]["median"]),
                     fmt(cp["client_cpu_ms"]["median"]),
                     fmt(cp["nginx_cpu_ms"]["median"]),
                     fmt(cp["app_cpu_ms"]["median"]),
                     fmt(cp["docker_cpu_ms"]["median"]),
                     d["maxrss"] or "–"))
    L.append("")
    if phases:
        L.append("## 1 service vs many")
        L.append("")
        if scale_info:
            L.append("Services in the swarm: %d or %d, in %d alternating "
                     "blocks (the fillers, 0 replicas, are created over the "
                     "API in at most %.1f s, %d errors, and removed again "
                     "between blocks); dockerd RSS %d kB → %d kB; GET "
                     "/services with all of them: %.0f ms, %d kB." % (
                         scale_info["services_small"],
                         scale_info["services_large"],
                         scale_info.get("blocks", 2),
                         scale_info["create_s"],
                         scale_info["create_errors"],
                         scale_info["dockerd_before"]["VmRSS"],
                         scale_info["dockerd_after"]["VmRSS"],
                         scale_info["list_services_ms"],
                         scale_info["list_services_bytes"] // 1024))
            L.append("")
        L.append("| variant | %s median (p10–p90) ms | %s median (p10–p90) "
                 "ms | ratio | dockerd+registry CPU ms per deploy |" % (
                     phases[0], phases[-1]))
        L.append("|---|---|---|---|---|")
        for v in conf["scale_variants"]:
            a = sc.get((phases[0], v), [])
            b = sc.get((phases[-1], v), [])
            L.append("| %s | %s (%s–%s) | %s (%s–%s) | %s | %s → %s |" % (
                VARIANTS[v][0], fmt(pct(a, 50)), fmt(pct(a, 10)),
                fmt(pct(a, 90)), fmt(pct(b, 50)), fmt(pct(b, 10)),
                fmt(pct(b, 90)),
                fmt(pct(b, 50) / pct(a, 50), 2) if a and b else "–",
                fmt(pct(scd.get((phases[0], v), []), 50)),
                fmt(pct(scd.get((phases[-1], v), []), 50))))
        L.append("")
    L.append("## Refused requests (wrong token)")
    L.append("")
    L.append("wrk -t1 -c%d -d%ds, PUT with a wrong token, through nginx "
             "(TLS, keep-alive client connections); CPU per request from "
             "the servers' cgroups." % (conf["wrk_connections"],
                                        conf["wrk_seconds"]))
    L.append("")
    L.append("| path | req/s | p50 ms | p99 ms | non-2xx / total | nginx CPU "
             "µs/req | program CPU µs/req |")
    L.append("|---|---|---|---|---|---|---|")
    labels = {"ceiling": "nginx alone (`return 401`, no program)",
              "fcgi": "nginx → deployer FastCGI",
              "cgi": "nginx → fcgiwrap → deployer CGI"}
    for n in ("ceiling", "fcgi", "cgi"):
        w_ = wrk.get(n)
        if not w_:
            continue
        L.append("| %s | %s | %s | %s | %d / %d | %s | %s |" % (
            labels[n], fmt(w_["rps"], 0), fmt(w_["latency_ms"].get("p50"), 2),
            fmt(w_["latency_ms"].get("p99"), 2), w_["non2xx"],
            w_["requests"], fmt(w_["nginx_cpu_us_per_req"], 0),
            fmt(w_["app_cpu_us_per_req"], 0)))
    if meminfo:
        L.append("| deployer FastCGI alone (fcgi-load -c 4, no nginx, the "
                 "memory run's mix) | %s | | | | | |" % fmt(meminfo["rps"], 0))
    L.append("")
    if cgi:
        p = cgi.get("perf") or {}
        pv = cgi.get("perf_version") or {}
        pt = cgi.get("perf_true") or {}
        ld = cgi.get("ld_statistics") or {}
        L.append("CPU of one refused CGI request, the deployer process "
                 "alone (perf stat task-clock, %d runs in 5 batches "
                 "interleaved with the references, median batch; batches: "
                 "%s ms): **%s ms** (±%s%%), "
                 "%s page faults.  For scale: `deployer --version` (exec and "
                 "dynamic linking only) %s ms; `/bin/true` %s ms.  "
                 "wait4 rusage over 50 runs: median %s ms.  Dynamic loader "
                 "(LD_DEBUG=statistics): %s cycles at start-up, %s in "
                 "relocation, %s relocations + %s relative.  Linked: %s." % (
                     conf["cgi_perf_runs"], ", ".join(
                         fmt(x, 2) for x in p.get("batches", [])),
                     fmt(p.get("task_clock_ms"), 2),
                     fmt(p.get("task_clock_rsd_pct"), 1),
                     fmt(p.get("page_faults"), 0),
                     fmt(pv.get("task_clock_ms"), 2),
                     fmt(pt.get("task_clock_ms"), 2),
                     fmt(cgi["refused_cpu_wait4_ms"]["median"], 2),
                     format(ld.get("startup_cycles") or 0, ","),
                     format(ld.get("relocation_cycles") or 0, ","),
                     ld.get("relocations"), ld.get("relative_relocations"),
                     ", ".join(os.path.basename(x) for x in cgi["ldd"]
                               if not x.startswith("linux-vdso"))))
        if hf:
            for r_ in hf["results"]:
                L.append("")
                L.append("hyperfine, `%s` as a refused CGI request: mean %.2f "
                         "ms ± %.2f (user %.2f ms, system %.2f ms), median "
                         "%.2f ms." % (
                             r_["command"].replace(conf["deployer"],
                                                   "deployer"),
                             r_["mean"] * 1e3, r_["stddev"] * 1e3,
                             r_["user"] * 1e3, r_["system"] * 1e3,
                             r_["median"] * 1e3))
        L.append("")
    L.append("## Memory")
    L.append("")
    L.append("| process | peak RSS (max RSS / VmHWM) kB |")
    L.append("|---|---|")
    if cgi:
        L.append("| deployer CGI, refused request | %d |" %
                 cgi["refused_maxrss_kb"])
        L.append("| deployer CGI, deploy (libcurl loaded) | %d |" %
                 cgi["deploy_maxrss_kb"])
    for name, label in (("fcgi", "deployer FastCGI process, end of run"),
                        ("fcgiwrap", "fcgiwrap"),
                        ("nginx", "nginx (master, workers)"),
                        ("webhook", "webhook daemon")):
        ps = procmem.get(name) or []
        if ps:
            L.append("| %s | %s |" % (label, ", ".join(
                str(p["VmHWM"]) for p in ps)))
    for v, label in (("cli", "docker CLI, per deploy"),
                     ("floor-curl", "floor script (bash, curl, jq), "
                                    "largest process"),
                     ("webhook", "curl client of webhook")):
        d = deploys.get(v)
        if d and d["maxrss"]:
            L.append("| %s | %d |" % (label, d["maxrss"]))
    L.append("")
    if mem:
        L.append("One FastCGI process across %s requests (fcgi-load, straight "
                 "to its socket: 40%% wrong token, 20%% no token, 10%% "
                 "unknown path, 10%% wrong method, 19%% invalid body or name, "
                 "1%% status GET that asks Docker), sampled every tenth:" %
                 format(int(mem[-1]["requests"]), ","))
        L.append("")
        L.append("| requests | VmRSS kB | RssAnon kB | VmHWM kB |")
        L.append("|---|---|---|---|")
        for m in mem:
            L.append("| %s | %s | %s | %s |" % (
                format(int(m["requests"]), ","), m["VmRSS"], m["RssAnon"],
                m["VmHWM"]))
        L.append("")
    L.append("![chart](%s)" % "latest.png")
    L.append("")
    md = "\n".join(L) + "\n"

    # ---- files
    with open(os.path.join(outdir, "latest.md"), "w") as f:
        f.write(md)
    with open(os.path.join(outdir, "latest-summary.csv"), "w",
              newline="") as f:
        w_ = csv.writer(f)
        w_.writerow(["variant", "n_ok", "median_ms", "p10_ms", "p25_ms",
                     "p75_ms", "p90_ms", "ratio_floor", "ratio_strict",
                     "cpu_total_ms", "client_cpu_ms", "nginx_cpu_ms",
                     "app_cpu_ms", "docker_cpu_ms"])
        for v in conf["variants"]:
            d = deploys.get(v)
            if not d:
                continue
            s = d["wall"]
            w_.writerow([v, d["good"], round(s["median"], 3),
                         round(s["p10"], 3), round(s["p25"], 3),
                         round(s["p75"], 3), round(s["p90"], 3),
                         round(ratio(v), 3) if ratio(v) else "",
                         round(ratio(v, strict), 3) if ratio(v, strict)
                         else "", round(d["cpu_total"]["median"], 3)] +
                        [round(d["cpu"][k]["median"], 3) for k in
                         ("client_cpu_ms", "nginx_cpu_ms", "app_cpu_ms",
                          "docker_cpu_ms")])
    for name in ("deploys.csv", "scale.csv", "memtest.csv"):
        src = os.path.join(raw, name)
        if os.path.exists(src):
            shutil.copy(src, os.path.join(outdir, "latest-" + name))
    bundle = {"meta": meta, "targets": targets, "scale": scale_info,
              "cgi_direct": cgi, "wrk": wrk, "memtest": meminfo,
              "procmem": procmem, "hyperfine": hf}
    for w_ in bundle["wrk"].values():
        if w_:
            w_.pop("wrk_output", None)
    # The numbers behind the report stay beside the raw data (not kept in
    # the repository: results/ holds the report, its chart and the CSVs).
    with open(os.path.join(raw, "summary.json"), "w") as f:
        json.dump(bundle, f, indent=1)
    chart(conf, deploys, sc, phases, mem, outdir)

    # ---- terminal
    print()
    print("deploy latency, median (p10-p90) ms, ratio to the floor "
          "(%s ms) and to the strict floor (%s ms):" % (fmt(floor),
                                                         fmt(strict)))
    for v in conf["variants"]:
        d = deploys.get(v)
        if d:
            print("  %-48s %7s (%s-%s)  %5s×  %5s×  CPU %s ms" % (
                VARIANTS[v][0], fmt(d["wall"]["median"]),
                fmt(d["wall"]["p10"]), fmt(d["wall"]["p90"]),
                fmt(ratio(v), 2), fmt(ratio(v, strict), 2),
                fmt(d["cpu_total"]["median"])))
    print()
    print("targets:")
    for t in targets:
        print("  %-58s %s" % (t[0], t[2].replace("**", "")))
        print("  %-58s %s" % ("", t[1]))
    print()
    print("written: %s/latest.md, latest.png, latest-*.csv" % outdir)


def analysis(conf, cgi, wrk, meminfo):
    """Facts from this run that explain the two throughput/CPU targets."""
    out = []
    p = (cgi or {}).get("perf") or {}
    pv = (cgi or {}).get("perf_version") or {}
    pt = (cgi or {}).get("perf_true") or {}
    if p.get("task_clock_ms") and pv.get("task_clock_ms") and \
            pt.get("task_clock_ms"):
        crypto = any("libcrypto" in x for x in cgi.get("ldd", []))
        out.append(
            "Refused CGI request, %.2f ms of CPU: exec %.2f ms (/bin/true), "
            "dynamic linking of the program %.2f ms (`--version` minus "
            "that; %s relocations), the request itself %.2f ms (config, "
            "token check, answer)%s." % (
                p["task_clock_ms"], pt["task_clock_ms"],
                pv["task_clock_ms"] - pt["task_clock_ms"],
                cgi["ld_statistics"].get("relocations"),
                p["task_clock_ms"] - pv["task_clock_ms"],
                ": libcrypto is linked (for SHA-256 and HMAC), and mapping "
                "and relocating it is most of the linking time"
                if crypto else ""))
    w = wrk.get("fcgi") or {}
    c = wrk.get("ceiling") or {}
    if w.get("rps") and c.get("rps"):
        detach = (cgi or {}).get("fcgx_detach")
        out.append(
            "Refused FastCGI requests through nginx: %.0f/s.  Per request "
            "nginx spends %.0f µs (%.0f µs when it answers 401 itself, "
            "%.0f/s), the deployer %.0f µs%s; with wrk on the same 2 CPUs "
            "(and whatever else runs there: load %s at the start) that "
            "bounds the rate.  %s" % (
                w["rps"], w["nginx_cpu_us_per_req"],
                c["nginx_cpu_us_per_req"], c["rps"],
                w["app_cpu_us_per_req"] or 0,
                " (alone, over its socket: %.0f/s)" % meminfo["rps"]
                if meminfo else "",
                (read_json(os.path.join(conf["raw"], "meta.json")) or {})
                .get("load_start", "?"),
                "This build closes each connection at once." if detach
                else "libfcgi closes each connection by shutdown() and a "
                "wait (poll, up to 2 s) for nginx to close first: the one "
                "process idles through that round trip on every request "
                "(closed at once since 9010979)." if detach is not None
                else ""))
    return out


def chart(conf, deploys, sc, phases, mem, outdir):
    gp = shutil.which("gnuplot")
    if not gp:
        return
    d = os.path.join(conf["raw"], "plot")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "lat.dat"), "w") as f:
        for i, v in enumerate(conf["variants"]):
            x = deploys.get(v)
            if x:
                s = x["wall"]
                f.write('%d "%s" %f %f %f %f %f\n' % (
                    i, v, s["median"], s["p10"], s["p90"], s["p25"],
                    s["p75"]))
    with open(os.path.join(d, "cpu.dat"), "w") as f:
        for i, v in enumerate(conf["variants"]):
            x = deploys.get(v)
            if x:
                c = x["cpu"]
                f.write('%d "%s" %f %f %f %f\n' % (
                    i, v, c["client_cpu_ms"]["median"],
                    c["nginx_cpu_ms"]["median"], c["app_cpu_ms"]["median"],
                    c["docker_cpu_ms"]["median"]))
    with open(os.path.join(d, "mem.dat"), "w") as f:
        for m in mem:
            f.write("%s %s %s\n" % (m["requests"], m["VmRSS"], m["RssAnon"]))
    with open(os.path.join(d, "scale.dat"), "w") as f:
        for i, v in enumerate(conf["scale_variants"]):
            vals = []
            for p in phases:
                a = sc.get((p, v), [])
                vals += [pct(a, 50), pct(a, 10), pct(a, 90)]
            if len(vals) == 6:
                f.write('%d "%s" %s\n' % (i, v, " ".join(
                    "%f" % x for x in vals)))
    n1 = phases[0].split("=")[1] if phases else "1"
    n2 = phases[-1].split("=")[1] if phases else "many"
    nv = len(conf["variants"])
    ns = len(conf["scale_variants"])
    script = """
set terminal pngcairo size 1500,1050 font "sans,10"
set output "{out}"
set multiplot layout 2,2 title "deployer benchmark ({date})"
set style fill solid 0.6 border -1
set grid ytics
set xtics rotate by -30 left
set key top right
set title "Deploy latency: median, box p25-p75, whiskers p10-p90 (ms)"
set boxwidth 0.6
set xrange [-0.6:{nv}-0.4]
set yrange [0:*]
plot "{d}/lat.dat" using 1:6:4:5:7:xticlabels(2) with candlesticks whiskerbars lc rgb "#4477aa" notitle, \\
     "{d}/lat.dat" using 1:3:3:3:3 with candlesticks lw 2 lc rgb "black" notitle
set title "CPU per deploy, medians (ms)"
set xrange [*:*]
set style histogram rowstacked
set style data histograms
plot "{d}/cpu.dat" using 3:xticlabels(2) title "client", "" using 4 title "nginx", "" using 5 title "server program", "" using 6 title "dockerd + registry"
set style data points
set title "One FastCGI process: RSS across requests (kB)"
set xtics norotate
set xlabel "requests"
set yrange [0:*]
set format x "%.0s%c"
plot "{d}/mem.dat" using 1:2 with linespoints title "VmRSS", "" using 1:3 with linespoints title "RssAnon"
unset xlabel
set format x "%g"
set title "Deploy latency with {n1} vs {n2} services: median, whiskers p10-p90 (ms)"
set xtics rotate by -30 left
set boxwidth 0.35
set xrange [-0.6:{ns}-0.4]
set yrange [0:*]
plot "{d}/scale.dat" using ($1-0.18):3:xticlabels(2) with boxes lc rgb "#66ccee" title "{n1} services", \\
     "{d}/scale.dat" using ($1-0.18):3:4:5 with yerrorbars lc rgb "black" pt 0 notitle, \\
     "{d}/scale.dat" using ($1+0.18):6 with boxes lc rgb "#ee6677" title "{n2} services", \\
     "{d}/scale.dat" using ($1+0.18):6:7:8 with yerrorbars lc rgb "black" pt 0 notitle
unset multiplot
""".format(out=os.path.join(outdir, "latest.png"), d=d, n1=n1, n2=n2,
           nv=nv, ns=ns,
           date=(read_json(os.path.join(conf["raw"], "meta.json")) or {})
           .get("date", ""))
    with open(os.path.join(d, "chart.gp"), "w") as f:
        f.write(script)
    p = subprocess.run([gp, os.path.join(d, "chart.gp")], capture_output=True,
                       text=True)
    if p.returncode != 0:
        print("gnuplot failed: " + p.stderr[-1000:], file=sys.stderr)
