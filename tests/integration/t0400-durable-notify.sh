#!/bin/bash
# t0400-durable-notify.sh: notifications that beanstalkd cannot take now wait
# in the spool and arrive later, all of them, in order, once each; and what
# the spool does when it is full, old, damaged, refused or out of disk
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../stack-ops.sh
. "${0%/*}/../stack-ops.sh"

N=${SPOOL_DEPLOYS:-8}
TOKEN=t0ken-$$
AUTH=$TOKEN
stack_up
# The request id and a counter (the tag deployed: c1, c2, ...) in every
# message: order and duplicates are visible.
TPL=$(printf '%s' '{{.RequestID}} {{.Artifact}}' | base64 -w0)
NOTIFY="{\"addr\":\"$BEANSTALK_ADDR\",\"tube\":\"spool\",\"template\":\"$TPL\"}"
SPOOL=$WORK/spool
mkdir "$SPOOL"
BASE_ENV="TOKEN=$TOKEN DOCKER_HOST=$DOCKER_HOST DEPLOYER_NOTIFY_TIMEOUT=2"
CGI_ENV="$BASE_ENV NOTIFY_FLAGS=$NOTIFY DEPLOYER_SPOOL_DIR=$SPOOL"
# No task ever runs (0 replicas): every deploy is a real update of the
# spec, and the tags need not exist.
svc_create spool local/app:v1 --replicas 0 \
    --label deployer.allowUpdates=true >/dev/null
fcgi_start

COUNTER=0
EXPECTED=()
# deploy [MODE]: deploy the next counter's tag (CGI, or fcgi through the
# FastCGI process); the message it should produce is added to EXPECTED
# when the deploy was accepted.
deploy() {
	COUNTER=$((COUNTER + 1))
	if [ "${1:-cgi}" = fcgi ]; then
		run_fcgi PUT /service/spool "{\"image\": \"local/app:c$COUNTER\"}"
	else
		run_cgi PUT /service/spool "{\"image\": \"local/app:c$COUNTER\"}"
	fi
	if [ "$STATUS" = 200 ] && [ "$(json_get state)" = accepted ]; then
		EXPECTED+=("$(json_get request_id) local/app:c$COUNTER")
	fi
}

# spooled: the number of waiting messages.
spooled() {
	find "$SPOOL" -maxdepth 1 -name '[!.]*.msg' | grep -c . || true
}

# flush [NAME=VALUE...]: deployer --flush-spool with the settings (and
# these); its exit status in FLUSH_EXIT, its stderr in $WORK/stderr.
flush() {
	local -a _settings wrapper
	_lib_settings
	read -ra wrapper <<<"${CGI_WRAPPER-}"
	FLUSH_EXIT=0
	(_stack_exec_clean env -i "${_settings[@]}" "$@" "${wrapper[@]}" \
	    "$DEPLOYER" --flush-spool) </dev/null >/dev/null \
	    2>"$WORK/stderr" || FLUSH_EXIT=$?
	{
		printf '=== --flush-spool (exit %s)\n' "$FLUSH_EXIT"
		cat "$WORK/stderr"
	} >>"$WORK/deployer.log"
}

# check_delivered MSG: what the tube holds is EXPECTED, exactly: every
# message, in order, none twice.
check_delivered() {
	local got want
	got=$(bs_jobs spool)
	want=$(printf '%s\n' "${EXPECTED[@]}")
	is "$got" "$want" "$1"
	is "$(printf '%s\n' "$got" | sort | uniq -d)" "" "... none twice"
	EXPECTED=()
}

# ------------------------------------------------ the next deploy delivers
deploy
is "$(json_get notification)" sent "beanstalkd up: sent at once"
check_delivered "... and in the tube"

stack_bs_stop "$STACK_DIR"
all=1 spooled_ok=1
for ((i = 1; i <= N; i++)); do
	# Every other one through the FastCGI process: one spool for both.
	if [ $((i % 2)) = 0 ]; then deploy fcgi; else deploy; fi
	[ "$STATUS" = 200 ] || all=0
	[ "$(json_get notification)" = spooled ] || {
		spooled_ok=0
		diag "deploy $i: $BODY"
	}
