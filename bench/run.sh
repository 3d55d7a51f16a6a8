#!/bin/bash
# run.sh: deployer side by side with the raw Docker API, the docker CLI and
# adnanh/webhook, on a throwaway loopback Docker Swarm
#
#   bench/run.sh            as root, on Debian 12; about 4 minutes
#
# One command: installs what is missing (apt-get), builds the program when
# the tree has no up-to-date build, starts a private dockerd swarm manager
# (tests/stack.sh: own network namespace), a registry inside it, beanstalkd,
# nginx (configured from examples/), fcgiwrap, the deployer under
# spawn-fcgi and webhook; measures; writes results/latest.md, latest.png
# and the raw CSVs; stops and removes everything it started, also on
# failure or Ctrl-C.  Traffic stays on 127.0.0.1 and inside the stack's
# namespace.  bench/README says what is measured and how.
#
# Settings (environment):
#   BENCH_DEPLOYS=150         deploys per variant (interleaved rounds)
#   BENCH_WARMUP=3            rounds before those, not recorded
#   BENCH_SCALE_DEPLOYS=80    deploys per variant with 1 and with N services
#   BENCH_SERVICES=1000       N
#   BENCH_SCALE_BLOCKS=8      alternating blocks: 1 service, N, 1, N, ...
#   BENCH_WRK_SECONDS=10      each wrk run (refused requests)
#   BENCH_WRK_CONNECTIONS=8
#   BENCH_MEM_REQUESTS=100000 requests to one FastCGI process
#   BENCH_CGI_RUNS=1000       perf stat runs of a refused CGI request
#   BENCH_NICE=-10            niceness of everything started here (the
#                             machine may be shared; 0 leaves it alone)
#   BENCH_SEED=1              order of the variants within rounds
#   BENCH_SRC=<repo>          source tree to build and benchmark
#   DEPLOYER=path             benchmark this binary instead (no build)
#   BENCH_OUT=bench/results   where results go
#   BENCH_ARCHIVE=1           also keep a copy in BENCH_OUT/runs/<UTC time>
#                             (raw/ and runs/ are not committed)
#   BENCH_KEEP=1              keep the work directory (for debugging)
set -euo pipefail
umask 022

BENCH=$(cd "${BASH_SOURCE[0]%/*}" && pwd -P)
TOP=${BENCH%/bench}
: "${BENCH_DEPLOYS:=150}" "${BENCH_WARMUP:=3}" "${BENCH_SCALE_DEPLOYS:=80}"
: "${BENCH_SERVICES:=1000}" "${BENCH_WRK_SECONDS:=10}"
: "${BENCH_WRK_CONNECTIONS:=8}" "${BENCH_MEM_REQUESTS:=100000}"
: "${BENCH_CGI_RUNS:=1000}" "${BENCH_NICE:=-10}" "${BENCH_SEED:=1}"
: "${BENCH_SCALE_BLOCKS:=8}"
: "${BENCH_SRC:=$TOP}" "${BENCH_OUT:=$BENCH/results}" "${BENCH_ARCHIVE:=1}"
PY=/usr/bin/python3
T0=$(date +%s)

say() {
	printf '[bench %3ds] %s\n' $(($(date +%s) - T0)) "$*" >&2
}
die() {
	say "error: $*"
	exit 1
}

[ "$(id -u)" = 0 ] || die "run as root (it starts dockerd and nginx)"
if [ "$BENCH_NICE" != 0 ]; then
	renice -n "$BENCH_NICE" -p $$ >/dev/null
fi

# ------------------------------------------------------------ packages

# What the benchmark runs, what the stack needs, and what builds the
# program.  Only what dpkg lists as missing is installed.
PACKAGES=(wrk hyperfine gnuplot-nox webhook nginx-light fcgiwrap spawn-fcgi
    curl jq docker.io beanstalkd busybox-static docker-registry python3
    linux-perf openssl iproute2 util-linux procps
    build-essential autoconf automake pkg-config libcurl4-openssl-dev
    libcjson-dev libfcgi-dev libssl-dev)

