#!/bin/bash
# t0410-faults.sh: real daemons failing under a running deployer: dockerd
# killed, hung and restarted (under CGI and a FastCGI process that keeps
# its connection), beanstalkd killed and hung, and SIGTERM to a FastCGI
# process while a ?wait= request is in flight
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../stack-ops.sh
. "${0%/*}/../stack-ops.sh"

LOAD=$top_builddir/tests/tools/fcgi-load
[ -x "$LOAD" ] || bail_out "$LOAD is not built"
TOKEN=t0ken-$$
AUTH=$TOKEN
# Docker calls may take this long (s); a failing one must end within it,
# and a refused connection long before it, even on a loaded machine.
TIMEOUT=10
stack_up
TPL=$(printf '%s' '{{.RequestID}} {{.Image}}' | base64 -w0)
NOTIFY="{\"addr\":\"$BEANSTALK_ADDR\",\"tube\":\"faults\",\"template\":\"$TPL\"}"
CGI_ENV="TOKEN=$TOKEN DOCKER_HOST=$DOCKER_HOST NOTIFY_FLAGS=$NOTIFY"
CGI_ENV+=" DEPLOYER_SPOOL_DIR=off DEPLOYER_DOCKER_TIMEOUT=$TIMEOUT"
CGI_ENV+=" DEPLOYER_NOTIFY_TIMEOUT=2"
svc_create f local/app:v1 --label deployer.allowUpdates=true \
    --stop-grace-period 1s --update-monitor 1s >/dev/null
# A rollout that takes a few seconds: two tasks, 2 s apart.
svc_create w local/app:v1 --label deployer.allowUpdates=true --replicas 2 \
    --stop-grace-period 1s --update-monitor 1s --update-delay 2s >/dev/null
svc_wait_running w 2 60
fcgi_start

# timed MODE METHOD PATH [BODY]: one request (cgi or fcgi); its duration
# in MS.
timed() {
	local mode=$1 t0
	shift
	t0=$(date +%s%N)
	"run_$mode" "$@"
	MS=$((($(date +%s%N) - t0) / 1000000))
}

# healthy MSG: the FastCGI process runs and answers a status request.
healthy() {
	check "$1: the FastCGI process is alive" fcgi_alive
	run_fcgi GET /service/f
	is "$STATUS $(json_get service)" "200 f" "... and answers the next request"
}

# sockets: how many sockets the FastCGI process has open.
sockets() {
	find "/proc/$FCGI_PID/fd" -lname 'socket:*' 2>/dev/null | grep -c . || true
}

run_fcgi PUT /service/f '{"image": "local/app:v2"}'
is "$STATUS" 200 "FastCGI: a deploy"
# Besides the listening socket, the connection to Docker (and libcurl's
# own socket pair) stay open between requests; the FastCGI and
# beanstalkd connections are closed.
SOCKETS=$(sockets)
check "... and the process keeps its Docker connection open ($SOCKETS sockets)" \
    [ "$SOCKETS" -ge 2 ]

