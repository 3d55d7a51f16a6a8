#!/bin/bash
# stack.sh: a throwaway Docker Swarm manager and beanstalkd for integration tests
#
# Sourced (by tests/lib.sh) it defines stack_start and stack_stop; executed it
# takes a subcommand for manual use and for the demo:
#
#   tests/stack.sh start DIR    start a stack in DIR (must not exist or be empty)
#   tests/stack.sh stop DIR     stop it and remove DIR
#   . DIR/stack.env             DOCKER_HOST, DOCKER_CONFIG, BEANSTALK_ADDR, ...
#
# One stack is one dockerd (with its own containerd) and one beanstalkd.  All of
# a stack's state lives in DIR (plus, when DIR is long, a short exec root under
# /tmp, because unix socket paths are limited to 107 bytes), so any number of
# stacks can run side by side.
#
# dockerd runs in a private network namespace (unshare --net, only `lo` up).
# Two swarm nodes in the host namespace collide: both bind the gossip port
# 127.0.0.1:7946, the second one's networking agent fails, and both adopt the
# host's single `docker_gwbridge` bridge and rewrite its address.  In its own
# namespace each dockerd can `swarm init` on 127.0.0.1:2377 and create its
# ingress network, docker_gwbridge and VXLAN port without touching the host;
# all of it disappears with the namespace.  The docker socket is a unix socket
# in DIR, so clients in the host namespace reach it as usual.  Whatever must
# talk to dockerd over TCP (a registry for pulls, say) has to run inside:
# see stack_netns_exec.
#
# beanstalkd runs in the host namespace on a free 127.0.0.1 port.
#
# Needs: bash, dockerd + containerd + runc (docker.io), /usr/bin/docker
# (Debian's 20.10 client: not whatever else is on PATH), beanstalkd,
# busybox-static, util-linux (unshare, nsenter), iproute2 (ip), tar.

# Binaries.  Debian's paths come first: a dockerd, containerd or docker client
# in /usr/local/bin would be a different version.
STACK_DOCKER=${STACK_DOCKER:-/usr/bin/docker}
STACK_PATH=/usr/sbin:/usr/bin:/sbin:/bin
# Seconds to wait for dockerd to answer, and for each process to exit.
STACK_START_TIMEOUT=${STACK_START_TIMEOUT:-60}
STACK_STOP_TIMEOUT=${STACK_STOP_TIMEOUT:-20}

_stack_err() {
	printf 'stack: %s\n' "$*" >&2
}

# _stack_mark DIR STEP: append STEP and the ms since stack_start began to
# DIR/timing, to see where start-up time goes.
_stack_mark() {
	printf '%-12s %5d ms\n' "$2" $((($(date +%s%N) - _stack_t0) / 1000000)) \
	    >>"$1/timing"
}

# _stack_q VALUE: VALUE single-quoted for sh and bash.
_stack_q() {
	printf "'%s'" "${1//\'/\'\\\'\'}"
}

# _stack_exec_clean CMD...: close every descriptor above 2, then exec CMD
# (or, for a shell function such as stack_netns_exec, run it and exit).
# A daemon that inherits the test's TAP output pipe (or the pipe of whatever
# runs the test) keeps it open, and the reader (automake's tap-driver, a CI
# log collector) then waits for EOF until the daemon dies.  A CGI program
# gets no stray descriptors from a web server either.
_stack_exec_clean() {
	local fd
	for fd in /proc/self/fd/*; do
		fd=${fd##*/}
		if [ "$fd" -gt 2 ]; then
			eval "exec $fd>&-"
		fi
	done
	if declare -F -- "$1" >/dev/null; then
		"$@"
		exit
	fi
	exec "$@"
}

# _stack_spawn LOG CMD...: run CMD in the background with stdin from
# /dev/null, stdout and stderr appended to LOG, no other descriptors.  $! is
# CMD's pid (for a function: the subshell running it).
_stack_spawn() {
	local log=$1
	shift
	(_stack_exec_clean "$@") </dev/null >>"$log" 2>&1 &
}

