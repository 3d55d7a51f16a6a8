#!/bin/bash
# metrics-cost.sh: what counting costs a whole refused CGI request
#
#   bench/metrics-cost.sh [ROUNDS [RUNS]]      (default 20 rounds of 200)
#
# The program as a CGI process answers a wrong token (401) with the
# counters on (state_dir holds the shared metrics file) and off (state_dir
# names a directory that does not exist: the request pays one failed
# open, nothing else); the two alternate round by round, each round a
# perf stat of RUNS processes.  Prints the CPU time (task-clock) of a
# refused request each way, per round and as medians, and the difference:
# the cost of counting as the process sees it, page faults and system
# calls included.  bench/lib/mcount.c measures the call alone.
#
# DEPLOYER=path  the program (default: src/deployer of this tree)
set -euo pipefail

top=$(cd "${BASH_SOURCE[0]%/*}/.." && pwd -P)
rounds=${1:-20}
runs=${2:-200}
dep=${DEPLOYER:-$top/src/deployer}
[ -x "$dep" ] || { echo "metrics-cost: build $dep first" >&2; exit 1; }
command -v perf >/dev/null || { echo "metrics-cost: perf is needed" >&2; exit 1; }

w=$(mktemp -d /tmp/metrics-cost.XXXXXX)
trap 'rm -rf "$w"' EXIT
mkdir "$w/state"
token=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf 'token = %s\nstate_dir = %s\nspool_dir = off\n' "$token" "$w/state" \
    >"$w/on.conf"
printf 'token = %s\nstate_dir = %s\nspool_dir = off\n' "$token" "$w/absent" \
    >"$w/off.conf"

# cpu_us CONF: the mean task-clock of RUNS refused requests, in us.
cpu_us() {
	env -i REQUEST_METHOD=PUT PATH_INFO=/service/web \
	    GATEWAY_INTERFACE=CGI/1.1 CONTENT_LENGTH=0 REMOTE_ADDR=127.0.0.1 \
	    HTTP_AUTHORIZATION=wrong DEPLOYER_CONFIG="$1" \
	    perf stat -x, -e task-clock -r "$runs" "$dep" </dev/null \
	    2>&1 >/dev/null | awk -F, '$3 == "task-clock" { printf "%.1f\n", $1 * 1000 }'
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

cpu_us "$w/on.conf" >/dev/null	# creates the metrics file
: >"$w/on"
: >"$w/off"
for ((r = 1; r <= rounds; r++)); do
	on=$(cpu_us "$w/on.conf")
	off=$(cpu_us "$w/off.conf")
	printf '%s\n' "$on" >>"$w/on"
	printf '%s\n' "$off" >>"$w/off"
	printf 'round %2d: counted %8s us   not counted %8s us   difference %7.1f us\n' \
	    "$r" "$on" "$off" "$(awk "BEGIN { print $on - $off }")"
done
paste "$w/on" "$w/off" | awk '{ print $1 - $2 }' >"$w/diff"
printf '\nmedian of %d rounds of %d requests: counted %s us, not counted %s us,\n' \
    "$rounds" "$runs" "$(median <"$w/on")" "$(median <"$w/off")"
printf 'counting costs %s us of CPU per refused CGI request (median difference)\n' \
    "$(median <"$w/diff")"
