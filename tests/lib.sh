#!/bin/bash
# lib.sh: TAP output, a per-test stack, and CGI/FastCGI/beanstalkd helpers
# shellcheck source-path=SCRIPTDIR
#
# An integration test is tests/integration/tNNNN-name.sh:
#
#   #!/bin/bash
#   set -eu
#   # shellcheck source-path=SCRIPTDIR source=../lib.sh
#   . "${0%/*}/../lib.sh"
#   stack_up                          # dockerd + swarm + beanstalkd, env loaded
#   svc_create web local/app:v1
#   CGI_ENV="DEPLOYER_CONFIG=$WORK/deployer.conf"
#   AUTH="Bearer secret"
#   run_cgi PUT /service/web '{"image":"local/app:v2"}'
#   is "$STATUS" 200 "deploy accepted"
#   is "$(svc_image web)" local/app:v2 "service updated"
#   done_testing
#
# TAP: plan N (optional), check MSG [!] CMD..., pass MSG, fail MSG [DIAG...],
# is GOT WANT MSG, like GOT REGEX MSG, diag MSG..., bail_out MSG,
# done_testing.
#
# One convention, the same as tests/tap.h's ok(cond): an assertion states
# the condition that passes.  check runs CMD and passes when it succeeds
# (with "!", when it fails), so that a condition is written as a command,
# never as an exit status to compare: `check "socket gone" [ ! -e "$sock" ]`,
# `check "process alive" fcgi_alive`.  pass and fail are for a condition
# the test decided itself (if ...; then pass MSG; else fail MSG; fi).
# There is no `ok` here: `ok 0` would read as a failure to a C reader.
#
# Assertions always return 0, so a failed one does not stop the script; the
# exit status is 1 if any failed.  A script that exits before done_testing (a failing
# command under set -e, a signal, an explicit exit) prints "Bail out!" and
# exits non-zero.  TAP lines go to the script's original stdout even from
# inside $(...).
#
# Clean-up (EXIT trap; a test must not set its own): at_exit commands (last
# first), fcgi_stop, bg_stop for every bg_start, stack_stop for every stack
# in $WORK, remove $WORK (unless KEEP_WORK=1).  On failure the deployer's
# stderr and the end of the daemon logs are copied to stderr, which automake
# puts into the test's .log file.
#
# Variables a test may set:
#   CGI_ENV      settings: space-separated NAME=VALUE, given to the deployer's
#                process environment (each CGI run; fcgi_start)
#   AUTH         when set, sent as HTTP_AUTHORIZATION
#   REQ_ENV      extra or overriding request variables, NAME=VALUE ...
#                (CGI environment; FastCGI params), e.g. CONTENT_LENGTH=
#   REQ_UNSET    request variables to leave out, e.g. CONTENT_LENGTH
#   CONTENT_TYPE_REQ  request body type (default application/json)
#   CGI_WRAPPER  command prefix for the deployer, e.g. "valgrind -q
#                --error-exitcode=99 --leak-check=full"
#   FCGI_ARGS    arguments for the deployer under fcgi_start
#   CGI_TIMEOUT  seconds a CGI or FastCGI request may take (default 60)
#   DEPLOYER     the program (default $top_builddir/src/deployer)
#   TEST_TIMEOUT seconds the whole test may take (default 900, 0: none);
#                then what it runs is stopped and the test bails out
# Values in these lists cannot contain spaces.

# Bash >= 4.4 for `local -`.
if [ -z "${BASH_VERSINFO-}" ] || [ "${BASH_VERSINFO[0]}${BASH_VERSINFO[1]}" -lt 44 ]; then
	echo "Bail out! tests need bash >= 4.4"
	exit 1
fi

_lib_dir=$(cd "${BASH_SOURCE[0]%/*}" && pwd -P)
# make check exports both; default to the source tree for manual runs.
top_srcdir=${top_srcdir:-${_lib_dir%/tests}}
top_builddir=${top_builddir:-$top_srcdir}
DEPLOYER=${DEPLOYER:-$top_builddir/src/deployer}
export top_srcdir top_builddir

