#!/bin/bash
# t0000-harness.sh: the test harness itself (tests/stack.sh, tests/lib.sh)
#
# Checks what every other integration test stands on: the stack comes up as a
# swarm manager with distinct images, services run, update and fail as they
# should, beanstalkd answers, run_cgi/run_fcgi build the requests a web
# server would and parse the replies, the TAP helpers fail loudly, and
# stack_stop leaves no process, mount, cgroup or directory behind.  It does
# not need src/deployer: stand-in CGI and FastCGI programs are used.
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

# has_line TEXT LINE MSG: TEXT has LINE as one of its lines.
has_line() {
	case $'\n'$1$'\n' in
	*$'\n'"$2"$'\n'*) pass "$3" ;;
	*) fail "$3" "no line '$2' in:" "$1" ;;
	esac
}

# ------------------------------------------------------------ TAP helpers
# Run small scripts that use lib.sh and check what they print and return.
lib_case() {
	local name=$1 rc=0
	shift
	printf '#!/bin/bash\nset -eu\n. %q\n' "$top_srcdir/tests/lib.sh" \
	    >"$WORK/$name.sh"
	printf '%s\n' "$@" >>"$WORK/$name.sh"
	CASE_OUT=$(bash "$WORK/$name.sh" 2>&1) || rc=$?
	CASE_RC=$rc
}

lib_case pass 'pass "decided"' 'is a a "same"' 'like abc "^a.c$" "matches"' \
    'check "true runs" true' 'check "false fails" ! false' 'done_testing'
is "$CASE_RC" 0 "TAP: a passing script exits 0"
is "$CASE_OUT" "$(printf '%s\n' 'ok 1 - decided' 'ok 2 - same' \
    'ok 3 - matches' 'ok 4 - true runs' 'ok 5 - false fails' '1..5')" \
    "TAP: passing output"

lib_case fail 'is got want "mismatch"' 'pass "later"' \
    'like abc "^x" "no match"' 'fail "decided" "why it failed"' \
    'check "false runs" sh -c "echo oops; exit 3"' \
    'check "true fails" ! true' 'done_testing'
is "$CASE_RC" 1 "TAP: failed assertions make the exit status 1"
like "$CASE_OUT" $'not ok 1 - mismatch\n#   Failed test .mismatch.\n#   at fail.sh line 4.\n# +got: .got.\n# +expected: .want.\nok 2 - later' \
    "TAP: 'not ok', where, got and expected"
like "$CASE_OUT" $'not ok 3 - no match\n.*not ok 4 - decided\n.*# why it failed\nnot ok 5 - false runs\n.*exit status: 3\n# oops\nnot ok 6 - true fails\n.*command: ! true\n.*1..6' \
    "TAP: like, fail and check failures with diagnostics"

lib_case die 'pass "first"' 'false' 'pass "never"' 'done_testing'
like "$CASE_RC" '^[1-9]' "TAP: a script dying midway exits non-zero"
like "$CASE_OUT" $'ok 1 - first\nBail out! die.sh stopped before done_testing \\(exit status 1\\): .false. failed \\(status 1\\) at die.sh line 5' \
    "TAP: ... and says 'Bail out!' with the failing command"

# shellcheck disable=SC2016 # the $(...) is for the case script
lib_case fn 'f() { false; echo not reached; }' 'x=$(echo hi)' 'f' \
    'done_testing'
like "$CASE_OUT" "Bail out!.*'false' failed .* at fn.sh line 4" \
    "TAP: a failure inside a function names the innermost command"

lib_case early 'pass "first"' 'exit 0' 'done_testing'
like "$CASE_RC" '^[1-9]' "TAP: exit 0 before done_testing is no pass"
like "$CASE_OUT" 'Bail out!' "TAP: ... and bails out"

lib_case plan 'plan 3' 'pass "one"' 'done_testing'
is "$CASE_RC" 1 "TAP: fewer tests than planned fails"
like "$CASE_OUT" '^1\.\.3' "TAP: plan printed first"

lib_case status 'ok 0 "an exit status"' 'done_testing'
like "$CASE_RC" '^[1-9]' "TAP: ok, the exit-status form, is gone"
like "$CASE_OUT" "Bail out!.*ok is not a shell assertion: use check" \
    "TAP: ... and says what to use instead"

