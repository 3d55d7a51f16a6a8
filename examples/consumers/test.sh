#!/bin/bash
# test.sh: the example beanstalkd consumers against a real beanstalkd (TAP)
# SPDX-License-Identifier: MIT
#
# Starts beanstalkd on a free 127.0.0.1 port, a local webhook receiver
# (t/http-receiver) and a fake sendmail (t/fake-sendmail), then checks that
# chat-webhook and mailer deliver every message exactly once with the right
# body, retry failures, bury what keeps failing after MAX_ATTEMPTS, survive
# a beanstalkd restart, and stop cleanly on SIGTERM.  Nothing but 127.0.0.1
# is contacted.  Fails (does not skip) if beanstalkd, perl or curl is
# missing.  Everything it starts is stopped on exit, also on failure.
#
# Run it directly or from `make check`; it writes only to a temporary
# directory (kept, and named in the output, if a test fails).

set -u

here=$(cd "$(dirname "$0")" && pwd) || exit 1
t=$here/t
chat=$here/chat-webhook/chat-webhook
mailer=$here/mailer/mailer

# The consumers' settings come from this script only.
unset BEANSTALK_ADDR TUBE MAX_ATTEMPTS BACKOFF BACKOFF_MAX RESERVE_TIMEOUT \
    WEBHOOK_URL WEBHOOK_URL_FILE WEBHOOK_TIMEOUT CURL \
    MAIL_TO MAIL_FROM MAIL_SUBJECT SENDMAIL SENDMAIL_TIMEOUT

# Only loopback is used, and no proxy may get in between.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*' NO_PROXY='*'
export LC_ALL=C

# TAP, with the convention of tests/lib.sh and tests/tap.h: an assertion
# states what passes.  check DESC CMD... passes when CMD succeeds; pass DESC
# and fail DESC record what the script decided itself.
n=0
failures=0

pass() {
	n=$((n + 1))
	echo "ok $n - $1"
}

fail() {
	n=$((n + 1))
	failures=$((failures + 1))
	echo "not ok $n - $1"
}

# check DESCRIPTION CMD...: one test, passing if CMD succeeds.  CMD's output
# is shown as TAP comments.
check() {
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$desc"
	else
		fail "$desc"
	fi
	if [ -n "$out" ]; then
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
}

# diag FILE: FILE's last lines as TAP comments.
diag() {
	if [ -f "$1" ]; then
		echo "# --- last lines of ${1##*/}:"
		tail -n 15 "$1" | sed 's/^/#   /'
	fi
}

for tool in beanstalkd perl curl; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		fail "$tool is installed (Debian package $tool)"
		echo "1..$n"
		exit 1
	fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/consumers-test.XXXXXX") || exit 1
pids=()

