#!/usr/bin/python3
# driver.py: the measuring half of bench/run.sh
#
#   driver.py CONF deploys       deploy latency and CPU, every variant
#   driver.py CONF scale         one service, then many: deploy latency
#   driver.py CONF cgi-direct    peak RSS of CGI runs; CPU of a refused one
#   driver.py CONF wrk NAME URL  refused requests per second through nginx
#   driver.py CONF memtest       one FastCGI process across many requests
#   driver.py CONF report        results/latest.md, latest.png, CSVs
#
# CONF is the JSON file run.sh writes (paths, ports, token, services,
# images, cgroups, parameters).  Everything is measured from outside the
# programs: wall time around each client, CPU from the kernel (wait4 for
# the processes started here, cgroup CPU accounting for the servers), RSS
# from /proc.  Only the Python standard library is used.
"""Measurements for bench/run.sh; see the comment at the top."""

import csv
import http.client
import json
import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time

CONF = {}


def load_conf(path):
    with open(path) as f:
        CONF.update(json.load(f))


def out_path(name):
    return os.path.join(CONF["raw"], name)


# ------------------------------------------------------------- statistics

def pct(values, p):
    """Percentile p (0-100) with linear interpolation, as numpy's default."""
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def summarize(values):
    if not values:
        return {k: None for k in ("median", "p10", "p25", "p75", "p90",
                                  "mean")} | {"n": 0}
    return {
        "n": len(values),
        "median": pct(values, 50),
        "p10": pct(values, 10),
        "p25": pct(values, 25),
        "p75": pct(values, 75),
        "p90": pct(values, 90),
        "mean": sum(values) / len(values) if values else float("nan"),
    }


# ------------------------------------------------------------- CPU counters

class Cgroups:
    """CPU time of the server processes, per group, in nanoseconds.

    run.sh starts each server inside a cgroup of its own (cgroup v2
    cpu.stat or v1 cpuacct.usage); without cgroups it lists the root pid
    of each server and the process trees are summed from /proc (10 ms
    ticks, so only totals over many requests mean anything)."""

    def __init__(self, spec):
        self.spec = spec    # name -> {"file": path} or {"pid": root}
        self.hz = os.sysconf("SC_CLK_TCK")

    def _tree(self, root):
        """utime+stime+cutime+cstime of root and all its descendants."""
        children = {}
        stats = {}
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    s = f.read()
            except OSError:
                continue
            rest = s[s.rindex(")") + 2:].split()
            ppid = int(rest[1])
            ticks = sum(int(x) for x in rest[11:15])
            children.setdefault(ppid, []).append(int(d))
            stats[int(d)] = ticks
        total, todo = 0, [root]
        while todo:
            p = todo.pop()
            total += stats.get(p, 0)
            todo.extend(children.get(p, []))
        return total * 1_000_000_000 // self.hz

    def read(self):
        r = {}
        for name, s in self.spec.items():
            if "file" in s:
                with open(s["file"]) as f:
                    txt = f.read()
                if s["file"].endswith("cpu.stat"):
                    m = re.search(r"^usage_usec (\d+)", txt, re.M)
                    r[name] = int(m.group(1)) * 1000
                else:
                    r[name] = int(txt.split()[0])
            else:
                r[name] = self._tree(s["pid"])
        return r


def delta(a, b):
    return {k: b[k] - a[k] for k in a}


# ------------------------------------------------------------- processes

def spawn(argv, stdout_path=None, env=None, stdin_path=None):
    """Runs argv; returns (wall_ns, cpu_ns, maxrss_kb, exit_code, stdout).

    Through runstat (lib/runstat.c), which times the command and reads its
    wait4 rusage: CPU and peak RSS of the command and of every descendant
    it waited for (a script's curl and jq), without the driver's own
    memory in ru_maxrss."""
    outp = stdout_path or out_path("spawn.out")
    stat = out_path("spawn.stat")
    fa = [
        (os.POSIX_SPAWN_OPEN, 0, stdin_path or "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, outp,
         os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, out_path("spawn.err"),
         os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644),
    ]
    rs = CONF["runstat"]
    pid = os.posix_spawn(rs, [rs, stat] + argv,
                         env if env is not None else os.environ,
                         file_actions=fa)
    _, status, _ = os.wait4(pid, 0)
    with open(stat) as f:
        wall, cpu, rss, code = (int(x) for x in f.read().split())
    with open(outp, "rb") as f:
        out = f.read()
    return wall, cpu, rss, code, out