# A hung command: the watchdog stops it and the test, and says what ran.
t0=$(date +%s)
# (exec -a: a name of its own, so that other tests' sleeps do not count)
TEST_TIMEOUT=2 lib_case hang 'pass "first"' '(exec -a t0000-hung sleep 120)' 'pass "never"' \
    'done_testing'
t1=$(date +%s)
like "$CASE_RC" '^[1-9]' "TEST_TIMEOUT: a hung test fails"
like "$CASE_OUT" 'Bail out!.*ran longer than TEST_TIMEOUT=2 s.*t0000-hung 120' \
    "... naming what it was running"
check "... long before the command would have ended ($((t1 - t0)) s)" \
    [ $((t1 - t0)) -lt 60 ]
check "... and nothing of it is left" ! pgrep -f '^t0000-hung 120$'

# A shell that cannot stop (its command ignores TERM, so its trap never
# runs): the watchdog says so, cleans up and kills it.
# shellcheck disable=SC2016 # $SIG is Perl's
TEST_TIMEOUT=2 lib_case stuck 'pass "first"' \
    'perl -e '\''$SIG{TERM} = "IGNORE"; sleep 120; print "t0000-stuck\n"'\' \
    'pass "never"' 'done_testing'
like "$CASE_RC" '^[1-9]' "TEST_TIMEOUT: a test that cannot stop fails"
like "$CASE_OUT" 'Bail out!.*ran longer than TEST_TIMEOUT=2 s and did not stop' \
    "... the watchdog says so"
check "... and nothing of it is left" ! pgrep -f 't0000-stuck'

lib_case exits 'at_exit "echo first added"' 'at_exit "echo second added"' \
    'pass "x"' 'done_testing'
like "$CASE_OUT" $'1..1\nsecond added\nfirst added' "at_exit: runs last-added first"

lib_case nostack 'docker info' 'done_testing'
like "$CASE_OUT" 'no test stack.*Bail out!' \
    "docker() refuses to run without a test stack"

# A test that dies with a stack of its own in $WORK leaves nothing behind.
# shellcheck disable=SC2016 # expanded by the case script
lib_case orphan 'stack_start "$WORK/extra" >/dev/null 2>&1' \
    'echo "dir=$WORK/extra"' 'false' 'done_testing'
orphan=$(sed -n 's/^dir=//p' <<<"$CASE_OUT")
like "$orphan" "/extra\$" "a dying test with its own stack in \$WORK"
is "$(_stack_pids_matching "$orphan/")$(_stack_mounts "$orphan")" "" \
    "... leaves no process or mount of it"
check "... nor its directory" [ ! -e "$orphan" ]

# ------------------------------------------------------------ the stack
t0=$(date +%s%N)
stack_up
start_ms=$((($(date +%s%N) - t0) / 1000000))
pass "stack_up in $start_ms ms"
like "$DOCKER_HOST" "^unix://$STACK_DIR/docker.sock$" "DOCKER_HOST is the stack's socket"
like "$BEANSTALK_ADDR" '^127\.0\.0\.1:[0-9]+$' "BEANSTALK_ADDR is on loopback"
is "$(docker info --format '{{.Swarm.LocalNodeState}}')" active \
    "swarm is active"
is "$(docker info --format '{{.Swarm.ControlAvailable}}')" true \
    "node is a manager"
is "$(docker version --format '{{.Server.Version}}' | cut -d. -f1)" 20 \
    "Debian's dockerd 20.10"
is "$(docker version --format '{{.Client.Version}}' | cut -d. -f1)" 20 \
    "docker() is Debian's client, whatever else is on PATH"

ids=$(for i in local/app:v1 local/app:v2 local/app:v3 local/crash:v1; do
	docker image inspect --format '{{.Id}}' "$i"
done)
is "$(sort -u <<<"$ids" | grep -c .)" 4 "four images with distinct IDs"

