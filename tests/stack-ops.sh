#!/bin/bash
# stack-ops.sh: what fault tests do to a running stack: stop and restart its
# dockerd and beanstalkd, start extra beanstalkds, and join two stacks into
# one swarm with two managers
# shellcheck shell=bash
#
# Sourced after tests/lib.sh (it uses stack.sh's internals and lib.sh's
# bg_start and diag).  Everything here keeps the files stack_stop reads
# (dockerd.pid, beanstalkd.pid) up to date, so that the normal clean-up
# still stops whatever runs at the end.
#
#   stack_kill_dockerd DIR [SIGNAL]  stop dockerd (default KILL: a crash; the
#                                    socket file stays), its containerd and
#                                    shims; wait until they are gone
#   stack_start_dockerd DIR          start it again as stack_start did (same
#                                    data, exec root and socket, in a new
#                                    network namespace); wait until it is a
#                                    swarm manager with control again
#   stack_bs_stop DIR                stop the stack's beanstalkd
#   stack_bs_start DIR [ARGS...]     start it again on the same port
#   bs_extra NAME [ARGS...]          another beanstalkd on a free port (bg
#                                    NAME, stopped at exit); port in BS_PORT
#   stack_link DIR_A ADDR_A DIR_B ADDR_B
#                                    a veth pair between the two dockerds'
#                                    network namespaces, ADDR_x/24 on each
#   stack_join_manager DIR_A ADDR_A DIR_B ADDR_B
#                                    A's swarm again on ADDR_A, and B, leaving
#                                    its own, joins it as a second manager
#   stack_unjoin DIR_A DIR_B         demote B and let it leave, so that each
#                                    stack can stop alone (quorum stays)

# _sops_dockerd_pid DIR: the pid of DIR's dockerd, when it runs.
_sops_dockerd_pid() {
	local pid
	pid=$(cat "$1/dockerd.pid" 2>/dev/null) || return 1
	_stack_pid_is "$pid" "$1" || return 1
	printf '%s\n' "$pid"
}