install_missing() {
	local -a missing=()
	local p status
	for p in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null) ||
		    status=
		[ "${status:0:2}" = ii ] || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	say "installing ${missing[*]}"
	# No service may start during the install (a system nginx, dockerd
	# or webhook would hold ports and sockets).
	local policy=/usr/sbin/policy-rc.d made=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		made=1
	fi
	local rc=0
	{
		DEBIAN_FRONTEND=noninteractive apt-get -q update &&
		    DEBIAN_FRONTEND=noninteractive apt-get -q -y \
			--no-install-recommends -o Dpkg::Options::=--force-confold \
			install "${missing[@]}"
	} >&2 || rc=$?
	[ -z "$made" ] || rm -f "$policy"
	[ "$rc" = 0 ] || die "apt-get install failed"
}
install_missing

# ------------------------------------------------------------ work dir

# Short: unix socket paths must stay under 108 bytes.
W=$(mktemp -d /tmp/dbench.XXXXXX)
chmod 0711 "$W"
mkdir -p "$W/raw" "$W/bin" "$W/run"
declare -A PIDS=()
CG=
CG_FILE=

# in_cg NAME CMD...: run CMD (a program or a function) inside the
# benchmark's cgroup NAME ("-": none), in place of this (sub)shell.
in_cg() {
	local name=$1
	shift
	if [ -n "$CG" ] && [ "$name" != - ]; then
		echo "$BASHPID" >"$CG/$name/cgroup.procs"
	fi
	if declare -F -- "$1" >/dev/null; then
		"$@"
		exit
	fi
	exec "$@"
}

# start NAME CGROUP CMD...: run CMD in the background, output in
# $W/NAME.log, no inherited descriptors; its pid in PIDS[NAME].
start() {
	local name=$1 cg=$2
	shift 2
	(_stack_exec_clean in_cg "$cg" "$@") </dev/null >>"$W/$name.log" 2>&1 &
	PIDS[$name]=$!
}

# wait_port PORT NAME: until something accepts on 127.0.0.1:PORT.
wait_port() {
	local i
	for ((i = 0; i < 100; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	tail -n 20 "$W/$2.log" >&2 || true
	die "$2 does not listen on 127.0.0.1:$1"
}

# wait_sock PATH NAME
wait_sock() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ ! -S "$1" ] || return 0
		sleep 0.1
	done
	tail -n 20 "$W/$2.log" >&2 || true
	die "$2 made no socket $1"
}