# A second stack at the same time shares nothing with this one.
stack_start "$WORK/second" >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 0 "a second stack starts alongside"
(
	# shellcheck source=/dev/null
	. "$WORK/second/stack.env"
	[ "$STACK_DIR" = "$WORK/second" ] &&
	    [ "$BEANSTALK_ADDR" != "$(sed -n 's/^export BEANSTALK_ADDR=//p' \
		"$WORK/stack/stack.env")" ] &&
	    [ "$(docker info --format '{{.Swarm.NodeID}}')" != "$(
		DOCKER_HOST=unix://$WORK/stack/docker.sock \
		    docker info --format '{{.Swarm.NodeID}}')" ]
) && rc=0 || rc=$?
is "$rc" 0 "... with its own socket, swarm and beanstalkd port"
stack_stop "$WORK/second"
check "... and stops" [ ! -e "$WORK/second" ]

# ------------------------------------------------------------ services
# --update-monitor 1s: an update is complete 1 s after its last task runs,
# not 5 s (the default).
check "svc_create app (2 replicas of local/app:v1)" \
    svc_create app local/app:v1 --replicas 2 --update-monitor 1s
rc=0; svc_wait_running app 2 60 || rc=$?
is "$rc" 0 "2 tasks running"
is "$(svc_image app)" local/app:v1 "svc_image: local/app:v1"
versions() {
	local c
	for c in $(svc_containers "$1"); do
		docker exec "$c" cat /etc/app-version
	done | sort | tr '\n' ' '
}
is "$(versions app)" "v1 v1 " "the containers run the v1 image"

t0=$(date +%s%N)
docker service update --detach --quiet --no-resolve-image \
    --image local/app:v2 app >/dev/null
state=$(svc_wait_update app 90) || true
is "$state" completed "update to local/app:v2 completed"
rc=0; svc_wait_running app 2 30 || rc=$?
is "$rc" 0 "2 tasks running after the update"
diag "rolling update of 2 tasks: $((($(date +%s%N) - t0) / 1000000)) ms"
is "$(svc_image app)" local/app:v2 "svc_image: local/app:v2"
is "$(docker service ps --filter desired-state=running --format '{{.Image}}' app |
    sort -u)" local/app:v2 "the running tasks are v2 tasks"
is "$(versions app)" "v2 v2 " "the containers run the v2 image"

check "svc_create crash (local/crash:v1)" \
    svc_create crash local/crash:v1 --restart-condition none
for ((i = 0; i < 150; i++)); do
	st=$(docker service ps --no-trunc --format '{{.CurrentState}}|{{.Error}}' crash)
	case $st in
	Failed*) break ;;
	esac
	sleep 0.2
done
like "$st" '^Failed .*\|"?task: non-zero exit \(1\)"?$' "the crash task fails with exit 1"
is "$(svc_running crash)" 0 "no crash task is running"

# ------------------------------------------------------------ beanstalkd
# A raw round trip first, then the helpers.
exec {bs}<>"/dev/tcp/$BEANSTALK_HOST/$BEANSTALK_PORT"
printf 'use t0000\r\nput 0 0 60 13\r\nhello harness\r\n' >&"$bs"
IFS= read -r -t 5 l1 <&"$bs"
IFS= read -r -t 5 l2 <&"$bs"
is "$l1" $'USING t0000\r' "beanstalkd: use"
like "$l2" $'^INSERTED [0-9]+\r$' "beanstalkd: put"
id=${l2#INSERTED }
id=${id%$'\r'}
printf 'peek %s\r\n' "$id" >&"$bs"
IFS= read -r -t 5 l1 <&"$bs"
IFS= read -r -t 5 l2 <&"$bs"
exec {bs}>&-
is "$l1" $"FOUND $id 13"$'\r' "beanstalkd: peek finds the job"
is "$l2" $'hello harness\r' "beanstalkd: peek returns the body"

is "$(bs_count t0000)" 1 "bs_count: 1 ready job"
is "$(bs_count no-such-tube)" 0 "bs_count: 0 for a missing tube"
bs_open "$BEANSTALK_HOST" "$BEANSTALK_PORT"
bs_cmd "use t0000"
bs_cmd "put 0 0 60 6" "second"
bs_cmd "use other"
bs_cmd "put 0 0 60 $(printf %s "other é" | wc -c)" "other é"
bs_close
is "$(bs_jobs t0000)" $'hello harness\nsecond' "bs_jobs: both jobs of t0000, in order"
is "$(bs_count t0000)" 0 "bs_jobs deleted them"
is "$(bs_jobs t0000)" "" "bs_jobs: nothing left"
is "$(bs_jobs other)" "other é" "bs_jobs: another tube, multibyte body intact"

# ------------------------------------------------------------ run_cgi
cat >"$WORK/echo.cgi" <<'EOF'
#!/bin/sh
case $QUERY_STRING in
plain)	printf 'Content-Type: text/plain\n\nplain\n'; exit 0 ;;
garbage) echo garbage; exit 0 ;;
json)	printf 'Content-Type: application/json\r\n\r\n'
	head -c "$CONTENT_LENGTH"; exit 0 ;;
