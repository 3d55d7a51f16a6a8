#!/bin/bash
# t0510-trust-boundary.sh: nothing a request carries decides whom the
# program trusts, where it writes or which Docker it talks to
#
# Raw FastCGI requests with hostile parameters against a persistent process
# (unix socket and TCP), the start-up refusals (no token, beyond loopback,
# BIND=:port), scopes against the service's real name, per-component image
# patterns, a spool directory that cannot be used, the audit trail's
# intent and outcome, a torn last line, a recomputed chain under a key,
# a process killed between the Docker write and its answer, audit_required,
# the refused-request limit, and a silent FastCGI client.
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

stack_up
TOKEN=t0ken-$$-$RANDOM
fast=(--stop-grace-period 1s)
svc_create blog local/app:v1 --label deployer.allowUpdates=true \
    --replicas 0 "${fast[@]}" >/dev/null
svc_create open local/app:v1 --label deployer.allowUpdates=true \
    --label 'deployer.allowedImages=*.example.com/app:*' \
    --replicas 0 "${fast[@]}" >/dev/null
printf 'audit-key-of-at-least-16-bytes-%s\n' "$RANDOM" >"$WORK/audit.key"
cat >"$WORK/deployer.conf" <<CONF
token = $TOKEN
docker_host = $DOCKER_HOST
audit_file = $WORK/audit.log
audit_key_file = $WORK/audit.key
spool_dir = off
request_timeout = 2
CONF
CGI_ENV="DEPLOYER_CONFIG=$WORK/deployer.conf"
AUTH=$TOKEN

# --- a persistent process takes no setting from a request ---------------
fcgi_start
hostile=(
	"TOKEN=x"
	"DOCKER_HOST=tcp://127.0.0.1:1"
	"DEPLOYER_NOTIFY_TEMPLATE_FILE=$WORK/audit.key"
	"DEPLOYER_NOTIFY_URL=http://127.0.0.1:1/"
	"DEPLOYER_AUDIT_FILE=$WORK/elsewhere.log"
	"DEPLOYER_SPOOL_DIR=$WORK/elsewhere"
	"DEPLOYER_STATE_DIR=$WORK/elsewhere"
	"DEPLOYER_CONFIG=$WORK/elsewhere.conf"
	"DEPLOYER_WAIT_MAX=100000"
	"DEPLOYER_REQUIRE_DIGEST=0"
)
for p in "${hostile[@]}"; do
	REQ_ENV=$p run_fcgi PUT /service/blog '{"image": "local/app:v2"}'
	is "$STATUS" 400 "parameter ${p%%=*}: 400"
done
like "$(json_get error)" "request parameter DEPLOYER_REQUIRE_DIGEST" \
    "... naming the parameter"
is "$(svc_image blog)" local/app:v1 "... and nothing was deployed"
like "$(cat "$WORK/fcgi.log")" "refused request parameter DOCKER_HOST" \
    "each refusal is logged"
check "no file was written where a parameter pointed" \
    [ ! -e "$WORK/elsewhere.log" ]
check "... nor a directory made" [ ! -e "$WORK/elsewhere" ]
REQ_ENV="DEPLOYER_REQUIRE_ALLOWED_IMAGES=1" run_fcgi PUT /service/blog \
    '{"image": "local/app:v2"}'
is "$STATUS" 403 "DEPLOYER_REQUIRE_ALLOWED_IMAGES=1 makes the request stricter"
REQ_ENV="DEPLOYER_WAIT_MAX=5" run_fcgi PUT '/service/blog?wait=10' \
    '{"image": "local/app:v2"}'
is "$STATUS" 400 "a lower DEPLOYER_WAIT_MAX applies"
REQ_ENV="HTTP_AUTHORIZATION=x" AUTH=x run_fcgi PUT /service/blog \
    '{"image": "local/app:v2"}'
is "$STATUS" 401 "a client's own Authorization is only a wrong token"
fcgi_stop

# --- start-up refusals -----------------------------------------------------
grep -v '^token' "$WORK/deployer.conf" >"$WORK/notoken.conf"
out=$(env -i DEPLOYER_CONFIG="$WORK/notoken.conf" timeout 10 "$DEPLOYER" \
    --listen "unix:$WORK/x.sock" 2>&1) && rc=0 || rc=$?