# ------------------------------------------------------------- HTTP clients

class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Docker:
    """A keep-alive client of the Docker socket (also the strict floor)."""

    def __init__(self):
        self.c = UnixHTTPConnection(CONF["docker_sock"])
        self.v = "/v" + CONF["api_version"]

    def call(self, method, path, body=None):
        hdrs = {"Content-Type": "application/json"} if body is not None else {}
        for attempt in (0, 1):
            try:
                self.c.request(method, self.v + path, body, hdrs)
                r = self.c.getresponse()
                return r.status, r.read()
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError):
                self.c.close()
                if attempt:
                    raise

    def image_of(self, svc):
        st, b = self.call("GET", "/services/%s?insertDefaults=false" % svc)
        if st != 200:
            return None
        return json.loads(b)["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]

    def deploy(self, svc, image):
        """The floor: the deployer's three calls on one connection."""
        st, b = self.call("GET", "/distribution/%s/json" % image)
        if st != 200:
            return False
        d = json.loads(b)
        st, b = self.call("GET", "/services/%s?insertDefaults=false" % svc)
        if st != 200:
            return False
        s = json.loads(b)
        spec = s["Spec"]
        spec["TaskTemplate"]["ContainerSpec"]["Image"] = (
            image + "@" + d["Descriptor"]["digest"])
        spec["TaskTemplate"].setdefault("Placement", {})["Platforms"] = [
            {"Architecture": p["architecture"], "OS": p["os"]}
            for p in d.get("Platforms", [])]
        st, b = self.call(
            "POST", "/services/%s/update?version=%d&registryAuthFrom=spec"
            % (svc, s["Version"]["Index"]), json.dumps(spec))
        return st == 200


class Https:
    """A keep-alive HTTPS client of nginx (the strict client side)."""

    def __init__(self, port):
        self.ctx = ssl.create_default_context(cafile=CONF["ca"])
        self.port = port
        self.c = None

    def put(self, path, body):
        hdrs = {"Authorization": CONF["token"],
                "Content-Type": "application/json"}
        for attempt in (0, 1):
            if self.c is None:
                self.c = http.client.HTTPSConnection(
                    "127.0.0.1", self.port, context=self.ctx, timeout=60)
            try:
                self.c.request("PUT", path, body, hdrs)
                r = self.c.getresponse()
                return r.status, r.read()
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError, ssl.SSLError):
                self.c.close()
                self.c = None
                if attempt:
                    raise


# ------------------------------------------------------------- variants

# name: (label, kind, servers whose CPU counts, target service key)
VARIANTS = {
    "floor-curl": ("Docker API, 3 curl calls (floor)", "spawn", []),
    "floor-keepalive": ("Docker API, 1 keep-alive client (strict floor)",
                        "inproc", []),
    "floor-curl-nginx": ("Docker API, 3 curl calls via nginx", "spawn",
                         ["nginx"]),
    "cgi": ("deployer CGI (nginx + fcgiwrap)", "spawn", ["nginx", "cgi"]),
    "fcgi": ("deployer FastCGI (nginx + spawn-fcgi)", "spawn",
             ["nginx", "fcgi"]),
    "cli": ("docker service update --detach (CLI)", "spawn", []),
    "webhook": ("webhook + docker CLI (nginx proxy)", "spawn",
                ["nginx", "webhook"]),
    "cgi-keepalive": ("deployer CGI, keep-alive client", "inproc",
                      ["nginx", "cgi"]),
    "fcgi-keepalive": ("deployer FastCGI, keep-alive client", "inproc",
                       ["nginx", "fcgi"]),
}