# shellcheck source=stack.sh
. "$_lib_dir/stack.sh"

# ---------------------------------------------------------------- TAP

exec {_tap_fd}>&1
_tap_n=0
_tap_failed=0
_tap_plan=
_tap_done=
_lib_err=
_lib_watchdog_pid=

_tap_out() {
	printf '%s\n' "$@" >&"$_tap_fd"
}

# diag MSG...: TAP comment lines ("# ..."), one per line of each MSG.
diag() {
	local msg line
	for msg in "$@"; do
		while IFS= read -r line; do
			_tap_out "# $line"
		done <<<"$msg"
	done
}

# plan N: announce N tests (or let done_testing print the count).
plan() {
	_tap_plan=$1
	_tap_out "1..$1"
}

# _tap_result PASSED MSG WHERE: one test line; PASSED is 1 (passed) or 0.
_tap_result() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" = 1 ]; then
		_tap_out "ok $_tap_n - $2"
	else
		_tap_failed=$((_tap_failed + 1))
		_tap_out "not ok $_tap_n - $2"
		diag "  Failed test '$2'" "  at $3."
	fi
}

# pass MSG: a test the caller decided has passed.
pass() {
	_tap_result 1 "${1-}" "${BASH_SOURCE[1]##*/} line ${BASH_LINENO[0]}"
	return 0
}

# fail MSG [DIAG...]: a test the caller decided has failed, with
# diagnostics.
fail() {
	_tap_result 0 "${1-}" "${BASH_SOURCE[1]##*/} line ${BASH_LINENO[0]}"
	[ $# -lt 2 ] || diag "${@:2}"
	return 0
}

# ok: not an assertion here (see the top of this file).
ok() {
	bail_out "ok is not a shell assertion: use check MSG CMD..., pass MSG or fail MSG (tests/lib.sh)"
}

# is GOT WANT MSG: string equality.
is() {
	local where="${BASH_SOURCE[1]##*/} line ${BASH_LINENO[0]}"
	if [ "$1" = "$2" ]; then
		_tap_result 1 "${3-}" "$where"
	else
		_tap_result 0 "${3-}" "$where"
		diag "         got: '$1'" "    expected: '$2'"
	fi
	return 0
}

# like GOT REGEX MSG: GOT matches the extended regular expression REGEX.
like() {
	local where="${BASH_SOURCE[1]##*/} line ${BASH_LINENO[0]}"
	if [[ $1 =~ $2 ]]; then
		_tap_result 1 "${3-}" "$where"
	else
		_tap_result 0 "${3-}" "$where"
		diag "                  '$1'" "    doesn't match '$2'"
	fi
	return 0
}

# check MSG [!] CMD...: pass when CMD succeeds, or with "!" when it fails.
# CMD (a command or a function) runs in a subshell; its output and exit
# status are shown on failure.
check() {
	local where="${BASH_SOURCE[1]##*/} line ${BASH_LINENO[0]}" msg=$1
	local out rc=0 neg='' passed=0
	shift
	if [ "${1-}" = "!" ]; then
		neg='! '
		shift
	fi
	out=$("$@" 2>&1) || rc=$?
	if { [ -z "$neg" ] && [ "$rc" = 0 ]; } ||
	    { [ -n "$neg" ] && [ "$rc" != 0 ]; }; then
		passed=1
	fi
	_tap_result "$passed" "$msg" "$where"
	if [ "$passed" = 0 ]; then
		diag "  command: $neg$*" "  exit status: $rc"
		[ -z "$out" ] || diag "$out"
	fi
	return 0
}

# bail_out MSG: stop the whole test now.
bail_out() {
	_lib_err=$1
	exit 1
}

# done_testing: the script reached its end.
done_testing() {
	[ -n "$_tap_plan" ] || _tap_out "1..$_tap_n"
	if [ -n "$_tap_plan" ] && [ "$_tap_plan" != "$_tap_n" ]; then
		diag "planned $_tap_plan tests but ran $_tap_n"
		_tap_failed=$((_tap_failed + 1))
	fi
	_tap_done=1
}

# ---------------------------------------------------------------- clean-up

_lib_on_err() {
	local rc=$?
	# Only failures that stop the script matter (errexit on), and only the
	# innermost: ERR fires again in every function the failure leaves.
	case $- in
	*e*) ;;
	*) return 0 ;;
	esac
	[ -n "$_lib_err" ] || _lib_err="'$BASH_COMMAND' failed (status $rc) at ${BASH_SOURCE[1]##*/} line ${BASH_LINENO[0]}"
}