is "$rc" 1 "a FastCGI process without a token does not start"
like "$out" "without a token" "... and says why"
out=$(env -i DEPLOYER_CONFIG="$WORK/deployer.conf" timeout 10 "$DEPLOYER" \
    --listen 0.0.0.0:0 2>&1) && rc=0 || rc=$?
is "$rc" 1 "--listen 0.0.0.0: refused"
like "$out" "beyond loopback" "... naming the danger"
out=$(env -i DEPLOYER_CONFIG="$WORK/deployer.conf" BIND=:9999 timeout 10 \
    "$DEPLOYER" 2>&1) && rc=0 || rc=$?
is "$rc" 1 "BIND=:9999 copied from the Go program: refused"
like "$out" "BIND=127.0.0.1:9999" "... with what to write instead"
printf '%s' '{"image": "local/app:v2"}' >"$WORK/kill.body"
port=$(free_port)
bg_start tcp env -i DEPLOYER_CONFIG="$WORK/deployer.conf" "$DEPLOYER" \
    --listen "127.0.0.1:$port"
for _ in $(seq 50); do
	ss -ltn "sport = :$port" | grep -q LISTEN && break
	sleep 0.1
done
(env -i REQUEST_METHOD=PUT PATH_INFO=/service/blog SCRIPT_NAME=/d \
    CONTENT_LENGTH=25 HTTP_AUTHORIZATION="$TOKEN" DOCKER_HOST=tcp://127.0.0.1:1 \
    cgi-fcgi -bind -connect "127.0.0.1:$port" <"$WORK/kill.body" \
    >"$WORK/tcp.out") || true
like "$(head -n 1 "$WORK/tcp.out")" "Status: 400" "over TCP, a DOCKER_HOST parameter: 400"
bg_stop tcp
mkdir -p "$WORK/sock"
bg_start wide env -i DEPLOYER_CONFIG="$WORK/deployer.conf" \
    "$(command -v spawn-fcgi)" -n -s "$WORK/sock/w.sock" -M 0666 -- "$DEPLOYER"
for _ in $(seq 50); do
	grep -q "writable by every user" "$WORK/wide.log" && break
	sleep 0.1
done
like "$(cat "$WORK/wide.log")" "writable by every user" \
    "a socket every user may write to gets a warning"
bg_stop wide

# --- scopes against the real name, patterns per component ---------------
id=$(docker service inspect blog --format '{{.ID}}')
KEYT=scoped-$$-$RANDOM
{
	cat "$WORK/deployer.conf"
	printf '%s' "$KEYT" | "$DEPLOYER" --hash-token=scoped |
	    sed "s/\$/ services=${id:0:1}*,open/"
} >"$WORK/scoped.conf"
CGI_ENV="DEPLOYER_CONFIG=$WORK/scoped.conf" AUTH=$KEYT run_cgi GET "/service/$id"
is "$STATUS" 403 "services=${id:0:1}* does not admit blog by its ID"
like "$(json_get error)" "may not read the status of service blog" \
    "... checked against the real name"
CGI_ENV="DEPLOYER_CONFIG=$WORK/scoped.conf" AUTH=$KEYT run_cgi PUT /service/open \
    '{"image": "evil.org/x.example.com/app:1"}'
is "$STATUS" 403 "*.example.com/app:* does not admit evil.org/x.example.com/app:1"
CGI_ENV="DEPLOYER_CONFIG=$WORK/scoped.conf" AUTH=$KEYT run_cgi PUT \
    '/service/open?dry_run=1' '{"image": "registry.example.com/app:1"}'
is "$STATUS" 200 "... but admits registry.example.com/app:1"

# --- a spool that cannot be used ------------------------------------------
# (the file says spool_dir = off, and the file wins: a copy without it)
grep -v '^spool_dir' "$WORK/deployer.conf" >"$WORK/spool.conf"
NOTIFY="{\"addr\":\"127.0.0.1:1\",\"tube\":\"t\",\"template\":\"$(printf '{{.Image}}' | base64 -w0)\"}"
CGI_ENV="DEPLOYER_CONFIG=$WORK/spool.conf NOTIFY_FLAGS=$NOTIFY DEPLOYER_SPOOL_DIR=$WORK/no/such/spool" \
    run_cgi PUT /service/blog '{"image": "local/app:v2"}'
is "$STATUS" 200 "beanstalkd down, spool unusable: the deploy still succeeds"
is "$(json_get notification)" failed "... the notification is lost"
like "$(json_get notification_error)" "spool.*cannot be created" \
    "... and the answer blames the spool, not only beanstalkd"