esac
printf 'Status: 201 Created\r\nContent-Type: text/plain\r\nX-Test: a: b\r\n\r\n'
env | sort
echo "fds: $(ls /proc/self/fd | tr '\n' ' ')"
echo --body--
if [ -n "${CONTENT_LENGTH-}" ]; then head -c "$CONTENT_LENGTH"; fi
echo "stderr line" >&2
exit 3
EOF
chmod +x "$WORK/echo.cgi"
DEPLOYER=$WORK/echo.cgi
body='{"image":"local/app:v2","note":"é"}'
body_len=$(printf %s "$body" | wc -c)	# bytes, not characters
AUTH="Bearer s3cret"
CGI_ENV="TOKEN=abc DOCKER_HOST=$DOCKER_HOST"
REQ_ENV="HTTP_X_EXTRA=1"
run_cgi PUT /service/web "$body"
is "$STATUS" 201 "run_cgi: Status: header parsed"
is "$CGI_EXIT" 3 "run_cgi: exit status kept"
is "$(hdr_get x-test)" "a: b" "run_cgi: headers (hdr_get is case-insensitive)"
is "$(cat "$WORK/stderr")" "stderr line" "run_cgi: stderr kept"
env_lines=${BODY%%--body--*}
for v in REQUEST_METHOD=PUT PATH_INFO=/service/web QUERY_STRING= \
    SCRIPT_NAME=/deployer GATEWAY_INTERFACE=CGI/1.1 \
    SERVER_PROTOCOL=HTTP/1.1 REMOTE_ADDR=127.0.0.1 \
    "HTTP_AUTHORIZATION=Bearer s3cret" "CONTENT_LENGTH=$body_len" \
    CONTENT_TYPE=application/json TOKEN=abc "DOCKER_HOST=$DOCKER_HOST" \
    HTTP_X_EXTRA=1; do
	has_line "$env_lines" "$v" "run_cgi: $v"
done
case $env_lines in
*HOME=* | *WORK=* | *STACK_DIR=* | *DOCKER_CONFIG=*) rc=1 ;;
*) rc=0 ;;
esac
is "$rc" 0 "run_cgi: the environment is clean (env -i)"
like "$env_lines" $'fds: 0 1 2 [0-9]+ \n' "run_cgi: only fds 0-2 (and ls's own) are open"
is "${BODY#*--body--$'\n'}" "$body" "run_cgi: body on stdin, CONTENT_LENGTH bytes"

AUTH_SAVE=$AUTH
unset AUTH
REQ_UNSET=CONTENT_LENGTH
run_cgi POST /x "abc"
case $BODY in
*HTTP_AUTHORIZATION=* | *CONTENT_LENGTH=*) rc=1 ;;
*) rc=0 ;;
esac
is "$rc" 0 "run_cgi: no AUTH, REQ_UNSET=CONTENT_LENGTH"
REQ_UNSET=
AUTH=$AUTH_SAVE

run_cgi PUT '/service/web?json' "$body"
is "$STATUS" 200 "run_cgi: no Status header means 200"
is "$(json_get image)" local/app:v2 "json_get image"
is "$(json_get .note)" "é" "json_get .note"
is "$(json_get missing)" "" "json_get: missing field is empty"
run_cgi GET '/?plain'
is "$STATUS:$BODY" "200:plain" "run_cgi: LF-only headers, query string"
run_cgi GET '/?garbage'
is "$STATUS" 502 "run_cgi: output without headers is a 502"
is "$(json_get x 2>&1)" "" "json_get on a non-JSON body prints nothing"