cleanup() {
	local pid i
	for pid in "${pids[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${pids[@]}"; do
		for ((i = 0; i < 30; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	if [ "$failures" -eq 0 ]; then
		rm -rf "$work"
	else
		echo "# work directory kept: $work"
	fi
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# spawn LOG CMD...: runs CMD in the background, stdin from /dev/null and
# output appended to LOG, with no other descriptor inherited (a daemon
# holding the TAP pipe would keep automake's driver waiting).  Records the
# pid for cleanup; $! is CMD's pid.
spawn() {
	local log=$1
	shift
	(
		for fd in /proc/self/fd/*; do
			fd=${fd##*/}
			if [ "$fd" -gt 2 ]; then
				eval "exec $fd>&-"
			fi
		done
		exec "$@" </dev/null >>"$log" 2>&1
	) &
	pids+=("$!")
}

# gone PID SECS: waits up to SECS seconds for PID to exit.
gone() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# wait_for SECS CMD...: retries CMD every 0.1 s for up to SECS seconds.
wait_for() {
	local i max=$(($1 * 10))
	shift
	for ((i = 0; i < max; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

bs() {
	perl "$t/bs" "127.0.0.1:$bs_port" "$@"
}

# stat_is TUBE KEY VALUE
stat_is() {
	local v
	v=$(bs stats-tube "$1" | sed -n "s/^$2: //p")
	[ "${v:-0}" = "$3" ] || {
		echo "$1 $2 is ${v:-0}, expected $3"
		return 1
	}
}

# drained TUBE BURIED: nothing ready, reserved or delayed, BURIED buried.
drained() {
	bs wait "$1" 40 current-jobs-ready=0 current-jobs-reserved=0 \
	    current-jobs-delayed=0 current-jobs-buried="$2"
}

start_beanstalkd() {
	spawn "$work/beanstalkd.log" beanstalkd -l 127.0.0.1 -p "$bs_port"
	bs_pid=$!
	wait_for 5 bs stats-tube default
}

# stop PID SECS: SIGTERM, then waits; fails if PID outlives SECS seconds.
# The exit status is left in $stop_status.
stop() {
	stop_status=''
	kill -TERM "$1" 2>/dev/null
	gone "$1" "$2" || return 1
	wait "$1"
	stop_status=$?
}

# ---- static checks ----------------------------------------------------------

check 'the consumers and helpers are executable' \
    test -x "$chat" -a -x "$mailer" -a -x "$t/fake-sendmail"
# compiles FILE: perl -c, quiet unless it fails.
compiles() {
	local out
	out=$(perl -c "$1" 2>&1) || {
		echo "$out"
		return 1
	}
}
check 'chat-webhook compiles' compiles "$chat"
check 'mailer compiles' compiles "$mailer"

common() {
	sed -n '/^# ---- common part:/,/^# ---- end of common part/p' "$1"
}
same_common() {
	local a b
	a=$(common "$chat")
	b=$(common "$mailer")
	[ -n "$a" ] && [ "$a" = "$b" ]
}
check 'chat-webhook and mailer share the same beanstalkd loop' same_common

# Perl core modules only, as Debian's perl packages ship them.
# shellcheck disable=SC2016 # Perl code
check 'the Perl programs use core modules only' perl -MModule::CoreList -e '
	my $bad = 0;
	for my $f (@ARGV) {
		open(my $fh, "<", $f) or die "$f: $!\n";
		while (<$fh>) {
			next unless /^use ([A-Za-z][\w:]*)/;
			my $m = $1;
			next if Module::CoreList->is_core($m);
			print "$f: $m is not a core module\n";
			$bad = 1;
		}
	}
	exit $bad;' "$chat" "$mailer" "$t/bs" "$t/http-receiver" "$t/check"

if command -v shellcheck >/dev/null 2>&1; then
	check 'shellcheck is clean' shellcheck "$here/test.sh" "$t/fake-sendmail"
else
	pass 'shellcheck is clean # SKIP shellcheck is not installed'
fi

# refuses TEXT CMD...: CMD refuses to start with the usage exit status (64)
# and a message containing TEXT.
refuses() {
	local text=$1 rc err
	shift
	err=$("$@" 2>&1 >/dev/null </dev/null)
	rc=$?
	[ "$rc" -eq 64 ] || {
		echo "exit status $rc, expected 64: $err"
		return 1
	}
	case $err in
	*"$text"*) ;;
	*)
		echo "message: $err"
		return 1
		;;
	esac
}
fake=$t/fake-sendmail
check 'chat-webhook refuses to start without a webhook URL' \
    refuses 'WEBHOOK_URL is required' env TUBE=x "$chat"
check 'chat-webhook refuses to start without curl' \
    refuses 'CURL: no-such-curl: not found' env TUBE=x \
    WEBHOOK_URL=http://127.0.0.1:9/ CURL=no-such-curl "$chat"
check 'a consumer refuses an invalid tube name' \
    refuses 'not a valid beanstalkd tube name' env TUBE=-bad \
    WEBHOOK_URL=http://127.0.0.1:9/ "$chat"
check 'mailer refuses a Subject that would add a header' \
    refuses 'MAIL_SUBJECT: control characters are not allowed' env TUBE=x \
    MAIL_TO=a@example.com SENDMAIL="$fake" \
    MAIL_SUBJECT="$(printf 'x\nBcc: victim@example.com')" "$mailer"
check 'mailer refuses a missing To' \
    refuses 'MAIL_TO is required' env TUBE=x SENDMAIL="$fake" "$mailer"
check 'mailer refuses to start without its sendmail' \
    refuses 'SENDMAIL: /nonexistent/sendmail: not found' env TUBE=x \
    MAIL_TO=a@example.com SENDMAIL=/nonexistent/sendmail "$mailer"

# ---- beanstalkd and the webhook receiver -------------------------------------

started=''
for try in 1 2 3; do
	bs_port=$(perl -MIO::Socket::INET -e 'print IO::Socket::INET->new(
	    LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1)->sockport')
	if start_beanstalkd; then
		started=yes
		break
	fi
	echo "# beanstalkd did not start on port $bs_port (try $try)"
	kill "$bs_pid" 2>/dev/null
done
if [ -z "$started" ]; then
	fail "beanstalkd starts on 127.0.0.1"
	diag "$work/beanstalkd.log"
	echo "1..$n"
	exit 1
fi
pass "beanstalkd runs on 127.0.0.1:$bs_port"

recv=$work/recv
mkdir "$recv"
spawn "$work/receiver.log" perl "$t/http-receiver" "$recv"
if ! wait_for 5 test -s "$recv/port"; then
	fail 'the webhook receiver starts'
	diag "$work/receiver.log"
	echo "1..$n"
	exit 1
fi
url="http://127.0.0.1:$(cat "$recv/port")/hooks/S3CRET-T0KEN"

# requests: the number of requests the receiver has had so far.
requests() {
	cat "$recv/seq" 2>/dev/null || echo 0
}

# ---- chat-webhook: delivery, retries, burying --------------------------------

msg=$work/chat-msg
exp=$work/chat-expect
mkdir "$msg" "$exp"
# message NAME KIND PRINTF-FORMAT: the message NAME.msg, expected to arrive
# as KIND (text: wrapped in {"text": ...}; raw: as it is).  The expected
# text is the message itself unless NAME.text is written afterwards.
message() {
	# shellcheck disable=SC2059 # the format is the message
	printf "$3" >"$msg/$1.msg"
	if [ "$2" != none ]; then
		cp "$msg/$1.msg" "$exp/$1.$2"
	fi
}
message multiline text 'Deployed registry.example.com/shop/web:v2.3.1 to web\nreplicas: 3\r\nrollout: completed\n'
message nonascii text 'd\303\251ploy\303\251 \342\234\223 caf\351 \377 end'
printf 'd\303\251ploy\303\251 \342\234\223 caf\303\251 \303\277 end' >"$exp/nonascii.text"
# shellcheck disable=SC2016 # no expansion wanted
message json raw '{"text": "deployed *nginx:1.25* to `web`", "username": "deployer", "icon_emoji": ":rocket:"}'
message json-utf8 raw '{"text":"d\303\251ploy\303\251 \342\234\223"}\n'
message json-latin1 text '{"text":"caf\351"}'
printf '{"text":"caf\303\251"}' >"$exp/json-latin1.text"
# shellcheck disable=SC2016 # no expansion wanted
message escaping text 'quote " backslash \\ tab \t bell \a ctl \001 <b>&amp;</b> {{.Image}} %%s $HOME'
message framing text 'RESERVED 7 5\r\nhello\r\n\r\nDELETED\r\n'
message not-json text '{"text": "unterminated'
message array text '["not", "an", "object"]'
message empty text ''
perl -e 'print "line $_ of a long message: ", "x" x 50, "\n" for 1 .. 800' \
    >"$msg/large.msg"
cp "$msg/large.msg" "$exp/large.text"
message hang text 'HANG-ONCE: deployed app:v3 to api'
message always none 'ALWAYS-FAIL: deployed app:v4 to db'

tube=deploys.chat
put_all() {
	local f
	for f in "$1"/*.msg; do
		bs put "$2" "$f" >/dev/null || return 1
	done
}
check 'put the chat messages (multi-line, non-ASCII, JSON, 62 KB, ...)' \
    put_all "$msg" "$tube"

# The first two requests are answered 500.
echo 2 >"$recv/fail-count"
# run_chat LOG TUBE [RESERVE_TIMEOUT]
run_chat() {
	spawn "$1" env TMPDIR="$work" BEANSTALK_ADDR="127.0.0.1:$bs_port" \
	    TUBE="$2" WEBHOOK_URL="$url" MAX_ATTEMPTS=3 BACKOFF=1 BACKOFF_MAX=2 \
	    RESERVE_TIMEOUT="${3:-1}" WEBHOOK_TIMEOUT=2 "$chat"
}
log=$work/chat.log
run_chat "$log" "$tube"
chat_pid=$!

check 'chat-webhook: the tube drains, with one job buried' drained "$tube" 1
check 'chat-webhook: every message arrives exactly once, body/JSON intact' \
    perl "$t/check" chat "$recv" 0 "$exp"

# count_status STATUS: requests answered STATUS ("200", "500 injected",
# "500 always", "hang").  count_body TEXT: requests whose body has TEXT.
count_status() {
	grep -lx "$1" "$recv"/*.status | wc -l
}
count_body() {
	grep -l "$1" "$recv"/*.body | wc -l
}
retried_500() {
	local c
	c=$(count_status '500 injected')
	[ "$c" -eq 2 ] || {
		echo "$c requests answered 500, expected 2"
		return 1
	}
	grep -q 'result=retry delay=1s reason="HTTP 500' "$log"
}
check 'chat-webhook: deliveries answered HTTP 500 were released and retried' \
    retried_500
retried_timeout() {
	[ "$(count_status hang)" -eq 1 ] &&
	    grep -q 'result=retry .*reason="curl exit 28' "$log"
}
check 'chat-webhook: a POST that timed out was released and retried' \
    retried_timeout

# buried_after TUBE MESSAGE ATTEMPTS-SEEN: the buried job is MESSAGE, was
# released MAX_ATTEMPTS-1 = 2 times, and ATTEMPTS-SEEN is 3.
buried_after() {
	local id
	id=$(bs peek-buried "$1" "$work/buried") || return 1
	cmp "$2" "$work/buried" || return 1
	bs stats-job "$id" | grep -qx 'releases: 2' || {
		bs stats-job "$id"
		return 1
	}
	[ "$3" -eq 3 ] || {
		echo "$3 attempts, expected 3"
		return 1
	}
}
check 'chat-webhook: a message that always fails is buried after 3 attempts' \
    buried_after "$tube" "$msg/always.msg" "$(count_body ALWAYS-FAIL)"
one_line_per_attempt() {
	local lines
	lines=$(grep -c ' job=' "$log")
	[ "$lines" -eq "$(requests)" ] || {
		echo "$lines job lines for $(requests) requests"
		return 1
	}
}
check 'chat-webhook: logs one line per attempt' one_line_per_attempt
url_not_logged() {
	! grep -q S3CRET "$log"
}
check 'chat-webhook: never logs the webhook URL' url_not_logged

if stop "$chat_pid" 5; then
	check 'chat-webhook: SIGTERM while idle: exits 0' test "$stop_status" -eq 0
else
	fail 'chat-webhook: SIGTERM while idle: exits 0'
fi
check 'chat-webhook: says it stopped' grep -q 'stopped (SIGTERM)' "$log"
[ "$failures" -eq 0 ] || diag "$log"

# ---- chat-webhook: SIGTERM during a delivery -----------------------------------

tube=deploys.term
since=$(requests)
mkdir "$work/term"
printf 'SLOW: deployed app:v5 to web' >"$work/term/1.msg"
printf 'next: deployed app:v6 to web' >"$work/term/2.msg"
put_all "$work/term" "$tube"
log=$work/chat-term.log
run_chat "$log" "$tube"
chat_pid=$!
# The receiver holds a SLOW request for 1 s: stop the consumer meanwhile.
got_request() {
	[ "$(requests)" -gt "$since" ]
}
# children_cmdlines PID: the command lines of PID's children.
children_cmdlines() {
	perl -e '
		for my $d (glob "/proc/[0-9]*") {
			open(my $f, "<", "$d/stat") or next;
			my $st = <$f>;
			next unless $st =~ /\) \S+ (\d+)/ && $1 == $ARGV[0];
			open(my $c, "<", "$d/cmdline") or next;
			local $/;
			my $cl = <$c> // "";
			$cl =~ tr/\0/ /;
			print "$cl\n";
		}' "$1"
}
# curl_hides_url: curl is running (on the held request) and the URL is not
# on its command line.
curl_hides_url() {
	local cl
	cl=$(children_cmdlines "$chat_pid")
	case $cl in
	*S3CRET*)
		echo "the URL is visible: $cl"
		return 1
		;;
	*curl*) return 0 ;;
	esac
	echo "no curl child found: $cl"
	return 1
}
if wait_for 10 got_request; then
	check 'chat-webhook: the webhook URL is not on curl'"'"'s command line' \
	    curl_hides_url
	kill -TERM "$chat_pid"
	if gone "$chat_pid" 10; then
		wait "$chat_pid"
		check 'chat-webhook: SIGTERM during a delivery: exits 0' \
		    test $? -eq 0
	else
		fail 'chat-webhook: SIGTERM during a delivery: exits 0'
	fi
else
	fail 'chat-webhook: SIGTERM during a delivery: exits 0 (no request)'
fi
finished_job() {
	grep -q 'result=delivered payload=text http=200' "$log" &&
	    stat_is "$tube" cmd-delete 1 &&
	    stat_is "$tube" current-jobs-reserved 0
}
check 'chat-webhook: ... after finishing that delivery and deleting its job' \
    finished_job
left_next() {
	stat_is "$tube" current-jobs-ready 1 &&
	    [ "$(requests)" -eq $((since + 1)) ]
}
check 'chat-webhook: ... without taking the next job' left_next
[ "$failures" -eq 0 ] || diag "$log"

# ---- chat-webhook: beanstalkd goes away and comes back -------------------------

tube=deploys.reconnect
since=$(requests)
log=$work/chat-reconnect.log
run_chat "$log" "$tube" 30
chat_pid=$!
wait_for 5 grep -q consuming "$log"
sleep 0.5
kill -TERM "$bs_pid"
gone "$bs_pid" 5
# Let it fail to connect at least once (and back off) before the restart.
wait_for 10 grep -q 'connect: .*retrying in 2s' "$log"
check 'chat-webhook: notices that beanstalkd is gone, retries with backoff' \
    grep -q 'beanstalkd 127.0.0.1:.*connect: .*retrying in 2s' "$log"
start_beanstalkd
mkdir "$work/reconnect" "$work/reconnect-expect"
printf 'after the restart: deployed app:v7 to web' >"$work/reconnect/1.msg"
cp "$work/reconnect/1.msg" "$work/reconnect-expect/1.text"
put_all "$work/reconnect" "$tube"
delivered_after_restart() {
	bs wait "$tube" 20 cmd-delete=1 current-jobs-reserved=0 &&
	    grep -q 'connected to' "$log" &&
	    perl "$t/check" chat "$recv" "$since" "$work/reconnect-expect"
}
check 'chat-webhook: reconnects and delivers a message put after the restart' \
    delivered_after_restart
# It waits in reserve-with-timeout 30: SIGTERM must not wait for that
# (15 s is half of it, room for a loaded machine).
if stop "$chat_pid" 15; then
	check 'chat-webhook: SIGTERM during a 30 s reserve: exits 0, not after it' \
	    test "$stop_status" -eq 0
else
	fail 'chat-webhook: SIGTERM during a 30 s reserve: exits 0, not after it'
fi
[ "$failures" -eq 0 ] || diag "$log"

# ---- mailer ---------------------------------------------------------------------

mail=$work/mail
msg=$work/mail-msg
exp=$work/mail-expect
mkdir "$mail" "$msg" "$exp"
to='ops@example.com, Dev Team <dev@example.com>'
from='Deployer <deployer@example.com>'
# mail_message NAME MESSAGE-FORMAT TEXT-FORMAT SUBJECT-FORMAT
mail_message() {
	# shellcheck disable=SC2059 # the formats are the data
	{
		printf "$2" >"$msg/$1.msg"
		printf "$3" >"$exp/$1.text"
		printf "$4\n" >"$exp/$1.subject"
	}
}
subject=$'[prod] d\303\251ploiement: '
mail_message multiline \
    'Deployed registry.example.com/shop/web:v2.3.1 to web\r\n.\r\nreplicas: 3\n' \
    'Deployed registry.example.com/shop/web:v2.3.1 to web\n.\nreplicas: 3\n' \
    "${subject}Deployed registry.example.com/shop/web:v2.3.1 to web"
mail_message nonascii 'D\303\251ploy\303\251 \342\234\223 caf\351' \
    'D\303\251ploy\303\251 \342\234\223 caf\303\251\n' \
    "${subject}D\303\251ploy\303\251 \342\234\223 caf\303\251"
mail_message json '{"text": "deployed nginx:1.25 to web"}' \
    '{"text": "deployed nginx:1.25 to web"}\n' \
    "${subject}{\"text\": \"deployed nginx:1.25 to web\"}"
long=$(printf 'y%.0s' {1..1500})
mail_message long "$long" "$long\n" "$subject${long:0:97}..."
printf 'ALWAYS-FAIL: deployed app:v4 to db' >"$msg/always.msg"

tube=deploys.mail
check 'put the mail messages (multi-line, non-ASCII, JSON, 1500-byte line)' \
    put_all "$msg" "$tube"
echo 1 >"$mail/fail-count"
log=$work/mailer.log
run_mailer() {
	spawn "$1" env BEANSTALK_ADDR="127.0.0.1:$bs_port" TUBE="$2" \
	    MAIL_TO="$to" MAIL_FROM="$from" \
	    MAIL_SUBJECT="$subject{first_line}" \
	    SENDMAIL="$3" FAKE_SENDMAIL_DIR="$mail" MAX_ATTEMPTS="$4" \
	    BACKOFF=1 BACKOFF_MAX=2 RESERVE_TIMEOUT=1 SENDMAIL_TIMEOUT=5 \
	    "$mailer"
}
run_mailer "$log" "$tube" "$t/fake-sendmail" 3
mailer_pid=$!

check 'mailer: the tube drains, with one job buried' drained "$tube" 1
check 'mailer: every message is mailed exactly once, headers and body right' \
    perl "$t/check" mail "$mail" 0 "$exp" "$to" "$from"
# mail_count STATUS: sendmail calls that ended with STATUS ("0",
# "75 injected", "75 always").
mail_count() {
	grep -lx "$1" "$mail"/*.status | wc -l
}
mail_retried() {
	[ "$(mail_count '75 injected')" -eq 1 ] &&
	    grep -q 'result=retry delay=1s reason="sendmail exit 75' "$log"
}
check 'mailer: a failed sendmail (exit 75) was released and retried' \
    mail_retried
check 'mailer: a message that always fails is buried after 3 attempts' \
    buried_after "$tube" "$msg/always.msg" \
    "$(grep -l ALWAYS-FAIL "$mail"/*.mail | wc -l)"
if stop "$mailer_pid" 5; then
	check 'mailer: SIGTERM while idle: exits 0' test "$stop_status" -eq 0
else
	fail 'mailer: SIGTERM while idle: exits 0'
fi
[ "$failures" -eq 0 ] || diag "$log"

# A sendmail that disappears while the mailer runs is a failure like any
# other: the job is retried, then buried, never lost.
tube=deploys.nosendmail
cp "$t/fake-sendmail" "$work/vanishing-sendmail"
log=$work/mailer-nosendmail.log
run_mailer "$log" "$tube" "$work/vanishing-sendmail" 1
mailer_pid=$!
wait_for 5 grep -q consuming "$log"
rm -f "$work/vanishing-sendmail"
mkdir "$work/nosendmail"
printf 'deployed app:v8 to web' >"$work/nosendmail/1.msg"
put_all "$work/nosendmail" "$tube"
nosendmail_buried() {
	drained "$tube" 1 &&
	    grep -q 'result=buried reason="sendmail exit 127: cannot run' "$log"
}
check 'mailer: a sendmail that vanished gets the job buried, not lost' \
    nosendmail_buried
stop "$mailer_pid" 5

echo "1..$n"
[ "$failures" -eq 0 ]