like "$(cat "$WORK/deployer.log")" "spool: directory $WORK/no/such/spool cannot be created" \
    "... and so does the log"
CGI_ENV="DEPLOYER_CONFIG=$WORK/spool.conf NOTIFY_FLAGS=$NOTIFY DEPLOYER_SPOOL_DIR=$WORK/no/such/spool" \
    run_cgi GET /health
is "$STATUS" 503 "/health with beanstalkd down: 503"
like "$(json_get spool)" "cannot be created" "... and it reports the spool with the reason"
CGI_ENV="DEPLOYER_CONFIG=$WORK/spool.conf NOTIFY_FLAGS=$NOTIFY DEPLOYER_SPOOL_DIR=$WORK/spool" \
    run_cgi PUT /service/blog '{"image": "local/app:v3"}'
is "$(json_get notification)" spooled "a spool directory that is not there yet is made"
is "$(stat -c %a "$WORK/spool")" 700 "... mode 0700"
out=$(env -i DEPLOYER_CONFIG="$WORK/spool.conf" NOTIFY_FLAGS="$NOTIFY" \
    DEPLOYER_SPOOL_DIR="$WORK/no/such/spool" "$DEPLOYER" --check 2>&1) || true
like "$out" "FAIL spool +directory $WORK/no/such/spool cannot be created" \
    "--check reports the spool"

# --- the audit trail ------------------------------------------------------
check "a deploy leaves an intent record" \
    grep -q '"phase":"intent"' "$WORK/audit.log"
check "--verify-audit --key: the keyed chain is intact" "$DEPLOYER" \
    --verify-audit "$WORK/audit.log" --key "$WORK/audit.key"
out=$("$DEPLOYER" --verify-audit "$WORK/audit.log") && rc=0 || rc=$?
is "$rc" 1 "a keyed chain does not verify without its key"
like "$out" "give --key" "... and says so"