cleanup() {
	local rc=$? name pid i
	trap - EXIT INT TERM
	set +eu
	say "cleaning up"
	if [ -n "${DRV_PID-}" ]; then
		kill "$DRV_PID" 2>/dev/null
		wait "$DRV_PID" 2>/dev/null
	fi
	for name in "${!PIDS[@]}"; do
		pid=${PIDS[$name]}
		_stack_kill_tree TERM "$pid"
	done
	for name in "${!PIDS[@]}"; do
		pid=${PIDS[$name]}
		_stack_wait_gone 10 "$pid" || _stack_kill_tree KILL "$pid"
		wait "$pid" 2>/dev/null
	done
	if [ -f "$W/stack/.stack" ]; then
		stack_stop "$W/stack" || say "stack_stop failed; left $W"
	fi
	if [ -n "$CG" ] && [ -d "$CG" ]; then
		for ((i = 0; i < 50; i++)); do
			rmdir "$CG"/*/ 2>/dev/null
			rmdir "$CG" 2>/dev/null && break
			sleep 0.2
		done
		[ ! -d "$CG" ] || say "cgroup $CG not removed (processes left?)"
	fi
	if [ -n "${BENCH_KEEP-}" ] || [ -d "$W/stack" ]; then
		say "work directory kept: $W"
	else
		rm -rf --one-file-system -- "$W"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# shellcheck source=../tests/stack.sh
. "$TOP/tests/stack.sh"

# ------------------------------------------------------------ build

BUILD_NOTE=
if [ -n "${DEPLOYER-}" ]; then
	[ -x "$DEPLOYER" ] || die "DEPLOYER=$DEPLOYER is not executable"
	BIN=$DEPLOYER
	BUILD_NOTE="given binary $DEPLOYER"
	CONFIG_H=$BENCH_SRC/config.h
elif [ -x "$BENCH_SRC/src/deployer" ] &&
    make -C "$BENCH_SRC" -q src/deployer >/dev/null 2>&1; then
	BIN=$BENCH_SRC/src/deployer
	BUILD_NOTE="the tree's own build (up to date)"
	CONFIG_H=$BENCH_SRC/config.h
else
	# Never touch the tree (others may be working in it): build a copy.
	say "building the program (a private copy of $BENCH_SRC)"
	mkdir -p "$W/build"
	# GNU tar exits 1 for "file changed as we read it": others may be
	# writing in the tree (test logs, fuzzer corpora); 2 is an error.
	rc=0
	tar -C "$BENCH_SRC" --exclude=.git --exclude='*.o' --exclude='*.a' \
	    --exclude=autom4te.cache --exclude='*.log' --exclude='*.trs' \
	    --exclude=tests/fuzz/corpus --exclude=tests/fuzz/bin \
	    --exclude=bench/results --exclude=src/deployer \
	    --warning=no-file-changed --warning=no-file-removed -cf - . |
	    tar -C "$W/build" -xf - || rc=$?
	[ "$rc" -le 1 ] || die "cannot copy $BENCH_SRC"
	(
		cd "$W/build"
		rm -f config.status config.h Makefile
		autoreconf -fi && ./configure -q && make -j2 src/deployer
	) >"$W/build.log" 2>&1 || {
		tail -n 30 "$W/build.log" >&2
		die "the build failed (log above)"
	}
	BIN=$W/build/src/deployer
	BUILD_NOTE="built from a copy of the working tree"
	CONFIG_H=$W/build/config.h
fi
install -m 0755 "$BIN" "$W/bin/deployer"
DEP=$W/bin/deployer
gcc -O2 -Wall -o "$W/bin/runstat" "$BENCH/lib/runstat.c" ||
    die "cannot build bench/lib/runstat.c"
FCGI_LOAD=
if [ -f "$TOP/tests/tools/fcgi-load.c" ] && [ -f "$CONFIG_H" ] &&
    gcc -O2 -pthread -include "$CONFIG_H" -I"${CONFIG_H%/*}" -I"$TOP/src" \
	"$TOP/tests/tools/fcgi-load.c" -o "$W/bin/fcgi-load" \
	>"$W/fcgi-load-build.log" 2>&1; then
	FCGI_LOAD=$W/bin/fcgi-load
else
	say "tests/tools/fcgi-load.c missing or not building: no memory test"
fi
say "program: $("$DEP" --version) ($BUILD_NOTE)"

# ------------------------------------------------------------ stack

say "starting dockerd (swarm manager) and beanstalkd"
stack_start "$W/stack" >"$W/stack.log" 2>&1 || {
	cat "$W/stack.log" >&2
	die "the stack did not start"
}
# dockerd and beanstalkd are this shell's jobs: no "Killed" notices from
# bash when stack_stop ends them.
disown -a
# shellcheck source=/dev/null
. "$W/stack/stack.env"
SOCK=${DOCKER_HOST#unix://}
DPID=$(cat "$W/stack/dockerd.pid")
dk() {
	"$DOCKER_BIN" -H "$DOCKER_HOST" "$@"
}

# A registry where dockerd can reach it (its namespace's 127.0.0.1), so
# that tags resolve to digests as in real life.
mkdir -p "$W/registry/data"
cat >"$W/registry/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $W/registry/data
http:
  addr: 127.0.0.1:5000
EOF
start registry - stack_netns_exec "$W/stack" docker-registry serve \
    "$W/registry/config.yml"
for ((i = 0; i < 100; i++)); do
	stack_netns_exec "$W/stack" curl -sf -o /dev/null \
	    http://127.0.0.1:5000/v2/ && break
	sleep 0.1
done
REPO=127.0.0.1:5000/app
for v in v1 v2 v3; do
	dk tag "local/app:$v" "$REPO:$v"
	dk push -q "$REPO:$v" >/dev/null
done
API=$(curl -sf --unix-socket "$SOCK" http://localhost/version | jq -r .ApiVersion)
IMAGES=$(for v in v1 v2 v3; do
	curl -sf --unix-socket "$SOCK" \
	    "http://localhost/v$API/distribution/$REPO:$v/json" |
	    jq -c --arg ref "$REPO:$v" '{ref: $ref, digest: .Descriptor.digest}'
done | jq -s -c .)
say "registry up, images pushed: $(jq -r 'map(.digest[7:19]) | join(" ")' <<<"$IMAGES")"

VARIANTS=(floor-curl floor-keepalive floor-curl-nginx cgi fcgi cli webhook
    cgi-keepalive fcgi-keepalive)
for v in "${VARIANTS[@]}"; do
	dk service create -d -q --replicas 0 --name "bench-$v" \
	    --label deployer.allowUpdates=true "$REPO:v1" >/dev/null
done

# ------------------------------------------------------------ cgroups

# CPU time of each server from cgroup accounting (cgroup v2 cpu.stat or
# v1 cpuacct): exact, includes every child process (CGI runs, scripts).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	CG=/sys/fs/cgroup/dbench.$$
	CG_FILE=cpu.stat
elif [ -d /sys/fs/cgroup/cpuacct ] &&
    [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
	CG=/sys/fs/cgroup/cpuacct/dbench.$$
	CG_FILE=cpuacct.usage
fi
if [ -n "$CG" ] && mkdir "$CG" 2>/dev/null; then
	mkdir "$CG"/{nginx,cgi,fcgi,webhook,docker}
	# dockerd, its containerd and the registry: the common cost.
	for pid in "$DPID" $(_stack_pids_matching "--config $(cat "$W/stack/exec-root")/containerd/") \
	    $(_stack_pids_matching "docker-registry serve $W/"); do
		echo "$pid" >"$CG/docker/cgroup.procs"
	done
	CG_MODE="${CG%/dbench.*} ($CG_FILE)"
else
	CG=
	CG_MODE="none: /proc process trees (10 ms ticks)"
fi

# ------------------------------------------------------------ servers

TOKEN=bench-$(openssl rand -hex 16)
TPL=$(printf '%s' '{{.Action}} {{.ServiceName}} {{.Image}} {{.State}}' | base64 -w0)
NOTIFY="{\"addr\": \"$BEANSTALK_ADDR\", \"tube\": \"deploys\", \"template\": \"$TPL\"}"
mkdir -p "$W/tls" "$W/spool" "$W/nginx/sites" "$W/webhook" \
    "$W/docker-config" "$W/docker-config-nobody"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 2 -subj /CN=localhost \
    -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
    -keyout "$W/tls/key.pem" -out "$W/tls/cert.pem" 2>/dev/null
chmod 0600 "$W/tls/key.pem"
chown nobody:docker "$W/spool" "$W/docker-config-nobody"
chmod 0700 "$W/spool"

# fill TEMPLATE NAME=VALUE...: examples/fill, or the same substitution.
FILL=(DEPLOYER="$DEP" CONFIG="$W/deployer.conf" SERVER_NAME=localhost
    TLS_CERT="$W/tls/cert.pem" TLS_KEY="$W/tls/key.pem" RUNDIR="$W/run"
    RUN_USER=nobody RUN_GROUP=docker DOCKER_GROUP=docker WEB_USER=www-data
    WEB_GROUP=docker TOKEN="$TOKEN" DOCKER_HOST="$DOCKER_HOST"
    NOTIFY_FLAGS="$NOTIFY")
fill() {
	local tpl=$1
	shift
	if [ -x "$TOP/examples/fill" ]; then
		"$TOP/examples/fill" "$tpl" "${FILL[@]}" "$@"
		return
	fi
	local kv text
	text=$(cat "$tpl")
	for kv in "${FILL[@]}" "$@"; do
		text=${text//@${kv%%=*}@/${kv#*=}}
	done
	printf '%s\n' "$text"
}

# The deployer's settings: the example file, plus a spool directory.
CONFIGS=()
if [ -f "$TOP/examples/deployer.conf" ]; then
	fill "$TOP/examples/deployer.conf" >"$W/deployer.conf"
	CONFIGS+=(examples/deployer.conf)
else
	printf 'token = %s\ndocker_host = %s\nnotify_flags = %s\n' \
	    "$TOKEN" "$DOCKER_HOST" "$NOTIFY" >"$W/deployer.conf"
fi
printf 'spool_dir = %s\n' "$W/spool" >>"$W/deployer.conf"
chown nobody:docker "$W/deployer.conf"
chmod 0600 "$W/deployer.conf"

declare -A PORT=()
for s in cgi fcgi webhook dockerproxy ceiling wh; do
	PORT[$s]=$(stack_free_port)
done
ND=$W/nginx
ln -s /etc/nginx/fastcgi_params "$ND/fastcgi_params"
site() {	# site NAME EXAMPLE FALLBACK [NAME=VALUE...]
	local name=$1 ex=$2 fb=$3
	shift 3
	if [ -f "$TOP/$ex" ]; then
		fill "$TOP/$ex" LISTEN="127.0.0.1:${PORT[$name]}" "$@" \
		    >"$ND/sites/$name.conf"
		CONFIGS+=("$ex")
	else
		fill "$BENCH/lib/$fb" LISTEN="127.0.0.1:${PORT[$name]}" "$@" \
		    >"$ND/sites/$name.conf"
		CONFIGS+=("bench/lib/$fb (no $ex)")
	fi
}
site cgi examples/nginx-fcgiwrap/deployer.nginx fallback-fcgiwrap.nginx
site fcgi examples/nginx-fastcgi/deployer.nginx fallback-fastcgi.nginx
site webhook bench/lib/webhook.nginx webhook.nginx WEBHOOK_PORT="${PORT[wh]}"
site dockerproxy bench/lib/dockerproxy.nginx dockerproxy.nginx \
    DOCKER_SOCK="$SOCK"
site ceiling bench/lib/ceiling.nginx ceiling.nginx
# The workers' group is docker, for the Docker API proxy; so the sockets of
# fcgiwrap and the deployer are given to that group (WEB_GROUP) as well.
fill "$BENCH/lib/nginx.conf" DIR="$ND" NGINX_GROUP=docker >"$ND/nginx.conf"
nginx -t -q -p "$ND/" -c "$ND/nginx.conf" 2>"$W/nginx-t.log" || {
	cat "$W/nginx-t.log" >&2
	die "nginx configuration invalid"
}
start nginx nginx nginx -p "$ND/" -c "$ND/nginx.conf" -g 'daemon off;'

# unit_get FILE KEY: a key of a (filled) systemd unit.
unit_get() {
	sed -n "s/^$2=//p" "$1" | tail -n 1
}

# fcgiwrap as examples/nginx-fcgiwrap's units run it (ExecStart, User,
# Group; the socket unit's group and mode), with spawn-fcgi making the
# socket instead of systemd.
FW_EXEC=(/usr/sbin/fcgiwrap -f -p "$DEP")
U=$TOP/examples/nginx-fcgiwrap/deployer-fcgiwrap.service
if [ -f "$U" ]; then
	fill "$U" >"$W/fcgiwrap.service"
	read -ra FW_EXEC <<<"$(unit_get "$W/fcgiwrap.service" ExecStart)"
	CONFIGS+=(examples/nginx-fcgiwrap/deployer-fcgiwrap.service)
fi
start fcgiwrap cgi spawn-fcgi -n -s "$W/run/fcgiwrap.sock" -M 0660 \
    -G docker -u nobody -g docker -- "${FW_EXEC[@]}"

# The FastCGI server: examples/nginx-fastcgi/deployer-spawn-fcgi.service's
# command line as it is.
FC_EXEC=(/usr/bin/spawn-fcgi -n -s "$W/run/fcgi.sock" -M 0660
    -G docker -u nobody -g docker -- "$DEP" --config "$W/deployer.conf")
U=$TOP/examples/nginx-fastcgi/deployer-spawn-fcgi.service
if [ -f "$U" ]; then
	fill "$U" >"$W/fcgi.service"
	read -ra FC_EXEC <<<"$(unit_get "$W/fcgi.service" ExecStart)"
	CONFIGS+=(examples/nginx-fastcgi/deployer-spawn-fcgi.service)
fi
start fcgi fcgi "${FC_EXEC[@]}"

# webhook, as the deployer's user would run it (docker group).
install -m 0755 "$BENCH/lib/webhook-deploy.sh" "$W/bin/webhook-deploy.sh"
fill "$BENCH/lib/hooks.json" SCRIPT="$W/bin/webhook-deploy.sh" \
    >"$W/webhook/hooks.json"
chown -R nobody "$W/webhook"
start webhook webhook env DOCKER_CONFIG="$W/docker-config-nobody" \
    setpriv --reuid=nobody --regid=docker --clear-groups -- \
    webhook -hooks "$W/webhook/hooks.json" -ip 127.0.0.1 -port "${PORT[wh]}"

wait_sock "$W/run/fcgiwrap.sock" fcgiwrap
wait_sock "$W/run/fcgi.sock" fcgi
wait_port "${PORT[wh]}" webhook
for s in cgi fcgi webhook dockerproxy ceiling; do
	wait_port "${PORT[$s]}" nginx
done
NGINX_PIDS=$(pgrep -d, -P "${PIDS[nginx]}" -f 'nginx' || true)
say "servers up: nginx ports cgi ${PORT[cgi]} fcgi ${PORT[fcgi]} webhook ${PORT[webhook]} dockerproxy ${PORT[dockerproxy]}"

# ------------------------------------------------------------ measure

cg_json() {
	local n
	for n in nginx cgi fcgi webhook docker; do
		if [ -n "$CG" ]; then
			printf '"%s": {"file": "%s/%s/%s"},' "$n" "$CG" "$n" "$CG_FILE"
		else
			local root=${PIDS[$n]-$DPID}
			printf '"%s": {"pid": %d},' "$n" "$root"
		fi
	done | sed 's/,$//'
}
PERF=$(command -v perf || true)
if [ -n "$PERF" ] && ! "$PERF" stat -e task-clock true >/dev/null 2>&1; then
	PERF=
fi
variants_json=$(printf '"%s",' "${VARIANTS[@]}" | sed 's/,$//')
services_json=$(for v in "${VARIANTS[@]}"; do printf '"%s": "bench-%s",' "$v" "$v"; done | sed 's/,$//')
cat >"$W/conf.json" <<EOF
{
 "raw": "$W/raw", "out": "$BENCH_OUT",
 "docker_sock": "$SOCK", "api_version": "$API", "dockerd_pid": $DPID,
 "docker_cli": "$DOCKER_BIN", "docker_config": "$W/docker-config",
 "ca": "$W/tls/cert.pem", "token": "$TOKEN",
 "ports": {"cgi": ${PORT[cgi]}, "fcgi": ${PORT[fcgi]}, "webhook": ${PORT[webhook]}, "dockerproxy": ${PORT[dockerproxy]}, "ceiling": ${PORT[ceiling]}},
 "images": $IMAGES,
 "variants": [$variants_json], "services": {$services_json},
 "scale_variants": ["fcgi", "floor-curl", "floor-keepalive", "cli"],
 "scale_service": "bench-fcgi", "scale_blocks": $BENCH_SCALE_BLOCKS,
 "cgroups": {$(cg_json)},
 "deploys": $BENCH_DEPLOYS, "warmup": $BENCH_WARMUP, "seed": $BENCH_SEED,
 "scale_deploys": $BENCH_SCALE_DEPLOYS, "fill_services": $BENCH_SERVICES,
 "wrk": "$(command -v wrk)", "wrk_seconds": $BENCH_WRK_SECONDS,
 "wrk_connections": $BENCH_WRK_CONNECTIONS, "reject_lua": "$BENCH/lib/reject.lua",
 "mem_requests": $BENCH_MEM_REQUESTS, "fcgi_load": "$FCGI_LOAD",
 "fcgi_sock": "$W/run/fcgi.sock", "fcgi_pid": ${PIDS[fcgi]},
 "cgi_perf_runs": $BENCH_CGI_RUNS, "cgi_direct_deploys": 10,
 "perf": "$PERF", "deployer": "$DEP", "deployer_conf": "$W/deployer.conf",
 "curl": "$(command -v curl)", "bash": "$(command -v bash)",
 "floor_script": "$BENCH/lib/floor-curl.sh", "runstat": "$W/bin/runstat",
 "server_pids": {"nginx": [${PIDS[nginx]}${NGINX_PIDS:+,$NGINX_PIDS}], "fcgi": [${PIDS[fcgi]}], "fcgiwrap": [${PIDS[fcgiwrap]}], "webhook": [${PIDS[webhook]}]}
}
EOF
# The driver runs in the background and is waited for, so that a signal
# reaches the trap at once rather than when the phase ends.
DRV_PID=
drv() {
	"$PY" "$BENCH/lib/driver.py" "$W/conf.json" "$@" &
	DRV_PID=$!
	wait "$DRV_PID"
	DRV_PID=
}

# Machine and versions, for the top of the report.
meta() {
	local load_start=$1
	jq -n \
	    --arg date "$(date -u +'%Y-%m-%d %H:%M UTC')" \
	    --arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)" \
	    --arg cores "$(nproc) (online CPUs)" \
	    --arg memory "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)" \
	    --arg kernel "$(uname -r)" \
	    --arg os "Debian $(cat /etc/debian_version)" \
	    --arg docker "dockerd $(dk version --format '{{.Server.Version}}') (vfs, own netns)" \
	    --arg api "Engine API $API" \
	    --arg docker_cli "$("$DOCKER_BIN" version --format '{{.Client.Version}}' 2>/dev/null) ($DOCKER_BIN)" \
	    --arg nginx "$(nginx -v 2>&1 | sed 's/^nginx version: //')" \
	    --arg libcurl "$(curl --version | head -n1 | grep -o 'libcurl/[^ ]*') $(curl --version | head -n1 | grep -o 'OpenSSL/[^ ]*')" \
	    --arg fcgiwrap "$(dpkg-query -W -f='${Version}' fcgiwrap)" \
	    --arg spawn_fcgi "$(dpkg-query -W -f='${Version}' spawn-fcgi)" \
	    --arg webhook "$(webhook -version 2>&1 | head -n1)" \
	    --arg wrk "$(dpkg-query -W -f='${Version}' wrk)" \
	    --arg perf "$(if [ -n "$PERF" ]; then "$PERF" --version 2>&1; else echo none; fi)" \
	    --arg deployer "$("$DEP" --version), $(git -C "$BENCH_SRC" describe --always --dirty 2>/dev/null || echo '?')" \
	    --arg build "$BUILD_NOTE" \
	    --arg configs "$(printf '%s; ' "${CONFIGS[@]}")" \
	    --arg cgroups "$CG_MODE" \
	    --arg nice "$BENCH_NICE" \
	    --arg load_start "$load_start" \
	    --arg load_end "$(cut -d' ' -f1-3 /proc/loadavg)" \
	    --arg duration "$(($(date +%s) - T0)) s" \
	    --arg params "deploys $BENCH_DEPLOYS + $BENCH_WARMUP warm-up rounds; scale $BENCH_SCALE_DEPLOYS x2, $BENCH_SERVICES services; wrk ${BENCH_WRK_SECONDS}s c$BENCH_WRK_CONNECTIONS; memory $BENCH_MEM_REQUESTS requests; perf -r $BENCH_CGI_RUNS; seed $BENCH_SEED" \
	    '$ARGS.named' >"$W/raw/meta.json"
}
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

say "deploys: ${#VARIANTS[@]} variants x $BENCH_DEPLOYS (+ $BENCH_WARMUP warm-up rounds)"
drv deploys
say "CGI, run directly: peak RSS, CPU of a refused request"
drv cgi-direct
(
	export REQUEST_METHOD=PUT PATH_INFO=/service/bench-cgi CONTENT_LENGTH='' \
	    HTTP_AUTHORIZATION="Bearer wrong-token-for-the-benchmark" \
	    REMOTE_ADDR=127.0.0.1 SERVER_PROTOCOL=HTTP/1.1 \
	    GATEWAY_INTERFACE=CGI/1.1 SCRIPT_NAME=/deploy \
	    SCRIPT_FILENAME="$DEP" DEPLOYER_CONFIG="$W/deployer.conf"
	hyperfine -N --style none --warmup 20 --runs 300 \
	    --export-json "$W/raw/hyperfine-cgi.json" "$DEP" "$DEP --version" \
	    >/dev/null 2>&1
) || say "hyperfine failed"
say "refused requests through nginx (wrk ${BENCH_WRK_SECONDS}s each)"
drv wrk ceiling "https://127.0.0.1:${PORT[ceiling]}/deploy/service/bench-fcgi"
drv wrk fcgi "https://127.0.0.1:${PORT[fcgi]}/deploy/service/bench-fcgi" fcgi
drv wrk cgi "https://127.0.0.1:${PORT[cgi]}/deploy/service/bench-cgi" cgi
if [ -n "$FCGI_LOAD" ]; then
	say "one FastCGI process, $BENCH_MEM_REQUESTS requests"
	drv memtest
fi
drv procmem end
say "1 service vs $BENCH_SERVICES"
drv scale
meta "$LOAD0"
drv report
# The raw measurements, to read or to render the report again:
#   python3 bench/lib/driver.py <conf.json with "raw" pointing here> report
rm -rf "$BENCH_OUT/raw"
mkdir -p "$BENCH_OUT/raw"
cp "$W"/raw/*.csv "$W"/raw/*.json "$BENCH_OUT/raw/" 2>/dev/null || true
sed -e "s|\"raw\": \"[^\"]*\"|\"raw\": \"$BENCH_OUT/raw\"|" \
    -e "s|\"token\": \"[^\"]*\"|\"token\": \"(not kept)\"|" \
    "$W/conf.json" >"$BENCH_OUT/raw/conf.json"
if [ "$BENCH_ARCHIVE" = 1 ]; then
	A=$BENCH_OUT/runs/$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$A"
	cp -r "$BENCH_OUT"/latest* "$BENCH_OUT/raw" "$A"/
fi
say "done in $(($(date +%s) - T0)) s"