# _lib_tail TITLE FILE [N]: the end of FILE on stderr.
_lib_tail() {
	[ -s "$2" ] || return 0
	printf '### %s (%s, last %s lines)\n' "$1" "$2" "${3:-40}" >&2
	tail -n "${3:-40}" "$2" >&2
}

_lib_exit() {
	local rc=$1
	trap - ERR INT TERM
	trap '' PIPE
	set +eE
	if [ -n "$_lib_watchdog_pid" ]; then
		pkill -TERM -P "$_lib_watchdog_pid"
		kill "$_lib_watchdog_pid" 2>/dev/null
	fi
	if [ -n "${WORK-}" ] && [ -f "$WORK/.watchdog" ]; then
		_lib_err="ran longer than TEST_TIMEOUT=$TEST_TIMEOUT s; it was running: $(tr '\n' ';' <"$WORK/.watchdog")"
	fi
	# Sanitizer and valgrind reports fail the test even if every
	# assertion passed.
	local f
	for f in "$WORK/deployer.log" "$WORK/fcgi.log"; do
		if [ -f "$f" ] && grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error:|ERROR SUMMARY: [1-9]' "$f"; then
			diag "sanitizer/valgrind report in $f"
			_tap_failed=$((_tap_failed + 1))
		fi
	done
	local i name
	for ((i = ${#_lib_at_exit[@]} - 1; i >= 0; i--)); do
		eval "${_lib_at_exit[i]}"
	done
	fcgi_stop
	for name in "${!_lib_bg[@]}"; do
		bg_stop "$name"
	done
	if [ -z "$_tap_done" ]; then
		_tap_out "Bail out! ${0##*/} stopped before done_testing (exit status $rc)${_lib_err:+: $_lib_err}"
		[ "$rc" != 0 ] || rc=1
	elif [ "$_tap_failed" -gt 0 ]; then
		rc=1
	fi
	if [ "$rc" != 0 ] && [ -n "${WORK-}" ]; then
		_lib_tail "deployer stderr, CGI runs" "$WORK/deployer.log"
		_lib_tail "deployer stderr, FastCGI" "$WORK/fcgi.log"
		_lib_tail dockerd "$WORK/stack/dockerd.log" 20
		_lib_tail beanstalkd "$WORK/stack/beanstalkd.log" 10
	fi
	if [ -n "${WORK-}" ] && [ -d "$WORK" ]; then
		# Every stack in the work dir: stack_up's, and any a test
		# started itself.  If one cannot be stopped, removing the
		# directory would only delete what stack_stop needs.
		local keep=${KEEP_WORK-}
		_lib_stop_stacks || { rc=1; keep=1; }
		if [ "$keep" = 1 ]; then
			printf 'work dir kept: %s\n' "$WORK" >&2
		else
			rm -rf --one-file-system -- "$WORK"
		fi
	fi
	exit "$rc"
}

# _lib_stop_stacks: stop every stack in $WORK (stack_up's, and any a test
# started itself); 1 if one could not be stopped.
_lib_stop_stacks() {
	local marker rc=0
	for marker in "$WORK"/*/.stack; do
		[ -f "$marker" ] || continue
		stack_stop "${marker%/.stack}" || rc=1
	done
	return "$rc"
}

# _lib_kill_tree PID [SIGNAL]: SIGNAL (TERM) to PID's descendants,
# deepest first, but not to the watchdog itself nor to a stack's daemons
# (stack_stop stops those).
_lib_kill_tree() {
	local p
	for p in $(pgrep -P "$1"); do
		[ "$p" != "$BASHPID" ] || continue
		case $(ps -o comm= -p "$p") in
		dockerd | containerd*) continue ;;
		esac
		_lib_kill_tree "$p" "${2:-TERM}"
		kill "-${2:-TERM}" "$p" 2>/dev/null || true
	done
}

# _lib_watchdog SECONDS: in the background, stop the test after SECONDS.
# Bash runs the TERM trap only when its foreground command returns, so
# what the test was running is stopped too, and named in the Bail out
# line.  A hung test fails on its own instead of holding make check
# until CI's limit.
_lib_watchdog() {
	local s i
	trap - ERR EXIT INT
	# The TAP descriptor is the test's stdout: holding it would keep a
	# reader of that stdout waiting for the sleep.
	exec {_tap_fd}>&-
	sleep "$1" &
	s=$!
	trap 'kill "$s" 2>/dev/null; exit 0' TERM
	wait "$s" || exit 0
	trap 'exit 0' TERM
	pgrep -a -P $$ | grep -v "^$BASHPID " >"$WORK/.watchdog" || true
	kill -TERM $$ 2>/dev/null
	_lib_kill_tree $$
	# A shell that does not stop within 20 s is stuck where no trap runs
	# (bash waiting for a child it has already reaped): then the
	# watchdog says so on the test's output, cleans up and kills it.
	for i in $(seq 20); do
		sleep 1
		kill -0 $$ 2>/dev/null || exit 0
	done
	_tap_out() {
		printf '%s\n' "$@" >"/proc/$$/fd/$_tap_fd"
	}
	_tap_out "Bail out! ${0##*/} ran longer than TEST_TIMEOUT=$TEST_TIMEOUT s and did not stop; it was running: $(tr '\n' ';' <"$WORK/.watchdog")"
	_lib_kill_tree $$ KILL
	_lib_stop_stacks
	rm -rf --one-file-system -- "$WORK"
	kill -KILL $$
	exit 0
}

_lib_at_exit=()
declare -A _lib_bg=()
set -o errtrace
trap _lib_on_err ERR
trap '_lib_exit $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# The reader of the TAP output gone (make check interrupted): clean up
# all the same instead of dying at the next line written.
trap 'exit 141' PIPE

# The work dir: short, because unix socket paths (the FastCGI socket, the
# stack's docker socket) must stay under 108 bytes.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/${0##*/}.XXXXXX")
if [ ${#WORK} -gt 60 ]; then
	rmdir "$WORK"
	WORK=$(mktemp -d "/tmp/${0##*/}.XXXXXX")
fi
export WORK

# TEST_TIMEOUT: seconds a whole test may take (default 900; 0: no limit).
TEST_TIMEOUT=${TEST_TIMEOUT:-900}
if [ "$TEST_TIMEOUT" != 0 ]; then
	_lib_watchdog "$TEST_TIMEOUT" </dev/null >/dev/null 2>&1 &
	_lib_watchdog_pid=$!
fi

# ---------------------------------------------------------------- stack

# docker ARGS...: Debian's client, on this test's daemon only.
docker() {
	if [ -z "${DOCKER_HOST-}" ] || [ -z "${STACK_DIR-}" ]; then
		echo "docker: no test stack (call stack_up first)" >&2
		return 1
	fi
	"${DOCKER_BIN:-$STACK_DOCKER}" -H "$DOCKER_HOST" "$@"
}

# stack_up: start this test's stack in $WORK/stack and load its settings.
stack_up() {
	# Never talk to a daemon configured outside the test.
	unset DOCKER_HOST DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
	stack_start "$WORK/stack" || bail_out "the test stack did not start"
	# shellcheck source=/dev/null
	. "$WORK/stack/stack.env"
	diag "stack up in $(sed -n 's/^total *//p' "$STACK_DIR/timing")"
}

# svc_create NAME IMAGE [DOCKER-SERVICE-CREATE-OPTIONS...]: create a
# service without waiting for it; prints its ID.  --no-resolve-image keeps
# the spec's image exactly IMAGE (no registry lookup, no digest pinning).
# Each task of a rolling update takes ~1.5 s here, and the update is
# "completed" only after the monitor period (default 5 s) has passed after
# the last task; pass --update-monitor 1s where that wait is not the point.
svc_create() {
	local name=$1 image=$2
	shift 2
	docker service create --detach --quiet --no-resolve-image \
	    --name "$name" "$@" "$image"
}

# svc_image NAME: the image in the service's spec.
svc_image() {
	docker service inspect --format \
	    '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$1"
}

# svc_update_state NAME: UpdateStatus.State (empty when never updated).
svc_update_state() {
	docker service inspect --format \
	    '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$1"
}

# svc_running NAME: how many of its tasks are running now.
svc_running() {
	docker service ps --filter desired-state=running \
	    --format '{{.CurrentState}}' "$1" | grep -c '^Running' || true
}

# svc_wait_running NAME N [TIMEOUT]: wait until exactly N tasks run.
svc_wait_running() {
	local i n
	for ((i = 0; i < ${3:-60} * 5; i++)); do
		n=$(svc_running "$1")
		[ "$n" != "$2" ] || return 0
		sleep 0.2
	done
	diag "svc_wait_running $1: $n tasks running, not $2, after ${3:-60} s"
	diag "$(docker service ps --no-trunc "$1" 2>&1)"
	return 1
}

# svc_wait_update NAME [TIMEOUT]: wait for a rolling update to end; print
# the final UpdateStatus.State (completed, paused, rollback_completed,
# rollback_paused).
svc_wait_update() {
	local i state
	for ((i = 0; i < ${2:-60} * 5; i++)); do
		state=$(svc_update_state "$1")
		case $state in
		completed | paused | rollback_completed | rollback_paused)
			printf '%s\n' "$state"
			return 0
			;;
		esac
		sleep 0.2
	done
	diag "svc_wait_update $1: still '$state' after ${2:-60} s"
	printf '%s\n' "$state"
	return 1
}

# svc_containers NAME: IDs of the service's running containers.
svc_containers() {
	docker ps -q --filter "label=com.docker.swarm.service.name=$1"
}

# ---------------------------------------------------------------- requests

# _lib_settings: fill _settings with the process environment for the
# deployer: CGI_ENV, plus sanitizer options when the test run has them.
_lib_settings() {
	local v
	local -a w
	_settings=()
	for v in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS; do
		[ -z "${!v-}" ] || _settings+=("$v=${!v}")
	done
	read -ra w <<<"${CGI_ENV-}"
	_settings+=("${w[@]}")
}

# _lib_request METHOD PATH [BODY]: fill _req with the request variables a
# web server passes (RFC 3875 §4.1) and write the body to $WORK/request.
# PATH may carry ?QUERY.  PATH_INFO is used as given (servers decode it).
_lib_request() {
	local method=$1 path=$2 pi qs='' v skip LC_ALL=C
	local -a req extra unset
	pi=${path%%\?*}
	[ "$pi" = "$path" ] || qs=${path#*\?}
	req=(REQUEST_METHOD="$method" PATH_INFO="$pi" QUERY_STRING="$qs"
	    SCRIPT_NAME=/deployer REQUEST_URI="/deployer$path"
	    SERVER_PROTOCOL=HTTP/1.1 GATEWAY_INTERFACE=CGI/1.1
	    SERVER_SOFTWARE=deployer-tests SERVER_NAME=localhost
	    SERVER_PORT=80 REMOTE_ADDR=127.0.0.1 REMOTE_PORT=40000
	    HTTP_HOST=localhost)
	if [ $# -ge 3 ]; then
		printf '%s' "$3" >"$WORK/request"
		# In bytes (LC_ALL=C): what the body file holds.
		req+=(CONTENT_LENGTH="${#3}"
		    CONTENT_TYPE="${CONTENT_TYPE_REQ:-application/json}")
	else
		: >"$WORK/request"
	fi
	[ -z "${AUTH+set}" ] || req+=(HTTP_AUTHORIZATION="$AUTH")
	# Builtins only: this runs thousands of times (t0450), and every
	# fork here would be one more child for bash to reap.
	read -ra extra <<<"${REQ_ENV-}"
	read -ra unset <<<"${REQ_UNSET-}"
	req+=("${extra[@]}")
	_req=()
	for v in "${req[@]}"; do
		for skip in "${unset[@]}"; do
			[ "${v%%=*}" != "$skip" ] || continue 2
		done
		_req+=("$v")
	done
}

# _lib_response RC: parse $WORK/response like a web server: headers up to the
# first empty line (LF or CRLF), Status: or 200.  Output that is not a CGI
# response (nothing, no end of headers, a line without a colon) gives 502,
# as nginx does; a timeout gives 504.
_lib_response() {
	local rc=$1 LC_ALL=C line len=0 end='' bad=''
	: >"$WORK/headers"
	while IFS= read -r line; do
		len=$((len + ${#line} + 1))
		line=${line%$'\r'}
		if [ -z "$line" ]; then
			end=1
			break
		fi
		case $line in
		*:*) ;;
		*) bad=1 ;;
		esac
		printf '%s\n' "$line" >>"$WORK/headers"
	done <"$WORK/response"
	if [ -n "$end" ]; then
		tail -c +$((len + 1)) "$WORK/response" >"$WORK/body"
	else
		cp "$WORK/response" "$WORK/body"
	fi
	BODY=$(cat "$WORK/body")
	STATUS=$(hdr_get Status)
	STATUS=${STATUS%% *}
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		STATUS=504
	elif [ -z "$end" ] || [ -n "$bad" ]; then
		STATUS=502
	elif [ -z "$STATUS" ]; then
		STATUS=200
	fi
	# Not exported: a big body in the environment would break every
	# later exec (one string may hold at most 128 KiB).
}

# hdr_get NAME: the value of response header NAME (case-insensitive).
hdr_get() {
	local name value
	while IFS=: read -r name value; do
		if [ "${name,,}" = "${1,,}" ]; then
			value=${value#"${value%%[![:space:]]*}"}
			printf '%s\n' "$value"
			return 0
		fi
	done <"$WORK/headers"
	return 0
}

# _lib_log FILE: append this request and its stderr to FILE.
_lib_log() {
	{
		printf '=== %s %s (exit %s)\n' "${_req[0]#*=}" "${_req[1]#*=}" "$2"
		cat "$WORK/stderr"
	} >>"$1"
}

# run_cgi METHOD PATH [BODY]: run the deployer as a CGI program, with a clean
# environment as a web server builds it.  Sets STATUS, BODY, CGI_EXIT;
# files $WORK/headers, $WORK/body, $WORK/stderr.
run_cgi() {
	local -a _req _settings wrapper
	[ -x "$DEPLOYER" ] || bail_out "$DEPLOYER is not built"
	_lib_request "$@"
	_lib_settings
	read -ra wrapper <<<"${CGI_WRAPPER-}"
	CGI_EXIT=0
	(_stack_exec_clean timeout -k 5 "${CGI_TIMEOUT:-60}" \
	    env -i "${_req[@]}" "${_settings[@]}" "${wrapper[@]}" "$DEPLOYER") \
	    <"$WORK/request" >"$WORK/response" 2>"$WORK/stderr" || CGI_EXIT=$?
	_lib_log "$WORK/deployer.log" "$CGI_EXIT"
	_lib_response "$CGI_EXIT"
}

# fcgi_start: start the deployer as a FastCGI server on $WORK/fcgi.sock
# (spawn-fcgi: the listening socket becomes its stdin), with the CGI_ENV
# settings as its environment and FCGI_ARGS as its arguments.
fcgi_start() {
	local -a _settings wrapper args
	local i
	[ -x "$DEPLOYER" ] || bail_out "$DEPLOYER is not built"
	[ -z "${FCGI_PID-}" ] || bail_out "fcgi_start: already running"
	FCGI_SOCK=$WORK/fcgi.sock
	rm -f "$FCGI_SOCK"
	_lib_settings
	read -ra wrapper <<<"${CGI_WRAPPER-}"
	read -ra args <<<"${FCGI_ARGS-}"
	# Output in $WORK/fcgi.log.
	bg_start fcgi env -i "${_settings[@]}" \
	    "$(command -v spawn-fcgi)" -n -s "$FCGI_SOCK" -M 0600 -- \
	    "${wrapper[@]}" "$DEPLOYER" "${args[@]}"
	FCGI_PID=$BG_PID
	for ((i = 0; i < 100; i++)); do
		[ ! -S "$FCGI_SOCK" ] || return 0
		kill -0 "$FCGI_PID" 2>/dev/null || break
		sleep 0.1
	done
	diag "fcgi_start: no socket; log:" "$(cat "$WORK/fcgi.log")"
	return 1
}

# fcgi_alive: the FastCGI process is still running.
fcgi_alive() {
	[ -n "${FCGI_PID-}" ] && ! _stack_wait_gone 0 "$FCGI_PID"
}

# run_fcgi METHOD PATH [BODY]: send one request to the FastCGI process with
# cgi-fcgi (its environment becomes the request params, its stdin the body;
# it sends CONTENT_LENGTH bytes).  Sets what run_cgi sets; CGI_EXIT is
# cgi-fcgi's exit status.
run_fcgi() {
	local -a _req
	[ -n "${FCGI_SOCK-}" ] || bail_out "run_fcgi: call fcgi_start first"
	_lib_request "$@"
	CGI_EXIT=0
	(_stack_exec_clean timeout -k 5 "${CGI_TIMEOUT:-60}" env -i "${_req[@]}" \
	    "$(command -v cgi-fcgi)" -bind -connect "$FCGI_SOCK") \
	    <"$WORK/request" >"$WORK/response" 2>"$WORK/stderr" || CGI_EXIT=$?
	_lib_log "$WORK/fcgi-client.log" "$CGI_EXIT"
	_lib_response "$CGI_EXIT"
}

# fcgi_stop: stop the FastCGI process as bg_stop does; its exit status is
# left in FCGI_EXIT.
fcgi_stop() {
	[ -n "${FCGI_PID-}" ] || return 0
	bg_stop fcgi
	# shellcheck disable=SC2034 # for the tests
	FCGI_EXIT=$BG_EXIT
	FCGI_PID=
	rm -f "${FCGI_SOCK-}"
}

# ---------------------------------------------------------------- daemons

# at_exit COMMAND: run COMMAND (a string, eval'd) when the test exits,
# before the stack stops; the last one added runs first.
at_exit() {
	_lib_at_exit+=("$1")
}

# bg_start NAME CMD...: run CMD in the background (a web server in the
# foreground, say) with its output in $WORK/NAME.log and no stray
# descriptors; its pid is in BG_PID.  It is stopped at exit.  CMD may be a
# function: `bg_start registry stack_netns_exec "$STACK_DIR" docker-registry
# serve config.yml` runs a registry where dockerd can reach it.
bg_start() {
	local name=$1
	shift
	[ -z "${_lib_bg[$name]-}" ] || bail_out "bg_start: $name runs already"
	_stack_spawn "$WORK/$name.log" "$@"
	_lib_bg[$name]=$!
	# shellcheck disable=SC2034 # for the tests
	BG_PID=$!
}

# bg_stop NAME: SIGTERM it and its descendants (SIGKILL after 10 s); its
# exit status is left in BG_EXIT.
bg_stop() {
	local name=$1 pid=${_lib_bg[$1]-} rc=0
	[ -n "$pid" ] || return 0
	_stack_kill_tree TERM "$pid"
	if ! _stack_wait_gone 10 "$pid"; then
		diag "bg_stop $name: $pid ignored SIGTERM"
		_stack_kill_tree KILL "$pid"
	fi
	wait "$pid" 2>/dev/null || rc=$?
	unset "_lib_bg[$name]"
	# shellcheck disable=SC2034 # for the tests
	BG_EXIT=$rc
}

# wait_tcp PORT [SECONDS]: wait until 127.0.0.1:PORT accepts connections
# (default 10 s).
wait_tcp() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	diag "wait_tcp: nothing listens on 127.0.0.1:$1 after ${2:-10} s"
	return 1
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on (see
# stack_free_port; the caller's daemon may still lose a race for it).
free_port() {
	stack_free_port
}

# ---------------------------------------------------------------- beanstalkd

# bs_jobs TUBE: reserve and delete every ready job in TUBE; print the bodies,
# one per line.
bs_jobs() {
	local BS_FD='' BS_REPLY BS_DATA id rc=0
	bs_open "$BEANSTALK_HOST" "$BEANSTALK_PORT" || return 1
	if [ "$1" != default ]; then
		if ! bs_cmd "watch $1" || ! bs_cmd "ignore default"; then
			rc=1
		fi
	fi
	while [ "$rc" = 0 ] && bs_cmd "reserve-with-timeout 0"; do
		case $BS_REPLY in
		"RESERVED "*)
			id=${BS_REPLY#RESERVED }
			id=${id%% *}
			printf '%s\n' "$BS_DATA"
			bs_cmd "delete $id" || rc=1
			;;
		TIMED_OUT) break ;;
		*)
			diag "bs_jobs $1: unexpected reply '$BS_REPLY'"
			rc=1
			;;
		esac
	done
	bs_close
	return "$rc"
}

# bs_count TUBE [FIELD]: a number from stats-tube (default
# current-jobs-ready); 0 for a tube that does not exist.
bs_count() {
	# shellcheck disable=SC2034 # BS_* are set by bs_open and bs_cmd
	local BS_FD='' BS_REPLY BS_DATA line field=${2:-current-jobs-ready}
	bs_open "$BEANSTALK_HOST" "$BEANSTALK_PORT" || return 1
	bs_cmd "stats-tube $1"
	bs_close
	case $BS_REPLY in
	NOT_FOUND)
		echo 0
		return 0
		;;
	"OK "*) ;;
	*)
		diag "bs_count $1: unexpected reply '$BS_REPLY'"
		return 1
		;;
	esac
	while IFS= read -r line; do
		case $line in
		"$field: "*)
			printf '%s\n' "${line#*: }"
			return 0
			;;
		esac
	done <<<"$BS_DATA"
	diag "bs_count $1: no field $field"
	return 1
}

# ---------------------------------------------------------------- JSON

# json_get FIELD: FIELD of the JSON in $BODY (a jq path; the leading dot may
# be left out: status, error.message, .items[0]).  Prints nothing for null
# or a missing field, and when BODY is not JSON (with a diagnostic).
json_get() {
	local path=$1
	[ "${path#.}" != "$path" ] || path=.$path
	if ! printf '%s' "$BODY" |
	    jq -r "$path | if . == null then empty else . end" 2>/dev/null; then
		diag "json_get $1: not JSON or no such path: '$BODY'"
	fi
	return 0
}