# rehash FILE FROM: rewrite every line from FROM on with plain SHA-256, as
# someone without the key would after editing line FROM.
rehash() {
	local prev='' n=0 line body h
	while IFS= read -r line; do
		n=$((n + 1))
		body=${line%,\"hash\":*}
		if [ "$n" -ge "$2" ]; then
			body=$(printf '%s' "$body" |
			    sed -E "s/\"prev\":\"[0-9a-f]{64}\"/\"prev\":\"$prev\"/")
			h=$(printf '%s}' "$body" | sha256sum | cut -d' ' -f1)
		else
			h=$(printf '%s' "$line" | sed -E 's/.*"hash":"([0-9a-f]{64})"}$/\1/')
		fi
		printf '%s,"hash":"%s"}\n' "$body" "$h"
		prev=$h
	done <"$1"
}
sed '2s/"remote_addr":"[^"]*"/"remote_addr":"203.0.113.9"/' "$WORK/audit.log" \
    >"$WORK/edited.log"
rehash "$WORK/edited.log" 2 >"$WORK/recomputed.log"
out=$("$DEPLOYER" --verify-audit "$WORK/recomputed.log" --key "$WORK/audit.key") \
    && rc=0 || rc=$?
is "$rc" 1 "a line edited and the chain recomputed without the key: caught"
like "$out" "recomputed.log:2:" "... at the edited line"

# A crash that tore the last line: the next record closes it and chains
# from the line before.
printf '{"time":"2026-01-01T00:00:00.000Z","phase":"outc' >>"$WORK/audit.log"
run_cgi GET /service/blog
is "$STATUS" 200 "a request after a torn audit line is served"
like "$(tail -n 1 "$WORK/audit.log")" '"torn":true' "... its record marks the torn line"
out=$("$DEPLOYER" --verify-audit "$WORK/audit.log" --key "$WORK/audit.key") \
    && rc=0 || rc=$?
is "$rc" 0 "... and the chain still verifies"
like "$out" "1 line\(s\) torn by a crash" "... reporting the torn line"

# A process killed between the Docker write and its answer: the intent is
# on record.
svc_create slow local/app:v1 --label deployer.allowUpdates=true \
    --replicas 1 --update-delay 20s "${fast[@]}" >/dev/null
svc_wait_running slow 1 60
(_stack_exec_clean env -i DEPLOYER_CONFIG="$WORK/deployer.conf" \
    REQUEST_METHOD=PUT PATH_INFO=/service/slow SCRIPT_NAME=/d \
    QUERY_STRING=wait=60 CONTENT_LENGTH=25 HTTP_AUTHORIZATION="$TOKEN" \
    REMOTE_ADDR=127.0.0.1 "$DEPLOYER" <"$WORK/kill.body" >/dev/null 2>&1) &
victim=$!
for _ in $(seq 100); do
	[ "$(svc_image slow)" = local/app:v1 ] || break
	sleep 0.1
done
pkill -KILL -P "$victim" 2>/dev/null || true
kill -KILL "$victim" 2>/dev/null || true
wait "$victim" 2>/dev/null || true
is "$(svc_image slow)" local/app:v2 "the update was written before the kill"
like "$(grep '"service":"slow"' "$WORK/audit.log" | tail -n 1)" \
    '"phase":"intent".*"new_image":"local/app:v2"' \
    "the killed request left its intent"
out=$("$DEPLOYER" --verify-audit "$WORK/audit.log" --key "$WORK/audit.key") || true
like "$out" "1 intent\(s\) without an outcome" "--verify-audit names it"

# audit_required: a change that cannot be recorded is not made.
sed "s|^audit_file = .*|audit_file = $WORK/no/such/dir/audit.log|" \
    "$WORK/deployer.conf" >"$WORK/required.conf"
echo "audit_required = 1" >>"$WORK/required.conf"
CGI_ENV="DEPLOYER_CONFIG=$WORK/required.conf" run_cgi PUT /service/blog \
    '{"image": "local/app:v1"}'
is "$STATUS" 503 "audit_required with an unwritable audit file: 503"
is "$(svc_image blog)" local/app:v3 "... and nothing changed"

# Refused requests: at most audit_refused_max lines a minute, the rest
# counted into one record.
cp "$WORK/deployer.conf" "$WORK/limit.conf"
sed -i "s|^audit_file = .*|audit_file = $WORK/refused.log|" "$WORK/limit.conf"
echo "audit_refused_max = 3" >>"$WORK/limit.conf"
# The gate counts per minute of the clock: ten refusals that straddle a
# minute's end are tried again (a fresh file), whatever the machine's speed.
for attempt in 1 2 3; do
	rm -f "$WORK/refused.log" "$WORK/refused.log.refused"
	m0=$((EPOCHSECONDS / 60))
	for _ in $(seq 10); do
		CGI_ENV="DEPLOYER_CONFIG=$WORK/limit.conf" AUTH=wrong run_cgi GET /service/blog
	done
	[ $((EPOCHSECONDS / 60)) != "$m0" ] || break
	diag "attempt $attempt crossed a minute boundary"
done
is "$STATUS" 401 "a flood of wrong tokens: 401"
is "$(grep -c unauthenticated "$WORK/refused.log")" 3 "... three lines in the minute"
# The next minute's first refusal writes the count of the rest.
read -r minute lines dropped <"$WORK/refused.log.refused"
is "$lines $dropped" "3 7" "... and seven counted"
echo "$((minute - 1)) $lines $dropped" >"$WORK/refused.log.refused"
CGI_ENV="DEPLOYER_CONFIG=$WORK/limit.conf" AUTH=wrong run_cgi GET /service/blog
like "$(tail -n 2 "$WORK/refused.log" | head -n 1)" \
    '"outcome":"refused_suppressed","count":7' "... written as one record later"
check "... and the chain holds" "$DEPLOYER" --verify-audit "$WORK/refused.log" \
    --key "$WORK/audit.key"

# --- a silent FastCGI client cannot hold the process ---------------------
fcgi_start
# It stays silent far longer than a loaded machine could take to serve
# the request behind it.
# shellcheck disable=SC2016 # $1 is the inner shell's
bg_start silent bash -c 'sleep 120 | socat -u - "UNIX-CONNECT:$1"' silent \
    "$FCGI_SOCK"
sleep 0.5
t0=$(date +%s%N)
run_fcgi GET /service/blog
t1=$(date +%s%N)
is "$STATUS" 200 "a request behind a silent client is served"
check "... long before the silent client gives up (request_timeout = 2)" \
    [ $(((t1 - t0) / 1000000)) -lt 60000 ]
# A client that sends its parameters and then too little body.
(printf '%s' '{"ima' | socat -t 5 - "UNIX-CONNECT:$FCGI_SOCK" >/dev/null) || true
run_fcgi GET /service/blog
is "$STATUS" 200 "... and after a client that sends no valid request"
bg_stop silent
check "the process still serves" fcgi_alive
done_testing