class Runner:
    def __init__(self):
        self.docker = Docker()
        self.cg = Cgroups(CONF["cgroups"])
        self.https = {}
        self.images = CONF["images"]        # [{"ref", "digest"}]
        self.current = {}                    # service -> image index

    def next_image(self, svc):
        """The image after the one the service runs now (always a change)."""
        if svc not in self.current:
            img = self.docker.image_of(svc) or ""
            self.current[svc] = next(
                (i for i, m in enumerate(self.images)
                 if img.startswith(m["ref"] + "@") or img == m["ref"]), -1)
        i = (self.current[svc] + 1) % len(self.images)
        return i

    def curl_put(self, port, svc, image):
        return [CONF["curl"], "-sS", "-o", out_path("body.json"),
                "-w", "%{http_code}", "--cacert", CONF["ca"], "-X", "PUT",
                "-H", "Authorization: " + CONF["token"],
                "-H", "Content-Type: application/json",
                "--data-binary", json.dumps({"image": image}),
                "https://127.0.0.1:%d/deploy/service/%s" % (port, svc)]

    def run_one(self, name, svc, image):
        """One deploy: (wall_ns, client_cpu_ns, maxrss_kb, ok)."""
        p = CONF["ports"]
        api = "/v" + CONF["api_version"]
        if name == "floor-curl":
            argv = [CONF["bash"], CONF["floor_script"],
                    "http://localhost" + api, svc, image,
                    "--unix-socket", CONF["docker_sock"]]
        elif name == "floor-curl-nginx":
            argv = [CONF["bash"], CONF["floor_script"],
                    "https://127.0.0.1:%d%s" % (p["dockerproxy"], api), svc,
                    image, "--cacert", CONF["ca"]]
        elif name == "cgi":
            argv = self.curl_put(p["cgi"], svc, image)
        elif name == "fcgi":
            argv = self.curl_put(p["fcgi"], svc, image)
        elif name == "webhook":
            argv = self.curl_put(p["webhook"], svc, image)
        elif name == "cli":
            argv = [CONF["docker_cli"], "-H", "unix://" + CONF["docker_sock"],
                    "service", "update", "--detach", "--quiet", "--image",
                    image, svc]
        elif name == "floor-keepalive":
            c0 = time.process_time_ns()
            t0 = time.perf_counter_ns()
            ok = self.docker.deploy(svc, image)
            t1 = time.perf_counter_ns()
            return t1 - t0, time.process_time_ns() - c0, 0, ok
        elif name in ("cgi-keepalive", "fcgi-keepalive"):
            port = p[name.split("-")[0]]
            h = self.https.setdefault(name, Https(port))
            c0 = time.process_time_ns()
            t0 = time.perf_counter_ns()
            st, body = h.put("/deploy/service/" + svc,
                             json.dumps({"image": image}))
            t1 = time.perf_counter_ns()
            return t1 - t0, time.process_time_ns() - c0, 0, st == 200
        else:
            raise ValueError(name)
        env = dict(os.environ, DOCKER_CONFIG=CONF["docker_config"])
        wall, cpu, rss, code, out = spawn(argv, env=env)
        if argv[0] == CONF["curl"]:
            ok = code == 0 and out.strip() == b"200"
        else:
            ok = code == 0
        return wall, cpu, rss, ok

    def deploy(self, name, svc, rnd, phase, writer):
        i = self.next_image(svc)
        image = self.images[i]["ref"]
        before = self.cg.read()
        wall, ccpu, rss, ok = self.run_one(name, svc, image)
        after = self.cg.read()
        d = delta(before, after)
        got = self.docker.image_of(svc)
        want = image + "@" + self.images[i]["digest"]
        changed = got == want
        if changed:
            self.current[svc] = i
        else:
            self.current.pop(svc, None)    # ask Docker next time
        servers = VARIANTS[name][2]
        row = {
            "phase": phase, "round": rnd, "variant": name, "service": svc,
            "image": image, "ok": int(ok), "changed": int(changed),
            "wall_ms": wall / 1e6, "client_cpu_ms": ccpu / 1e6,
            "nginx_cpu_ms": d.get("nginx", 0) / 1e6
            if "nginx" in servers else 0.0,
            "app_cpu_ms": sum(d.get(s, 0) for s in servers
                              if s != "nginx") / 1e6,
            "docker_cpu_ms": d.get("docker", 0) / 1e6,
            "client_maxrss_kb": rss,
        }
        if writer is not None:
            writer.writerow(row)
        if not (ok and changed):
            log("  %s round %s: ok=%d changed=%d (%s)" %
                (name, rnd, ok, changed, got))
        return row