# _stack_pid_is PID PATTERN: PID is alive and its command line contains
# PATTERN (a guard against a recycled pid).
_stack_pid_is() {
	local -a args
	[ -n "$1" ] && [ -r "/proc/$1/cmdline" ] || return 1
	mapfile -d '' args <"/proc/$1/cmdline" 2>/dev/null || return 1
	case " ${args[*]} " in
	*"$2"*) return 0 ;;
	esac
	return 1
}

# _stack_wait_gone SECONDS PID...: wait until every PID has exited (zombies
# count as exited); SECONDS 0 just checks.
_stack_wait_gone() {
	local i pid left
	for ((i = 0; ; i++)); do
		left=
		for pid in "${@:2}"; do
			if [ -d "/proc/$pid" ] &&
			    ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null; then
				left=1
			fi
		done
		[ -n "$left" ] || return 0
		[ "$i" -lt $(($1 * 10)) ] || return 1
		sleep 0.1
	done
}

# _stack_pids_matching PATTERN: pids of all processes whose command line
# contains PATTERN.
_stack_pids_matching() {
	local d pid
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		case $pid in
		"$$" | "$BASHPID") continue ;;
		esac
		if _stack_pid_is "$pid" "$1"; then
			printf '%s\n' "$pid"
		fi
	done
}

# stack_free_port: print a TCP port on 127.0.0.1 that nothing listens on.
# Ports are drawn at random from 20000-32767, below Linux's default ephemeral
# range (32768-60999), and tried with a connect: refused means free.  Two
# stacks may still draw the same port between the check and the bind, so
# callers verify that their own daemon got it and retry otherwise.
stack_free_port() {
	local i port
	for ((i = 0; i < 100; i++)); do
		port=$((20000 + RANDOM % 12768))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			printf '%s\n' "$port"
			return 0
		fi
	done
	_stack_err "no free port found"
	return 1
}

# _stack_docker DIR ARGS...: the Debian client against DIR's daemon only,
# for at most $_stack_cli_timeout (default 60) seconds.
_stack_docker() {
	local dir=$1
	shift
	DOCKER_CONFIG=$dir/docker-config timeout "${_stack_cli_timeout:-60}" \
	    "$STACK_DOCKER" -H "unix://$(cat "$dir/docker-sock" 2>/dev/null)" "$@"
}

# _stack_rootfs ROOT: a busybox root: /bin/busybox and a hard link per applet
# (`busybox --install DIR` makes them in one go; symlinks would need one `ln`
# per applet, 0.7 s; `--install -s` would point them at the host path).
_stack_rootfs() {
	local root=$1
	if ldd /bin/busybox >/dev/null 2>&1; then
		_stack_err "/bin/busybox is dynamically linked (install busybox-static)"
		return 1
	fi
	mkdir -p "$root/bin" "$root/tmp" &&
	    cp /bin/busybox "$root/bin/busybox" &&
	    "$root/bin/busybox" --install "$root/bin"
}

# _stack_import DIR ROOT TAG VERSION CMD: import ROOT plus an
# /etc/app-version holding VERSION (so that every tag has its own layer and
# image ID) as TAG.
_stack_import() {
	local dir=$1 root=$2 tag=$3 version=$4 cmd=$5 etc=$1/etc-$4
	mkdir -p "$etc/etc" &&
	    printf '%s\n' "$version" >"$etc/etc/app-version" &&
	    tar -cf - -C "$root" . -C "$etc" etc |
	    _stack_docker "$dir" import -c "ENV APP_VERSION=$version" \
		-c "CMD $cmd" - "$tag" >/dev/null
}