done
check "beanstalkd down: $N deploys answer 200" [ "$all" = 1 ]
check "... each saying its notification is spooled" [ "$spooled_ok" = 1 ]
like "$(json_get notification_error)" "spool" "... and why"
is "$(spooled)" "$N" "... $N messages wait in the spool"

stack_bs_start "$STACK_DIR"
deploy
is "$(json_get notification)" sent "beanstalkd back: the next deploy's notification is sent"
is "$(spooled)" 0 "... the spool is empty"
check_delivered "... after all $N older ones, in order"

# Through the FastCGI process too.
stack_bs_stop "$STACK_DIR"
deploy fcgi
deploy
is "$(spooled)" 2 "FastCGI and CGI deploys spool alike"
stack_bs_start "$STACK_DIR"
deploy fcgi
is "$(json_get notification)" sent "... and the FastCGI process delivers what a CGI process spooled"
check_delivered "... in order"

# ------------------------------------------------------- concurrent senders
# After a restart, several processes find the spool at once: the lock
# keeps the older messages first, and none is sent twice.
stack_bs_stop "$STACK_DIR"
for ((i = 1; i <= N; i++)); do
	deploy
done
old=("${EXPECTED[@]}")
stack_bs_start "$STACK_DIR"
pids=()
read -ra settings <<<"$CGI_ENV"
for ((i = 1; i <= 4; i++)); do
	body="{\"image\": \"local/app:p$i\"}"
	(printf '%s' "$body" | env -i REQUEST_METHOD=PUT PATH_INFO=/service/spool \
	    SCRIPT_NAME=/deployer REMOTE_ADDR=127.0.0.1 CONTENT_LENGTH=${#body} \
	    HTTP_AUTHORIZATION="$TOKEN" "${settings[@]}" "$DEPLOYER" \
	    >"$WORK/par-$i" 2>>"$WORK/deployer.log") &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p"
done
got=$(bs_jobs spool)
is "$(printf '%s\n' "$got" | head -n "$N")" "$(printf '%s\n' "${old[@]}")" \
    "concurrent deploys after a restart: the $N older messages come first, in order"
is "$(printf '%s\n' "$got" | tail -n +$((N + 1)) | grep -c ' local/app:p')" \
    "$(grep -l '"notification":"sent"' "$WORK"/par-* | grep -c .)" \
    "... then one message per concurrent deploy"
is "$(printf '%s\n' "$got" | sort | uniq -d)" "" "... none twice"
is "$(spooled)" 0 "... and the spool is empty"
EXPECTED=()

# ---------------------------------------------------------- --flush-spool
flush
is "$FLUSH_EXIT" 0 "--flush-spool with an empty spool: exit 0"
stack_bs_stop "$STACK_DIR"
for ((i = 1; i <= N; i++)); do
	deploy
done
is "$(spooled)" "$N" "beanstalkd down again: $N messages wait"
flush
is "$FLUSH_EXIT" 75 "--flush-spool while beanstalkd is down: exit 75"
is "$(spooled)" "$N" "... and every message still waits"
stack_bs_start "$STACK_DIR"
flush
is "$FLUSH_EXIT" 0 "--flush-spool with beanstalkd back: exit 0"
like "$(cat "$WORK/stderr")" "$N delivered, 0 waiting" "... and says what it did"
is "$(spooled)" 0 "... the spool is empty"
check_delivered "... all $N messages arrive, in order"
flush
is "$FLUSH_EXIT" 0 "a second --flush-spool: exit 0"
is "$(bs_count spool)" 0 "... and sends nothing again"

# ------------------------------------------------------------- spool full
stack_bs_stop "$STACK_DIR"
CGI_ENV="$CGI_ENV DEPLOYER_SPOOL_MAX=3"
for ((i = 1; i <= 3; i++)); do
	deploy
done
is "$(spooled)" 3 "spool_max 3: three messages spooled"
deploy
unset 'EXPECTED[-1]'	# lost: check_delivered proves it never arrives
is "$STATUS" 200 "spool full: the deploy still answers 200"
is "$(json_get notification)" failed "... the response says the notification failed"
like "$(json_get notification_error)" "spool is full" "... because the spool is full"
like "$(cat "$WORK/stderr")" "FULL.*LOST" "... and the log says so loudly"
is "$(spooled)" 3 "... nothing beyond spool_max is written"
stack_bs_start "$STACK_DIR"
flush
is "$FLUSH_EXIT" 0 "after the full spool: --flush-spool delivers"
check_delivered "... the three spooled messages, in order"
CGI_ENV=${CGI_ENV% DEPLOYER_SPOOL_MAX=3}

# ------------------------------------------------------------ spool_max_age
stack_bs_stop "$STACK_DIR"
deploy
old_msg=$(find "$SPOOL" -maxdepth 1 -name '*.msg' -printf '%f\n')
unset 'EXPECTED[-1]'
deploy
# Names begin with the 20-digit nanosecond time they were written: make
# the first one written a second after the epoch.
mv "$SPOOL/$old_msg" "$SPOOL/00000000001000000000${old_msg:20}"
stack_bs_start "$STACK_DIR"
flush DEPLOYER_SPOOL_MAX_AGE=60
is "$FLUSH_EXIT" 0 "a message older than spool_max_age: --flush-spool exits 0"
like "$(cat "$WORK/stderr")" "00000000001000000000${old_msg:20} is older than 60 s; dropped" \
    "... the log says it was dropped"
check_delivered "... only the younger message arrives"
is "$(spooled)" 0 "... and the old one is gone"

# ------------------------------------------------- a crash mid-spool, damage
stack_bs_stop "$STACK_DIR"
deploy
# What a crash leaves: a temporary file never renamed (ignored), and
# message files that are not messages (moved to failed/), named as the
# deployer names them (20 digits of ns) so that they sort between the
# two deploys' messages.
name() {
	printf '%020d-0000000001-%s.msg' "$(($(date +%s%N) + $1))" "$2"
}
printf 'deployer-spool 1\ntube spool\nhalf a mess' >"$SPOOL/.tmp-$(name 0 dead)"
printf 'garbage\n' >"$SPOOL/$(name 1 beef)"
: >"$SPOOL/$(name 2 cafe)"
printf 'deployer-spool 1\ntube bad tube!\nnowhere to go' >"$SPOOL/$(name 3 bad0)"
printf 'deployer-spool 1\ntube \nno tube' >"$SPOOL/$(name 4 bad1)"
printf 'deployer-spool 1\ntube other\nfor the other tube' >"$SPOOL/$(name 5 f00d)"
deploy
is "$(json_get notification)" spooled "damaged files in the spool: a deploy still spools"
stack_bs_start "$STACK_DIR"
flush
is "$FLUSH_EXIT" 0 "--flush-spool: exit 0 (nothing deliverable waits)"
check_delivered "... the good messages arrive, in order"
is "$(bs_jobs other)" "for the other tube" \
    "... a message goes to the tube it was spooled for"
is "$(find "$SPOOL/failed" -name '*-beef.msg' -o -name '*-cafe.msg' | grep -c .)" 2 \
    "... garbage and empty .msg files are moved to failed/"
like "$(cat "$WORK/stderr")" "beef.msg can never be delivered" \
    "... and the log says so"
is "$(find "$SPOOL/failed" -name '*-bad0.msg' -o -name '*-bad1.msg' | grep -c .)" 2 \
    "... so are messages for a tube beanstalkd cannot have"
is "$(spooled)" 0 "... no message is left waiting"
# (The .tmp- file, which the lock holder could remove, was not sent:
# check_delivered saw exactly the two deploys.)
# Whatever this left, the next cases start from an empty spool.
find "$SPOOL" -maxdepth 1 -name '*.msg' -exec mv {} "$SPOOL/failed/" \;
bs_jobs spool >/dev/null
EXPECTED=()

# ---------------------------------------------------------- DRAINING
kill -USR1 "$(cat "$STACK_DIR/beanstalkd.pid")"
deploy
is "$STATUS" 200 "beanstalkd draining (SIGUSR1): the deploy answers 200"
is "$(json_get notification)" spooled "... the notification is spooled"
like "$(json_get notification_error)" "draining" "... because beanstalkd is draining"
stack_bs_stop "$STACK_DIR"
stack_bs_start "$STACK_DIR"
flush
is "$FLUSH_EXIT" 0 "... and delivered once beanstalkd is back"
check_delivered "... exactly once"

# ---------------------------------------------------------- JOB_TOO_BIG
bs_extra small -z 50
BIG_TPL=$(printf '%s' 'too big: {{.RequestID}} {{.Artifact}} {{.ServiceID}}' | base64 -w0)
SMALL="{\"addr\":\"127.0.0.1:$BS_PORT\",\"tube\":\"spool\",\"template\":\"$BIG_TPL\"}"
save_env=$CGI_ENV
CGI_ENV="$BASE_ENV NOTIFY_FLAGS=$SMALL DEPLOYER_SPOOL_DIR=$SPOOL"
deploy
unset 'EXPECTED[-1]'
is "$STATUS" 200 "JOB_TOO_BIG (beanstalkd -z 50): the deploy answers 200"
is "$(json_get notification)" failed "... the notification failed"
like "$(json_get notification_error)" "max-job-size" "... as too big for beanstalkd"
is "$(spooled)" 0 "... and is not spooled: it could never be delivered"
# One spooled while that beanstalkd was away: refused as too big later.
bg_stop small
deploy
unset 'EXPECTED[-1]'
is "$(json_get notification)" spooled "a message spooled while beanstalkd was away..."
big_msg=$(find "$SPOOL" -maxdepth 1 -name '[!.]*.msg' -printf '%f\n')
bs_extra small2 -z 50
SMALL="{\"addr\":\"127.0.0.1:$BS_PORT\",\"tube\":\"spool\",\"template\":\"$BIG_TPL\"}"
CGI_ENV="$BASE_ENV NOTIFY_FLAGS=$SMALL DEPLOYER_SPOOL_DIR=$SPOOL"
flush
is "$FLUSH_EXIT" 0 "... that beanstalkd then refuses as too big: --flush-spool exits 0"
like "$(cat "$WORK/stderr")" "can never be delivered \\(JOB_TOO_BIG\\)" \
    "... the message is dead-lettered"
check "... into failed/" [ -f "$SPOOL/failed/${big_msg:-?}" ]
is "$(spooled)" 0 "... and no longer waits"
CGI_ENV=$save_env

# ---------------------------------------------------------- disk full
FULL=$WORK/full
mkdir "$FULL"
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$FULL" ||
    bail_out "cannot mount a tmpfs (root and CAP_SYS_ADMIN needed)"
at_exit "umount -l '$FULL'"
mkdir "$FULL/spool"
CGI_ENV="$BASE_ENV NOTIFY_FLAGS=$NOTIFY DEPLOYER_SPOOL_DIR=$FULL/spool"
deploy
is "$(json_get notification)" sent "a spool on a small tmpfs: sent while beanstalkd is up"
EXPECTED=()
bs_jobs spool >/dev/null
dd if=/dev/zero of="$FULL/fill" bs=4k 2>/dev/null || true
is "$(df --output=avail "$FULL" | tail -n 1 | tr -d ' ')" 0 "the tmpfs is full"
stack_bs_stop "$STACK_DIR"
deploy
unset 'EXPECTED[-1]'
is "$STATUS" 200 "disk full and beanstalkd down: the deploy still answers 200"
is "$(json_get notification)" failed "... the notification failed"
like "$(json_get notification_error)" "cannot write to the spool" "... it could not be spooled"
like "$(cat "$WORK/stderr")" "No space left on device" "... the log says why"
is "$(find "$FULL/spool" -name '*.msg' -o -name '.tmp-*' | grep -c .)" 0 \
    "... and no partial file is left"
stack_bs_start "$STACK_DIR"
deploy
is "$STATUS" 200 "the next request works"
is "$(json_get notification)" sent "... and its notification is sent"
check_delivered "... and arrives"
run_fcgi GET /service/spool
is "$STATUS" 200 "the FastCGI process still serves"
done_testing