# ------------------------------------------------------------ FastCGI
cat >"$WORK/echo.c" <<'EOF'
#include <fcgi_stdio.h>
#include <stdlib.h>
#include <string.h>
extern char **environ;
int main(void)
{
	const char *t = getenv("TOKEN");
	char token[64];
	int count = 0;

	snprintf(token, sizeof(token), "%s", t ? t : "-");
	while (FCGI_Accept() >= 0) {
		const char *cl = getenv("CONTENT_LENGTH");
		long n = cl ? strtol(cl, NULL, 10) : 0;
		char **e;
		int c;

		printf("Status: 202 Accepted\r\nContent-Type: text/plain\r\n"
		    "X-Count: %d\r\n\r\nstartup-token=%s\n", ++count, token);
		for (e = environ; *e; e++)
			printf("%s\n", *e);
		printf("--body--\n");
		while (n-- > 0 && (c = getchar()) != EOF)
			putchar(c);
	}
	return 0;
}
EOF
check "a FastCGI stand-in compiles" "${CC:-cc}" -o "$WORK/echo.fcgi" \
    "$WORK/echo.c" -lfcgi
DEPLOYER=$WORK/echo.fcgi
CGI_ENV="TOKEN=abc"
rc=0; fcgi_start || rc=$?
is "$rc" 0 "fcgi_start: socket up"
run_fcgi PUT /service/web "$body"
is "$STATUS" 202 "run_fcgi: Status: header parsed"
is "$(hdr_get X-Count)" 1 "run_fcgi: first request"
params=${BODY%%--body--*}
has_line "$params" startup-token=abc "fcgi_start: CGI_ENV is the process environment"
for v in REQUEST_METHOD=PUT PATH_INFO=/service/web \
    "HTTP_AUTHORIZATION=Bearer s3cret" "CONTENT_LENGTH=$body_len" \
    HTTP_X_EXTRA=1; do
	has_line "$params" "$v" "run_fcgi: param $v"
done
case $params in
*$'\n'TOKEN=*) rc=1 ;;
*) rc=0 ;;
esac
is "$rc" 0 "run_fcgi: settings are not request params"
is "${BODY#*--body--$'\n'}" "$body" "run_fcgi: body sent as FCGI_STDIN"
run_fcgi GET /second
is "$STATUS:$(hdr_get X-Count)" "202:2" "run_fcgi: the same process serves again"
pid=$FCGI_PID
fcgi_stop
check "fcgi_stop: process gone" ! fcgi_alive
check "... and its pid with it" [ ! -d "/proc/$pid" ]
is "$FCGI_EXIT" 0 "fcgi_stop: exited 0 on SIGTERM"
check "fcgi_stop: socket removed" [ ! -e "$WORK/fcgi.sock" ]

# ------------------------------------------------------------ daemons
port=$(free_port)
bg_start listener socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" \
    SYSTEM:'echo hello'
pid=$BG_PID
rc=0; wait_tcp "$port" || rc=$?
is "$rc" 0 "bg_start, wait_tcp: a listener on a free port"
is "$(exec 3<>"/dev/tcp/127.0.0.1/$port" && head -n1 <&3)" hello \
    "... that answers"
bg_stop listener
check "bg_stop: it is gone" _stack_wait_gone 5 "$pid"
# shellcheck disable=SC2016 # expanded by the case script
lib_case bg 'bg_start sleeper sleep 1000' 'echo "pid=$BG_PID"' \
    'done_testing'
pid=$(sed -n 's/^pid=//p' <<<"$CASE_OUT")
like "$pid" '^[0-9]+$' "bg_start in a test that does not stop it"
check "... is stopped at exit" _stack_wait_gone 5 "$pid"

# A daemon in the stack's network namespace, where dockerd's 127.0.0.1 is.
# ($WORK in the command lines tells this run's processes from another's.)
bg_start nslistener stack_netns_exec "$STACK_DIR" \
    socat TCP-LISTEN:5000,bind=127.0.0.1,reuseaddr,fork \
    SYSTEM:"echo netns; : $WORK"
for ((i = 0; i < 50; i++)); do
	got=$(stack_netns_exec "$STACK_DIR" bash -c \
	    'exec 3<>/dev/tcp/127.0.0.1/5000 && head -n1 <&3' 2>/dev/null) && break
	sleep 0.1