stack_kill_dockerd() {
	local dir=$1 sig=${2:-KILL} pid exec_root sock
	local -a left
	exec_root=$(cat "$dir/exec-root")
	if pid=$(_sops_dockerd_pid "$dir"); then
		kill "-$sig" "$pid"
		if ! _stack_wait_gone 30 "$pid"; then
			diag "stack_kill_dockerd: dockerd $pid ignored SIG$sig"
			kill -KILL "$pid"
			_stack_wait_gone 5 "$pid" || return 1
		fi
		wait "$pid" 2>/dev/null || true
	fi
	# After SIGKILL: its containerd goes by itself (it dies with its
	# parent), the shims stay with their containers until a new dockerd
	# cleans them up.  Stop them now, so that "dockerd is down" means
	# nothing of it runs.
	mapfile -t left < <({
		_stack_pids_matching "--config $exec_root/containerd/"
		_stack_pids_matching "-address $exec_root/containerd/containerd.sock"
	})
	if [ ${#left[@]} -gt 0 ]; then
		_stack_shim_sockets "${left[@]}" >"$dir/shim-sockets"
		for pid in "${left[@]}"; do
			_stack_kill_tree KILL "$pid"
		done
		_stack_wait_gone 5 "${left[@]}" || return 1
		# A killed shim leaves its socket behind.
		while read -r sock; do
			rm -f -- "$sock"
		done <"$dir/shim-sockets"
	fi
	# A new dockerd reuses the containerd named in this file when that
	# pid exists, and the dead one may linger as a zombie until its new
	# parent reaps it: dockerd would then wait for it in vain.
	rm -f "$exec_root/containerd/containerd.pid"
}

# dockerd is started by stack.sh's _stack_dockerd_spawn, as stack_start does.
stack_start_dockerd() {
	local dir=$1 exec_root sock pid i state=
	exec_root=$(cat "$dir/exec-root") || return 1
	sock=$(cat "$dir/docker-sock") || return 1
	if _sops_dockerd_pid "$dir" >/dev/null; then
		diag "stack_start_dockerd: dockerd of $dir still runs"
		return 1
	fi
	# A new log: _stack_stop_dockerd looks for the last shutdown in it.
	[ ! -f "$dir/dockerd.log" ] ||
	    mv "$dir/dockerd.log" "$dir/dockerd.log.$(date +%s%N)"
	_stack_dockerd_spawn "$dir" "$sock" "$exec_root"
	pid=$!
	# Up when it answers, and the swarm is back when this node is an
	# active manager again (raft state from the data root).
	for ((i = 0; i < STACK_START_TIMEOUT * 10; i++)); do
		state=$(_stack_cli_timeout=5 _stack_docker "$dir" info --format \
		    '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' \
		    2>/dev/null) || state=
		[ "$state" != "active true" ] || return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	[ -z "${WORK-}" ] || cp "$dir/dockerd.log" "$WORK/dockerd-restart.log"
	diag "stack_start_dockerd: dockerd not back as a manager ('$state'); log:" \
	    "$(tail -n 30 "$dir/dockerd.log")"
	return 1
}

stack_bs_stop() {
	local dir=$1 pid
	pid=$(cat "$dir/beanstalkd.pid")
	_stack_pid_is "$pid" beanstalkd || return 0
	kill -TERM "$pid"
	_stack_wait_gone 5 "$pid" || kill -KILL "$pid"
	_stack_wait_gone 5 "$pid" || return 1
	wait "$pid" 2>/dev/null || true
}

# _sops_bs_wait PID PORT: wait until the beanstalkd on PORT is PID (its
# `stats` says so); 1 when PID died or another process has the port.
_sops_bs_wait() {
	# shellcheck disable=SC2034 # BS_* are set by bs_open and bs_cmd
	local pid=$1 port=$2 i BS_FD='' BS_REPLY BS_DATA
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || return 1
		if bs_open 127.0.0.1 "$port" 2>/dev/null; then
			bs_cmd stats || true
			bs_close
			case $BS_DATA in
			*"pid: $pid"*) return 0 ;;
			esac
		fi
		sleep 0.1
	done
	return 1
}

stack_bs_start() {
	local dir=$1 port pid
	shift
	port=$(cat "$dir/beanstalkd.port")
	_stack_spawn "$dir/beanstalkd.log" beanstalkd -l 127.0.0.1 -p "$port" "$@"
	pid=$!
	printf '%s\n' "$pid" >"$dir/beanstalkd.pid"
	if ! _sops_bs_wait "$pid" "$port"; then
		diag "stack_bs_start: beanstalkd did not come back on $port:" \
		    "$(tail -n 5 "$dir/beanstalkd.log")"
		return 1
	fi
}

bs_extra() {
	local name=$1 try
	shift
	for ((try = 0; try < 10; try++)); do
		BS_PORT=$(free_port) || return 1
		bg_start "$name" beanstalkd -l 127.0.0.1 -p "$BS_PORT" "$@"
		! _sops_bs_wait "$BG_PID" "$BS_PORT" || return 0
		# Another process won the race for the port.
		bg_stop "$name"
	done
	diag "bs_extra $name: no beanstalkd started"
	return 1
}

stack_link() {
	local a b
	a=$(_sops_dockerd_pid "$1") || return 1
	b=$(_sops_dockerd_pid "$3") || return 1
	# Made inside A's namespace with the peer straight in B's: no name
	# ever appears in the host's namespace.
	nsenter --net="/proc/$a/ns/net" ip link add dpl0 type veth peer \
	    name dpl1 netns "/proc/$b/ns/net" || return 1
	nsenter --net="/proc/$a/ns/net" sh -c "ip addr add $2/24 dev dpl0 &&
	    ip link set dpl0 up" || return 1
	nsenter --net="/proc/$b/ns/net" sh -c "ip addr add $4/24 dev dpl1 &&
	    ip link set dpl1 up" || return 1
}

stack_join_manager() {
	local a=$1 addr_a=$2 b=$3 addr_b=$4 token
	# stack_start advertised 127.0.0.1, which a second node cannot
	# reach: A starts its swarm over on the link.
	_stack_docker "$a" swarm leave --force >/dev/null &&
	    _stack_docker "$a" swarm init --advertise-addr "$addr_a" \
		--listen-addr "$addr_a:2377" >/dev/null &&
	    _stack_docker "$b" swarm leave --force >/dev/null &&
	    token=$(_stack_docker "$a" swarm join-token -q manager) &&
	    _stack_docker "$b" swarm join --token "$token" \
		--advertise-addr "$addr_b" --listen-addr "$addr_b:2377" \
		"$addr_a:2377" >/dev/null
}

stack_unjoin() {
	local a=$1 b=$2 id i
	local _stack_cli_timeout=15
	id=$(_stack_docker "$b" info --format '{{.Swarm.NodeID}}' 2>/dev/null) ||
	    return 0
	[ -n "$id" ] || return 0
	_stack_docker "$a" node demote "$id" >/dev/null 2>&1 || true
	# The demotion reaches B through raft; leaving before that would
	# take a manager (and the quorum) away.
	for ((i = 0; i < 50; i++)); do
		[ "$(_stack_docker "$b" info --format \
		    '{{.Swarm.ControlAvailable}}' 2>/dev/null)" != true ] && break
		sleep 0.1
	done
	_stack_docker "$b" swarm leave --force >/dev/null 2>&1 || true
}