# _stack_images DIR: local/app:v1, v2, v3 (sleep until SIGTERM) and
# local/crash:v1 (exits 1 at once), imported in parallel.
#
# The app images exit on SIGTERM.  A shell or sleep as PID 1 of a container
# has no default signal actions, so a plain `sleep` would ignore the stop
# signal and every rolling update and shutdown would wait out the 10 s grace
# period before SIGKILL.
_stack_images() {
	local dir=$1 root=$1/rootfs v rc=0
	local app='["/bin/sh","-c","trap \"exit 0\" TERM INT; sleep 2147483647 & wait"]'
	local -a pids
	_stack_rootfs "$root" || return 1
	for v in v1 v2 v3; do
		_stack_import "$dir" "$root" "local/app:$v" "$v" "$app" &
		pids+=($!)
	done
	_stack_import "$dir" "$root" local/crash:v1 crash \
	    '["/bin/sh","-c","echo crashing >&2; exit 1"]' &
	pids+=($!)
	for v in "${pids[@]}"; do
		wait "$v" || rc=1
	done
	rm -rf "$root" "$dir"/etc-*
	return "$rc"
}

# A minimal beanstalkd client on a bash /dev/tcp descriptor, for
# readiness checks here and for the helpers in tests/lib.sh.  Job bodies are
# read with `read -N`, which drops NUL bytes; fine for text jobs.
#
# bs_open HOST PORT: connect; the descriptor is in BS_FD.
bs_open() {
	exec {BS_FD}<>"/dev/tcp/$1/$2"
}

# bs_close: close BS_FD.
bs_close() {
	[ -z "${BS_FD-}" ] || exec {BS_FD}>&-
	BS_FD=''
}

# bs_cmd LINE [DATA]: send LINE (and DATA, for put), read the reply line
# into BS_REPLY and, for replies that carry data (OK, RESERVED, FOUND), the
# data into BS_DATA.  Returns 1 on I/O errors or a 10 s silence.
bs_cmd() {
	local LC_ALL=C n
	BS_REPLY='' BS_DATA=''
	if [ $# -gt 1 ]; then
		printf '%s\r\n%s\r\n' "$1" "$2" >&"$BS_FD" || return 1
	else
		printf '%s\r\n' "$1" >&"$BS_FD" || return 1
	fi
	IFS= read -r -t 10 BS_REPLY <&"$BS_FD" || return 1
	BS_REPLY=${BS_REPLY%$'\r'}
	case $BS_REPLY in
	"OK "* | "RESERVED "* | "FOUND "*)
		n=${BS_REPLY##* }
		if [ "$n" -gt 0 ]; then
			IFS= read -r -t 10 -N "$n" BS_DATA <&"$BS_FD" || return 1
		fi
		IFS= read -r -t 10 -N 2 _ <&"$BS_FD" || return 1
		;;
	esac
}

# _stack_dockerd_spawn DIR SOCK EXEC_ROOT: start DIR's dockerd in a network
# namespace of its own (only lo up); its pid is $! and in DIR/dockerd.pid.
_stack_dockerd_spawn() {
	local dir=$1 sock=$2 exec_root=$3
	_stack_spawn "$dir/dockerd.log" env -u NOTIFY_SOCKET PATH="$STACK_PATH" \
	    unshare --net sh -c 'ip link set lo up && exec "$@"' sh \
	    dockerd --config-file "$dir/daemon.json" \
	    --host "unix://$sock" --data-root "$dir/data" \
	    --exec-root "$exec_root" --pidfile "$dir/docker.pid" \
	    --iptables=false --ip-masq=false --bridge=none \
	    --storage-driver=vfs
	printf '%s\n' "$!" >"$dir/dockerd.pid"
}

# _stack_beanstalkd DIR: start beanstalkd on a free 127.0.0.1 port, retrying
# when another process wins the race for the port.
_stack_beanstalkd() {
	local dir=$1 try port pid i BS_FD='' BS_REPLY BS_DATA
	for ((try = 0; try < 10; try++)); do
		port=$(stack_free_port) || return 1
		_stack_spawn "$dir/beanstalkd.log" \
		    beanstalkd -l 127.0.0.1 -p "$port"
		pid=$!
		printf '%s\n' "$pid" >"$dir/beanstalkd.pid"
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			# Our daemon owns the port when `stats` reports its pid.
			if bs_open 127.0.0.1 "$port" 2>/dev/null; then
				bs_cmd stats
				bs_close
				case $BS_DATA in
				*"pid: $pid"*)
					printf '%s\n' "$port" \
					    >"$dir/beanstalkd.port"
					return 0
					;;
				esac
			fi
			sleep 0.1
		done
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	_stack_err "beanstalkd did not start; log:"
	cat "$dir/beanstalkd.log" >&2
	return 1
}