FIELDS = ["phase", "round", "variant", "service", "image", "ok", "changed",
          "wall_ms", "client_cpu_ms", "nginx_cpu_ms", "app_cpu_ms",
          "docker_cpu_ms", "client_maxrss_kb"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def rounds(runner, names, services, n, warm, phase, writer, seed):
    rng = random.Random(seed)
    t = time.time()
    for r in range(-warm, n):
        order = list(names)
        rng.shuffle(order)
        for name in order:
            runner.deploy(name, services[name], r, phase,
                          writer if r >= 0 else None)
        if r >= 0 and (r + 1) % max(1, n // 4) == 0:
            log("  %s: %d/%d rounds, %.0f s" % (phase, r + 1, n,
                                                 time.time() - t))


def cmd_deploys(args):
    names = CONF["variants"]
    runner = Runner()
    with open(out_path("deploys.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        rounds(runner, names, CONF["services"], CONF["deploys"],
               CONF["warmup"], "main", w, CONF["seed"])


def create_fillers(docker, count, prefix):
    """count services with 0 replicas, over 4 keep-alive connections."""
    import threading

    errors = []

    def work(k):
        d = Docker()
        for i in range(k, count, 4):
            spec = {"Name": "%s-%04d" % (prefix, i),
                    "Labels": {"bench": "filler"},
                    "TaskTemplate": {"ContainerSpec": {
                        "Image": CONF["images"][0]["ref"]}},
                    "Mode": {"Replicated": {"Replicas": 0}}}
            st, b = d.call("POST", "/services/create", json.dumps(spec))
            if st != 201:
                errors.append(b[:200])
    th = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in th:
        t.start()
    for t in th:
        t.join()
    return errors


def proc_status(pid):
    r = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "VmSize"):
                r[k] = int(v.split()[0])
    return r


def remove_fillers(docker, prefix):
    st, b = docker.call("GET", "/services")
    for s in json.loads(b):
        if s["Spec"]["Name"].startswith(prefix + "-"):
            docker.call("DELETE", "/services/" + s["ID"])


def count_services(docker):
    st, b = docker.call("GET", "/services")
    return len(json.loads(b))


def cmd_scale(args):
    """Deploys with one service in the swarm and with CONF fill_services,
    in alternating blocks (1, N, 1, N, ...): the fillers are created and
    removed between blocks, so that drift and bursts of load elsewhere
    fall on both sides alike."""
    runner = Runner()
    d = runner.docker
    keep = CONF["scale_service"]
    st, b = d.call("GET", "/services")
    for s in json.loads(b):
        if s["Spec"]["Name"] != keep:
            d.call("DELETE", "/services/" + s["ID"])
    n1 = count_services(d)
    names = CONF["scale_variants"]
    services = {v: keep for v in names}
    dpid = CONF["dockerd_pid"]
    blocks = CONF.get("scale_blocks", 4)
    per = max(CONF["scale_deploys"] // (blocks // 2), 1)
    info = {"services_small": n1, "blocks": blocks, "create_s": [],
            "remove_s": [], "create_errors": 0}
    time.sleep(1)
    with open(out_path("scale.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        for blk in range(blocks):
            if blk % 2 == 0:
                if blk > 0:
                    t = time.time()
                    remove_fillers(d, "filler")
                    info["remove_s"].append(time.time() - t)
                    time.sleep(2)
                n = count_services(d)
                info.setdefault("dockerd_small", proc_status(dpid))
            else:
                t = time.time()
                errors = create_fillers(d, CONF["fill_services"] - n1,
                                        "filler")
                info["create_s"].append(time.time() - t)
                info["create_errors"] += len(errors)
                if errors:
                    log("  filler errors: %s" % errors[:3])
                time.sleep(2)   # let the orchestrators settle
                n = count_services(d)
                info["services_large"] = n
                info["dockerd_large"] = proc_status(dpid)
                if "list_services_ms" not in info:
                    t = time.time()
                    st, b = d.call("GET", "/services")
                    info["list_services_ms"] = (time.time() - t) * 1000
                    info["list_services_bytes"] = len(b)
                log("  %d services (created in %.1f s); dockerd RSS %d kB"
                    % (n, info["create_s"][-1],
                       info["dockerd_large"]["VmRSS"]))
            rounds(runner, names, services, per,
                   CONF["warmup"] if blk < 2 else 1, "services=%d" % n, w,
                   CONF["seed"] + 1 + blk)
    info["dockerd_before"] = info["dockerd_small"]
    info["dockerd_after"] = info["dockerd_large"]
    info["create_s"] = max(info["create_s"])
    with open(out_path("scale.json"), "w") as f:
        json.dump(info, f, indent=1)


# ------------------------------------------------------------- CGI direct

def cgi_env(method, path, auth, body_len):
    """The environment fcgiwrap gives the program behind the example's
    nginx configuration (fastcgi_params plus the example's params)."""
    env = {
        "QUERY_STRING": "", "REQUEST_METHOD": method,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(body_len) if body_len else "",
        "SCRIPT_NAME": "/deploy", "REQUEST_URI": "/deploy" + path,
        "DOCUMENT_URI": "/deploy" + path, "DOCUMENT_ROOT": "/usr/share/nginx/html",
        "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_SCHEME": "https",
        "HTTPS": "on", "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": "nginx", "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "40000", "SERVER_ADDR": "127.0.0.1",
        "SERVER_PORT": str(CONF["ports"]["cgi"]), "SERVER_NAME": "localhost",
        "REDIRECT_STATUS": "200", "PATH_INFO": path,
        "SCRIPT_FILENAME": CONF["deployer"],
        "DEPLOYER_CONFIG": CONF["deployer_conf"],
        "HTTP_HOST": "127.0.0.1", "HTTP_USER_AGENT": "curl/7.88.1",
        "HTTP_ACCEPT": "*/*",
    }
    if auth:
        env["HTTP_AUTHORIZATION"] = auth
    return env


def cmd_cgi_direct(args):
    """Peak RSS of CGI runs (refused and deploying) and the CPU of a
    refused one (perf stat when it works, else wait4 over many runs)."""
    res = {}
    body = out_path("cgi-body.json")
    runner = Runner()
    svc = CONF["services"]["cgi"]
    # Refused: no body is read before the token check.
    env = cgi_env("PUT", "/service/" + svc,
                  "Bearer wrong-token-for-the-benchmark", 0)
    rss, cpu = [], []
    for _ in range(50):
        w, c, r, code, out = spawn([CONF["deployer"]], env=env)
        if b"401" not in out[:40]:
            raise SystemExit("cgi-direct: expected 401, got %r" % out[:80])
        rss.append(r)
        cpu.append(c / 1e6)
    res["refused_maxrss_kb"] = max(rss)
    res["refused_cpu_wait4_ms"] = summarize(cpu)
    # Deploys: the body on stdin.
    rss, wall = [], []
    for _ in range(CONF["cgi_direct_deploys"]):
        i = runner.next_image(svc)
        data = json.dumps({"image": runner.images[i]["ref"]})
        with open(body, "w") as f:
            f.write(data)
        env = cgi_env("PUT", "/service/" + svc, CONF["token"], len(data))
        w, c, r, code, out = spawn([CONF["deployer"]], env=env,
                                   stdin_path=body)
        if not out.startswith(b"Status: 200"):
            raise SystemExit("cgi-direct: deploy failed: %r" % out[:300])
        runner.current.pop(svc, None)
        rss.append(r)
        wall.append(w / 1e6)
    res["deploy_maxrss_kb"] = max(rss)
    res["deploy_wall_direct_ms"] = summarize(wall)
    # CPU of one refused request: perf stat task-clock over many runs, in
    # 5 batches interleaved with the references (`deployer --version`:
    # exec and dynamic linking only; /bin/true: exec only), the median
    # batch of each: a burst of load elsewhere moves one batch, not all.
    runs = max(CONF["cgi_perf_runs"] // 5, 1)
    env = cgi_env("PUT", "/service/" + svc,
                  "Bearer wrong-token-for-the-benchmark", 0)
    cmds = {"perf": [CONF["deployer"]],
            "perf_version": [CONF["deployer"], "--version"],
            "perf_true": [shutil.which("true")]}
    batches = {k: [] for k in cmds}
    for _ in range(5):
        for k, argv in cmds.items():
            r = perf_stat(argv, env, runs)
            if r:
                batches[k].append(r)
    for k, b in batches.items():
        b.sort(key=lambda r: r["task_clock_ms"])
        res[k] = dict(b[len(b) // 2], batches=[r["task_clock_ms"]
                                               for r in b]) if b else None
    # Where the start-up goes: the dynamic loader's own statistics.
    p = subprocess.run([CONF["deployer"]], env=dict(env,
                       LD_DEBUG="statistics"), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True)
    st = {}
    for key, pat in (("startup_cycles", r"total startup time in dynamic "
                      r"loader: (\d+)"),
                     ("relocation_cycles", r"time needed for relocation: "
                      r"(\d+)"),
                     ("relocations", r"final number of relocations: (\d+)"),
                     ("relative_relocations",
                      r"number of relative relocations: (\d+)")):
        m = re.search(pat, p.stderr)
        st[key] = int(m.group(1)) if m else None
    res["ld_statistics"] = st
    # Whether io_finish closes FastCGI connections at once (9010979).
    p = subprocess.run(["nm", "-D", CONF["deployer"]], capture_output=True,
                       text=True)
    res["fcgx_detach"] = "FCGX_Detach" in p.stdout
    p = subprocess.run(["ldd", CONF["deployer"]], capture_output=True,
                       text=True)
    res["ldd"] = [l.split()[0] for l in p.stdout.splitlines() if l.strip()]
    with open(out_path("cgi-direct.json"), "w") as f:
        json.dump(res, f, indent=1)
    log("  CGI refused: %.2f ms task-clock (perf), %.2f ms (wait4 median); "
        "max RSS %d kB refused, %d kB deploying" %
        (res["perf"]["task_clock_ms"] if res["perf"] else float("nan"),
         res["refused_cpu_wait4_ms"]["median"], res["refused_maxrss_kb"],
         res["deploy_maxrss_kb"]))


def perf_stat(argv, env, runs):
    """task-clock per run (ms) from perf stat -r, or None without perf."""
    perf = CONF.get("perf")
    if not perf:
        return None
    p = subprocess.run([perf, "stat", "-x,", "-e", "task-clock,page-faults",
                        "-r", str(runs), "--"] + argv, env=env,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    r = {}
    for line in p.stderr.splitlines():
        f = line.split(",")
        if len(f) > 3 and f[2] == "task-clock" and f[0] not in ("", "<not "
                                                                "supported>"):
            r["task_clock_ms"] = float(f[0])
            r["task_clock_rsd_pct"] = float(f[3].rstrip("%") or 0)
        if len(f) > 3 and f[2] == "page-faults" and f[0][:1].isdigit():
            r["page_faults"] = float(f[0])
    return r or None


# ------------------------------------------------------------- wrk

def cmd_wrk(args):
    name, url, group = args[0], args[1], args[2] if len(args) > 2 else None
    cg = Cgroups(CONF["cgroups"])
    before = cg.read()
    t0 = time.time()
    p = subprocess.run([CONF["wrk"], "-t1", "-c%d" % CONF["wrk_connections"],
                        "-d%ds" % CONF["wrk_seconds"], "--latency",
                        "-s", CONF["reject_lua"], url],
                       capture_output=True, text=True)
    el = time.time() - t0
    d = delta(before, cg.read())
    txt = p.stdout
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", txt)
    total = int(m.group(1)) if m else 0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", txt).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", txt)
    errs = re.search(r"Socket errors: (.*)", txt)
    lat = {}
    for q in ("50", "90", "99"):
        mm = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)" % q, txt, re.M)
        if mm:
            lat["p" + q] = float(mm.group(1)) * {"us": 1e-3, "ms": 1,
                                                 "s": 1e3}[mm.group(2)]
    res = {"name": name, "url": url, "requests": total, "rps": rps,
           "non2xx": int(non2xx.group(1)) if non2xx else 0,
           "socket_errors": errs.group(1) if errs else "",
           "latency_ms": lat, "elapsed_s": el,
           "nginx_cpu_us_per_req": d.get("nginx", 0) / 1e3 / max(total, 1),
           "app_cpu_us_per_req": (d.get(group, 0) / 1e3 / max(total, 1))
           if group else None,
           "wrk_output": txt}
    with open(out_path("wrk-%s.json" % name), "w") as f:
        json.dump(res, f, indent=1)
    log("  %-8s %9.0f req/s, %d of %d answered non-2xx, p50 %.2f ms" %
        (name, rps, res["non2xx"], total, lat.get("p50", float("nan"))))


# ------------------------------------------------------------- memory

def cmd_memtest(args):
    """One FastCGI process across CONF mem_requests requests (fcgi-load,
    straight to its socket): RSS after each tenth."""
    pid = CONF["fcgi_pid"]
    kinds = out_path("kinds.txt")
    svc = CONF["services"]["fcgi"]
    bad = "Bearer wrong-token-for-the-benchmark"
    lines = (["401\tPUT\t/service/%s\t%s\t{\"image\": \"%s\"}" %
              (svc, bad, CONF["images"][0]["ref"])] * 40 +
             ["401\tPUT\t/service/%s\t-\t{\"image\": \"x\"}" % svc] * 20 +
             ["404\tGET\t/nowhere\t%s\t-" % CONF["token"]] * 10 +
             ["405\tDELETE\t/service/%s\t%s\t-" % (svc, CONF["token"])] * 10 +
             ["400\tPUT\t/service/%s\t%s\t{\"image\": 12}" %
              (svc, CONF["token"])] * 10 +
             ["404\tPUT\t/service/-bad-\t%s\t{\"image\": \"a\"}" %
              CONF["token"]] * 9 +
             ["200\tGET\t/service/%s\t%s\t-" % (svc, CONF["token"])])
    with open(kinds, "w") as f:
        f.write("# memtest: 99 refused or invalid to 1 status GET\n")
        f.write("\n".join(lines) + "\n")
    total = CONF["mem_requests"]
    steps = 10
    rows = [dict(requests=0, **proc_status(pid))]
    t0 = time.time()
    for s in range(steps):
        n = total // steps
        p = subprocess.run([CONF["fcgi_load"], "-c", "4", "-n", str(n),
                            "unix:" + CONF["fcgi_sock"], kinds],
                           capture_output=True, text=True)
        if p.returncode != 0:
            log("  fcgi-load exit %d: %s %s" % (p.returncode, p.stdout[-400:],
                                                p.stderr[-400:]))
        rows.append(dict(requests=(s + 1) * n, **proc_status(pid)))
        last = p.stdout
    el = time.time() - t0
    with open(out_path("memtest.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, ["requests", "VmRSS", "RssAnon", "RssFile",
                               "VmHWM", "VmSize"])
        w.writeheader()
        for r in rows:
            w.writerow(r)
    info = {"requests": total, "elapsed_s": el, "rps": total / el,
            "last_summary": last[-2000:], "pid": pid}
    with open(out_path("memtest.json"), "w") as f:
        json.dump(info, f, indent=1)
    log("  %d requests in %.1f s (%.0f/s, fcgi-load -c 4, no nginx); "
        "RssAnon %d -> %d kB" % (total, el, total / el, rows[0]["RssAnon"],
                                 rows[-1]["RssAnon"]))


def cmd_procmem(args):
    """VmHWM/VmRSS of the long-running servers, for the memory table."""
    res = {}
    for name, pids in CONF["server_pids"].items():
        res[name] = []
        for pid in pids:
            try:
                res[name].append(proc_status(int(pid)))
            except OSError:
                pass
    with open(out_path("procmem-%s.json" % args[0]), "w") as f:
        json.dump(res, f, indent=1)


if __name__ == "__main__":
    load_conf(sys.argv[1])
    cmd = sys.argv[2]
    if cmd == "report":
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import report
        report.main(CONF, sys.argv[3:])
    else:
        {"deploys": cmd_deploys, "scale": cmd_scale,
         "cgi-direct": cmd_cgi_direct, "wrk": cmd_wrk,
         "memtest": cmd_memtest, "procmem": cmd_procmem}[cmd](sys.argv[3:])