# ------------------------------------------------------- dockerd killed
stack_kill_dockerd "$STACK_DIR" KILL
sock=${DOCKER_HOST#unix://}
check "dockerd killed: its socket file lingers" [ -S "$sock" ]
for mode in cgi fcgi; do
	timed "$mode" PUT /service/f '{"image": "local/app:v3"}'
	is "$STATUS" 502 "$mode: dockerd down: 502"
	like "$(json_get error)" unreachable "... Docker is unreachable"
	check "... before the $TIMEOUT s timeout ($MS ms)" \
	    [ "$MS" -lt $((TIMEOUT * 1000)) ]
done
timed fcgi GET /health
is "$STATUS" 503 "fcgi: /health with dockerd down: 503"
is "$(json_get docker)" unreachable "... says Docker is unreachable"
check "the FastCGI process survives all three" fcgi_alive
mv "$sock" "$sock.gone"
timed cgi GET /service/f
is "$STATUS" 502 "no socket file at all: 502 ($MS ms)"
mv "$sock.gone" "$sock"

stack_start_dockerd "$STACK_DIR" || bail_out "dockerd did not come back"
run_cgi GET /service/f
is "$STATUS" 200 "dockerd restarted: a CGI request works"
run_fcgi PUT /service/f '{"image": "local/app:v3"}'
is "$STATUS" 200 "... a deploy through the FastCGI process works"
is "$(svc_image f)" local/app:v3 "... and is applied"
healthy "after dockerd was down"

# ------------------- restarted while the FastCGI process keeps its connection
for sig in TERM KILL; do
	run_fcgi GET /service/f
	is "$STATUS $(sockets)" "200 $SOCKETS" "SIG$sig: a request first (the connection stays open)"
	stack_kill_dockerd "$STACK_DIR" "$sig"
	stack_start_dockerd "$STACK_DIR" || bail_out "dockerd did not come back"
	image=local/app:v1
	[ "$sig" = TERM ] || image=local/app:v2
	timed fcgi PUT /service/f "{\"image\": \"$image\"}"
	is "$STATUS" 200 "dockerd restarted (SIG$sig) between requests: the next deploy works"
	is "$(svc_image f)" "$image" "... and is applied ($MS ms)"
	is "$(sockets)" "$SOCKETS" "... on a new connection, the dead one closed"
done

# ------------------------------------------------------- dockerd hung
pid=$(cat "$STACK_DIR/dockerd.pid")
kill -STOP "$pid"
at_exit "kill -CONT $pid 2>/dev/null"
for mode in fcgi cgi; do
	timed "$mode" GET /service/f
	is "$STATUS" 504 "$mode: dockerd hung (SIGSTOP): 504"
	check "... after the $TIMEOUT s timeout ($MS ms)" \
	    [ "$MS" -ge $((TIMEOUT * 1000 - 500)) ]
	check "... which ended it (with room for a loaded machine)" \
	    [ "$MS" -lt $((TIMEOUT * 1000 + 30000)) ]
done
kill -CONT "$pid"
healthy "after dockerd hung"
# A reply that arrives late on an abandoned connection must not become
# the answer to a later request.
run_fcgi GET /service/w
is "$STATUS $(json_get service)" "200 w" "... the answers are each request's own"

# ------------------------------------------------------- beanstalkd faults
stack_bs_stop "$STACK_DIR"
run_fcgi PUT /service/f '{"image": "local/app:v3"}'
is "$STATUS" 200 "beanstalkd down: the deploy answers 200"
is "$(json_get notification)" failed "... the notification failed (no spool)"
healthy "after beanstalkd was down"
stack_bs_start "$STACK_DIR"
bspid=$(cat "$STACK_DIR/beanstalkd.pid")
kill -STOP "$bspid"
at_exit "kill -CONT $bspid 2>/dev/null"
timed fcgi PUT /service/f '{"image": "local/app:v1"}'
is "$STATUS" 200 "beanstalkd hung (SIGSTOP): the deploy answers 200"
is "$(json_get notification)" failed "... the notification failed"
like "$(json_get notification_error)" "timed out" "... it timed out"
check "... after the 2 s notify timeout ($MS ms)" [ "$MS" -ge 1900 ]
check "... which ended the wait (with room for a loaded machine)" \
    [ "$MS" -lt 30000 ]
kill -CONT "$bspid"
healthy "after beanstalkd hung"
bs_jobs faults >/dev/null
run_fcgi PUT /service/f '{"image": "local/app:v2"}'
is "$(json_get notification)" sent "beanstalkd back: the next notification is sent"
is "$(bs_jobs faults)" "$(json_get request_id) local/app:v2" "... and arrives"

# ------------------------------------------------ clients that go away
# A web server that drops the connection mid-request (a timeout, a
# restart): cut after every byte in turn, from the connect to the whole
# request with the answer unread.
printf '*\tPUT\t/service/f?dry_run=1\t%s\t{"image": "local/app:v3"}\n' \
    "$TOKEN" >"$WORK/cut.kinds"
for c in 1 4; do
	rc=0
	"$LOAD" -a -c "$c" -n 1200 -t 30 "unix:$FCGI_SOCK" "$WORK/cut.kinds" \
	    >"$WORK/cut.summary" 2>&1 || rc=$?
	msg="clients going away after every byte of a request ($c at a time)"
	is "$rc" 0 "$msg: each connection accepted"
	[ "$rc" = 0 ] || diag "$(cat "$WORK/cut.summary")"
	healthy "after 1200 abandoned requests"
done

# ------------------------------------------- a kept connection left idle
# nginx with fastcgi_keep_conn keeps connections open between requests
# in its pool.  One idle there must not hold back a request that comes
# on another connection.
printf '200\tGET\t/service/f\t%s\t-\n' "$TOKEN" >"$WORK/get.kinds"
# (No descriptor of the test's, such as its TAP output, goes with it.)
(_stack_exec_clean "$LOAD" -v -k -H 8 "unix:$FCGI_SOCK" "$WORK/get.kinds") \
    >"$WORK/idle.out" 2>&1 &
idle=$!
at_exit "kill $idle 2>/dev/null"
for ((i = 0; i < 50; i++)); do
	! grep -q '^req 0 0 200 ' "$WORK/idle.out" || break
	sleep 0.1
done
rc=0
t0=$(date +%s%N)
"$LOAD" -t 4 "unix:$FCGI_SOCK" "$WORK/get.kinds" >"$WORK/other.out" 2>&1 || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
is "$rc" 0 "a kept connection idle in the pool: a request on another connection is answered ($ms ms)"
[ "$rc" = 0 ] || diag "$(cat "$WORK/other.out")"
wait "$idle" || true
healthy "after a kept connection"

# ------------------------------------- SIGTERM with a ?wait= request in flight
printf '200\tPUT\t/service/w?wait=60\t%s\t{"image": "local/app:v2"}\n' \
    "$TOKEN" >"$WORK/wait.kinds"
mkdir "$WORK/wait.out"
t0=$(date +%s%N)
(_stack_exec_clean "$LOAD" -t 90 -d "$WORK/wait.out" "unix:$FCGI_SOCK" \
    "$WORK/wait.kinds") >"$WORK/wait.summary" 2>&1 &
load=$!
at_exit "kill $load 2>/dev/null"
# In flight once the update is posted: the deployer logs it, then waits.
for ((i = 0; i < 100; i++)); do
	! grep -q 'service w: local/app:v1 -> local/app:v2' "$WORK/fcgi.log" ||
	    break
	sleep 0.1
done
is "$(svc_update_state w)" updating "the ?wait= deploy is in flight"
term_ms=$((($(date +%s%N) - t0) / 1000000))
kill -TERM "$FCGI_PID"
load_rc=0
wait "$load" || load_rc=$?
done_ms=$((($(date +%s%N) - t0) / 1000000))
BODY=$(sed -n '/^\r\{0,1\}$/,$p' "$WORK/wait.out/0.out" | tail -n +2)
is "$load_rc" 0 "SIGTERM mid-request: the client gets its answer" 
like "$(head -n 1 "$WORK/wait.out/0.out")" '^Status: 200' "... a 200"
is "$(json_get state)" completed \
    "... after the whole rollout ($term_ms ms to SIGTERM, $done_ms ms to the answer)"
if ! _stack_wait_gone 10 "$FCGI_PID"; then
	diag "the FastCGI process is still running 10 s after its request"
fi
fcgi_stop
is "$FCGI_EXIT" 0 "... then the process exits 0"
like "$(tail -n 1 "$WORK/fcgi.log")" "shutting down" "... saying it shuts down"
done_testing