# _stack_env DIR: write DIR/stack.env.
_stack_env() {
	local dir=$1 port
	port=$(cat "$dir/beanstalkd.port") || return 1
	{
		printf '# stack.env: written by tests/stack.sh; source it\n'
		printf 'export STACK_DIR=%s\n' "$(_stack_q "$dir")"
		printf 'export DOCKER_HOST=%s\n' \
		    "$(_stack_q "unix://$(cat "$dir/docker-sock")")"
		printf 'export DOCKER_CONFIG=%s\n' \
		    "$(_stack_q "$dir/docker-config")"
		printf 'export DOCKER_BIN=%s\n' "$(_stack_q "$STACK_DOCKER")"
		printf 'export BEANSTALK_ADDR=%s\n' "127.0.0.1:$port"
		printf 'export BEANSTALK_HOST=127.0.0.1\n'
		printf 'export BEANSTALK_PORT=%s\n' "$port"
	} >"$dir/stack.env.tmp" && mv "$dir/stack.env.tmp" "$dir/stack.env"
}

# stack_start DIR: start a stack in DIR (created if missing; must be empty).
# On failure it prints why (with the dockerd log) and returns 1, leaving what
# it started for stack_stop DIR, which is safe after a partial start; 2 when
# DIR is not empty (nothing started: do not stop what is in there).
#
# Outside DIR, dockerd creates /etc/docker/key.json once (shared by all
# daemons; written atomically) and its shims put sockets in /run/containerd/s
# (unique names, removed when they exit).
stack_start() {
	local dir=${1:?usage: stack_start DIR} exec_root sock pid i _stack_t0
	# Every step is checked explicitly, so errexit (the caller's or not)
	# changes nothing; `local -` restores the caller's options on return.
	local -
	set +eE
	_stack_t0=$(date +%s%N)
	mkdir -p "$dir" || return 1
	dir=$(cd "$dir" && pwd -P) || return 1
	if [ -n "$(ls -A "$dir")" ]; then
		_stack_err "$dir is not empty"
		return 2
	fi
	# The marker lets stack_stop remove DIR, and nothing it did not create.
	printf 'tests/stack.sh %s\n' "$(date -u +%FT%TZ)" >"$dir/.stack" ||
	    return 1
	mkdir -p "$dir/data" "$dir/docker-config" || return 1
	# An empty daemon.json: a host's /etc/docker/daemon.json (hosts,
	# data-root, storage-driver, ...) would conflict with the flags below,
	# and dockerd refuses to start then.
	printf '{}\n' >"$dir/daemon.json" || return 1

	# containerd's longest socket is EXEC/containerd/containerd.sock.ttrpc
	# (EXEC + 33 bytes); keep EXEC to 60 bytes so sockets fit in 107.
	exec_root=$dir/exec
	sock=$dir/docker.sock
	if [ ${#exec_root} -gt 60 ] || [ ${#sock} -gt 100 ]; then
		exec_root=$(mktemp -d /tmp/dks.XXXXXX) || return 1
		sock=$exec_root/docker.sock
		printf '%s\n' "$exec_root" >"$dir/short-dir"
		exec_root=$exec_root/exec
	fi
	mkdir -p "$exec_root" || return 1
	printf '%s\n' "$exec_root" >"$dir/exec-root"
	printf '%s\n' "$sock" >"$dir/docker-sock"

	# dockerd, in its own network namespace.  `unshare` and `sh` exec, so
	# $! is dockerd's pid.  NOTIFY_SOCKET would make dockerd talk to the
	# init system of whoever runs the tests.
	_stack_dockerd_spawn "$dir" "$sock" "$exec_root"
	pid=$!
	for ((i = 0; ; i++)); do
		if [ -S "$sock" ] && _stack_docker "$dir" version \
		    --format '{{.Server.Version}}' >/dev/null 2>&1; then
			break
		fi
		if ! kill -0 "$pid" 2>/dev/null || [ "$i" -ge \
		    $((STACK_START_TIMEOUT * 10)) ]; then
			_stack_err "dockerd did not come up; log:"
			tail -n 60 "$dir/dockerd.log" >&2
			return 1
		fi
		sleep 0.1
	done
	_stack_mark "$dir" dockerd

	# In the private namespace 127.0.0.1:2377 is always free.  The images
	# do not need the swarm: import them meanwhile.
	_stack_docker "$dir" swarm init --advertise-addr 127.0.0.1 \
	    --listen-addr 127.0.0.1:2377 >"$dir/swarm-init.log" 2>&1 &
	pid=$!
	if ! _stack_images "$dir"; then
		_stack_err "image import failed"
		wait "$pid"
		return 1
	fi
	_stack_mark "$dir" images
	if ! wait "$pid"; then
		_stack_err "swarm init failed:"
		cat "$dir/swarm-init.log" >&2
		tail -n 30 "$dir/dockerd.log" >&2
		return 1
	fi
	_stack_mark "$dir" swarm
	_stack_beanstalkd "$dir" || return 1
	_stack_env "$dir" || return 1
	_stack_mark "$dir" total
}

# stack_netns_exec DIR CMD...: run CMD in the stack's network namespace (where
# dockerd's 127.0.0.1 is), e.g. a registry that dockerd must pull from.
stack_netns_exec() {
	local dir=$1 pid
	shift
	pid=$(cat "$dir/dockerd.pid" 2>/dev/null)
	if ! _stack_pid_is "$pid" "$dir"; then
		_stack_err "no dockerd running for $dir"
		return 1
	fi
	nsenter --net="/proc/$pid/ns/net" -- "$@"
}

# _stack_mounts PREFIX...: mount points at or under any PREFIX, deepest first.
_stack_mounts() {
	local mp p
	while read -r _ mp _; do
		mp=$(printf '%b' "${mp//\\/\\0}")	# \040 etc. are octal
		for p in "$@"; do
			case $mp in
			"$p" | "$p"/*) printf '%s\t%s\n' "${#mp}" "$mp" ;;
			esac
		done
	done </proc/self/mounts | sort -rn | cut -f2-
}

# _stack_kill_tree SIGNAL PID: signal PID's descendants, then PID.  Any of
# them may be gone already: that is no failure.
_stack_kill_tree() {
	local sig=$1 pid=$2 child
	for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
		_stack_kill_tree "$sig" "$child"
	done
	kill "-$sig" "$pid" 2>/dev/null || true
}

# _stack_netns_strays DOCKERD-PID EXEC_ROOT: stop the processes that run in
# dockerd's network namespace but are not dockerd's (containerd, shims): what
# stack_netns_exec started and nobody stopped, a registry say.  They would
# keep running, and keep the namespace alive.  Only while dockerd is alive
# does the namespace's inode number identify it; once freed, the number can
# be given to a new namespace.
_stack_netns_strays() {
	local dpid=$1 exec_root=$2 ns ino path pid
	local -a strays=()
	ns=$(stat -L -c %i "/proc/$dpid/ns/net" 2>/dev/null) || return 0
	while read -r ino path; do
		pid=${path#/proc/}
		pid=${pid%/ns/net}
		if [ "$ino" = "$ns" ] && [ "$pid" != "$dpid" ] &&
		    ! _stack_pid_is "$pid" "$exec_root/"; then
			strays+=("$pid")
		fi
	done < <(stat -L -c '%i %n' /proc/[0-9]*/ns/net 2>/dev/null)
	[ ${#strays[@]} -gt 0 ] || return 0
	_stack_err "stopping processes left in the stack's network namespace: ${strays[*]}"
	kill -TERM "${strays[@]}" 2>/dev/null
	_stack_wait_gone 5 "${strays[@]}" || kill -KILL "${strays[@]}" 2>/dev/null
}

# _stack_stop_dockerd DIR PID EXEC_ROOT: SIGTERM dockerd and wait for it.
# dockerd 20.10 logs "Daemon shutdown complete" ~0.4 s after SIGTERM, with
# its containers stopped and its containerd gone soon after, and then idles
# ~2.5 s more until its containerd client gives up reconnecting.  Nothing
# is left to do by then, so it is killed at that point.
_stack_stop_dockerd() {
	local dir=$1 pid=$2 exec_root=$3 i
	local -a ctrd
	mapfile -t ctrd < <(_stack_pids_matching "--config $exec_root/containerd/")
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < STACK_STOP_TIMEOUT * 10; i++)); do
		_stack_wait_gone 0 "$pid" && return 0
		if grep -q 'Daemon shutdown complete' "$dir/dockerd.log" 2>/dev/null &&
		    { [ ${#ctrd[@]} -eq 0 ] || _stack_wait_gone 0 "${ctrd[@]}"; }; then
			kill -KILL "$pid" 2>/dev/null
			_stack_wait_gone 5 "$pid"
			return 0
		fi
		sleep 0.1
	done
	_stack_err "dockerd $pid ignored SIGTERM for $STACK_STOP_TIMEOUT s; killing"
	kill -KILL "$pid" 2>/dev/null
	_stack_wait_gone 5 "$pid"
}

# stack_stop DIR: stop everything stack_start DIR started and remove DIR.
# Safe to call twice, after a failed start, or with dockerd already dead.
stack_stop() {
	local dir=${1:?usage: stack_stop DIR} exec_root short pid cid i mp sock
	local -a pids shims
	# Best effort throughout: no failing step (nor a bug tripping nounset)
	# may stop the cleanup, and a hung daemon may not hold it up long.
	local - _stack_cli_timeout=10
	set +eEu
	[ -f "$dir/.stack" ] || return 0
	dir=$(cd "$dir" && pwd -P) || return 1
	exec_root=$(cat "$dir/exec-root" 2>/dev/null)
	short=$(cat "$dir/short-dir" 2>/dev/null)

	pid=$(cat "$dir/dockerd.pid" 2>/dev/null)
	if _stack_pid_is "$pid" "$dir"; then
		# Remove the services so that swarm starts stopping the tasks
		# (waiting for that costs ~1.7 s and gains nothing: dockerd's
		# shutdown stops the remaining containers too).
		local svcs
		svcs=$(_stack_docker "$dir" service ls -q 2>/dev/null)
		# shellcheck disable=SC2086
		[ -z "$svcs" ] ||
		    _stack_docker "$dir" service rm $svcs >/dev/null 2>&1
		_stack_netns_strays "$pid" "$exec_root"
		_stack_stop_dockerd "$dir" "$pid" "$exec_root"
	fi
	# Reap dockerd if this shell started it.
	[ -n "$pid" ] && wait "$pid" 2>/dev/null

	# Whatever survived: containerd (its config lives in the exec root),
	# shims (their -address names that containerd's socket) and the
	# container processes under the shims.
	if [ -n "$exec_root" ]; then
		mapfile -t pids < <(_stack_pids_matching \
		    "--config $exec_root/containerd/")
		mapfile -t shims < <(_stack_pids_matching \
		    "-address $exec_root/containerd/containerd.sock")
		for pid in "${pids[@]}"; do
			kill -TERM "$pid" 2>/dev/null
		done
		[ ${#pids[@]} -eq 0 ] || _stack_wait_gone 5 "${pids[@]}" || {
			for pid in "${pids[@]}"; do
				kill -KILL "$pid" 2>/dev/null
			done
		}
		if [ ${#shims[@]} -gt 0 ]; then
			_stack_err "killing leftover shims: ${shims[*]}"
			_stack_shim_sockets "${shims[@]}" >"$dir/shim-sockets"
			for pid in "${shims[@]}"; do
				_stack_kill_tree KILL "$pid"
			done
			_stack_wait_gone 5 "${shims[@]}"
			# A killed shim leaves its socket behind.
			while read -r sock; do
				rm -f -- "$sock"
			done <"$dir/shim-sockets"
		fi
	fi
	# Cgroups of killed containers are not removed by anyone else.
	for cid in "$dir"/data/containers/*; do
		cid=${cid##*/}
		[ ${#cid} -eq 64 ] || continue
		find /sys/fs/cgroup -maxdepth 4 -depth -type d \
		    -name "*$cid*" -exec rmdir {} + 2>/dev/null
	done

	pid=$(cat "$dir/beanstalkd.pid" 2>/dev/null)
	if _stack_pid_is "$pid" beanstalkd; then
		kill -TERM "$pid" 2>/dev/null
		_stack_wait_gone 5 "$pid" || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi

	# dockerd leaves mounts behind when it is killed: its private bind of
	# the data root, network namespaces under EXEC/netns, ...
	for ((i = 0; i < 3; i++)); do
		local found=
		while IFS= read -r mp; do
			found=1
			umount -l -- "$mp" 2>/dev/null
		done < <(_stack_mounts "$dir" ${exec_root:+"$exec_root"} \
		    ${short:+"$short"})
		[ -n "$found" ] || break
	done
	if [ -n "$(_stack_mounts "$dir" ${exec_root:+"$exec_root"} \
	    ${short:+"$short"})" ]; then
		_stack_err "mounts left under $dir; not removing it"
		return 1
	fi
	[ -z "$short" ] || rm -rf --one-file-system -- "$short"
	rm -rf --one-file-system -- "$dir"
	return 0
}

# _stack_shim_sockets PID...: the socket files the shims listen on, found
# via the socket inodes of their descriptors in /proc/PID/net/unix (the
# shims' network namespace is dockerd's, not ours).
_stack_shim_sockets() {
	local pid fd inodes
	for pid in "$@"; do
		inodes=" "
		for fd in /proc/"$pid"/fd/*; do
			fd=$(readlink "$fd" 2>/dev/null) || continue
			case $fd in
			socket:\[*\]) fd=${fd#socket:[}; inodes+="${fd%]} " ;;
			esac
		done
		awk -v inodes="$inodes" 'NR > 1 && $8 ~ /^\/run\/containerd\/s\// &&
		    index(inodes, " " $7 " ") { print $8 }' "/proc/$pid/net/unix"
	done 2>/dev/null | sort -u
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -eu
	case ${1-}:${2-} in
	start:?*)
		rc=0
		stack_start "$2" || rc=$?
		if [ "$rc" != 0 ]; then
			[ "$rc" = 2 ] || stack_stop "$2"
			exit 1
		fi
		cat "$2/timing"
		printf '. %s/stack.env\n' "$(cd "$2" && pwd -P)"
		;;
	stop:?*)
		stack_stop "$2"
		;;
	*)
		printf 'usage: %s start|stop DIR\n' "$0" >&2
		exit 2
		;;
	esac
fi