done
is "$got" netns "bg_start + stack_netns_exec: a listener in dockerd's namespace"
mapfile -t socats < <(_stack_pids_matching "netns; : $WORK")
like "${socats[*]}" '^[0-9]+( [0-9]+)*$' "... socat runs"
bg_stop nslistener
check "bg_stop: stops the process under the function's subshell too" \
    _stack_wait_gone 5 "${socats[@]}"

# A process left running in the namespace is stopped by stack_stop (below).
stack_netns_exec "$STACK_DIR" socat TCP-LISTEN:5001,bind=127.0.0.1 \
    SYSTEM:"true $WORK" </dev/null >/dev/null 2>&1 &
for ((i = 0; i < 50; i++)); do
	mapfile -t stray < <(_stack_pids_matching "SYSTEM:true $WORK")
	[ ${#stray[@]} -eq 0 ] || break
	sleep 0.1
done
like "${stray[*]}" '^[0-9]+$' "a stray process in the stack's namespace"

# ------------------------------------------------------------ a partial start
(STACK_DOCKER=/bin/false STACK_START_TIMEOUT=2 stack_start "$WORK/partial") \
    >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 1 "a stack whose daemon never answers fails to start"
ppid_list=$(_stack_pids_matching "$WORK/partial/")
like "$ppid_list" '[0-9]' "... leaving dockerd running"
stack_stop "$WORK/partial"
is "$(_stack_pids_matching "$WORK/partial/")" "" "stack_stop after a partial start: no process left"
is "$(_stack_mounts "$WORK/partial")" "" "... no mount left"
check "... directory removed" [ ! -e "$WORK/partial" ]

# ------------------------------------------------------------ stack_stop
exec_root=$(cat "$STACK_DIR/exec-root")
dockerd_pid=$(cat "$STACK_DIR/dockerd.pid")
bs_pid=$(cat "$STACK_DIR/beanstalkd.pid")
mapfile -t cids < <(docker ps -aq --no-trunc)
mapfile -t cpids < <(for c in "${cids[@]}"; do
	docker inspect --format '{{.State.Pid}}' "$c"
done | grep -v '^0$')
mapfile -t daemons < <(_stack_pids_matching "$exec_root/")
diag "before stop: dockerd $dockerd_pid, beanstalkd $bs_pid," \
    "containerd and shims: ${daemons[*]}, container inits: ${cpids[*]}"
like "${#cpids[@]}" '^[2-9]' "containers are running before the stop"
like "$(_stack_mounts "$STACK_DIR" "$exec_root")" netns \
    "the stack has mounts (netns) before the stop"

t0=$(date +%s%N)
check "stack_stop" stack_stop "$STACK_DIR"
diag "stack_stop: $((($(date +%s%N) - t0) / 1000000)) ms"
# Exited processes reparented to init may stay zombies for a moment.
left=
for p in "$dockerd_pid" "$bs_pid" "${daemons[@]}" "${cpids[@]}" "${stray[@]}"; do
	_stack_wait_gone 5 "$p" ||
	    left+=" $p($(tr '\0' ' ' <"/proc/$p/cmdline"))"
done
is "$left" "" "no dockerd, containerd, shim, container, beanstalkd or stray left"
is "$(_stack_pids_matching "$STACK_DIR/")$(_stack_pids_matching "$exec_root/")" \
    "" "no process mentions the stack's dirs"
is "$(_stack_mounts "$STACK_DIR" "$exec_root")" "" "no mounts left under the stack's dirs"
cg=
for c in "${cids[@]}"; do
	cg+=$(find /sys/fs/cgroup -maxdepth 4 -type d -name "*$c*" 2>/dev/null)
done
is "$cg" "" "no container cgroups left"
check "the stack's dir is removed" [ ! -e "$STACK_DIR" ]
check "... and its exec root" [ ! -e "$exec_root" ]
(exec 3<>"/dev/tcp/$BEANSTALK_HOST/$BEANSTALK_PORT") 2>/dev/null && rc=0 || rc=$?
check "beanstalkd's port is closed" [ "$rc" != 0 ]
check "stack_stop a second time is a no-op" stack_stop "$STACK_DIR"

done_testing
