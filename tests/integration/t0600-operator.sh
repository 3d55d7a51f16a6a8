#!/bin/bash
# t0600-operator.sh: what an operator touches: --help, --version, --check,
# GET /health, the request log line, and the webhook notifier
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

D=$top_builddir/src/deployer
TOKEN=t0ken-$$
AUTH=$TOKEN
stack_up
svc_create blog local/app:v1 --label deployer.allowUpdates=true \
    --stop-grace-period 1s >/dev/null

# --- the command line -----------------------------------------------------------
like "$("$D" --help)" "--check" "--help lists --check"
like "$("$D" --help)" "--verify-audit" "--help lists --verify-audit"
like "$("$D" --version)" '^deployer [0-9]+\.[0-9]+' "--version"
"$D" --frobnicate >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 2 "an unknown option is an error"
"$D" extra-argument >/dev/null 2>&1 && rc=0 || rc=$?
is "$rc" 2 "a stray argument is an error"

# --- --check ----------------------------------------------------------------------
# check_config CONF: deployer --check with only the file's settings (the test's own
# environment has DOCKER_HOST, which would win over the file).
check_config() {
	env -i PATH="$PATH" "$D" --config "$1" --check 2>&1
}
TPL=$(printf '%s' '{{.Action}} {{.Image}} to {{.ServiceName}}' | base64 -w0)
NOTIFY="{\"addr\":\"$BEANSTALK_ADDR\",\"tube\":\"ops\",\"template\":\"$TPL\"}"
cat >"$WORK/good.conf" <<CONF
token = $TOKEN
docker_host = $DOCKER_HOST
notify_flags = $NOTIFY
spool_dir = off
CONF
out=$(check_config "$WORK/good.conf") && rc=0 || rc=$?
is "$rc" 0 "--check: all pass"
like "$out" "ok +docker +$DOCKER_HOST, API 1\.[0-9]+, swarm active, manager" \
    "--check: Docker is a swarm manager, with its API version"
like "$out" "ok +beanstalkd +$BEANSTALK_ADDR tube ops" "--check: beanstalkd and the tube"
like "$out" "ok +template +renders: deploy registry.example.com/team/app:v1.2@sha256:[0-9a-f]+ to app" \
    "--check: the template renders with sample values"
is "$(printf '%s\n' "$out" | grep -cE '^(ok|FAIL) ')" 5 "--check: one line per check"
like "$out" "setting +docker_host = from $WORK/good.conf:2" \
    "--check: where each setting came from"
if printf '%s' "$out" | grep -qF "$TOKEN"; then
	fail "--check prints no secret"
else
	pass "--check prints no secret"
fi
sed "s|^notify_flags.*|notify_flags = {\"addr\":\"127.0.0.1:1\",\"tube\":\"ops\",\"template\":\"$TPL\"}|" \
    "$WORK/good.conf" >"$WORK/nobs.conf"
out=$(check_config "$WORK/nobs.conf") && rc=0 || rc=$?
is "$rc" 1 "--check: beanstalkd away fails"
like "$out" "FAIL beanstalkd" "... on its line"
printf 'token = x\nfrobnicate = 1\n' >"$WORK/bad.conf"
out=$(check_config "$WORK/bad.conf") && rc=0 || rc=$?
is "$rc" 1 "--check: a broken file fails"
like "$out" "FAIL config +.*bad.conf:2: unknown setting 'frobnicate'" \
    "... naming file and line"
sed "s|^docker_host.*|docker_host = unix://$WORK/none.sock|" "$WORK/good.conf" \
    >"$WORK/nodocker.conf"
out=$(check_config "$WORK/nodocker.conf") && rc=0 || rc=$?
like "$out" "FAIL docker" "--check: Docker unreachable fails"

# --- GET /health ------------------------------------------------------------------
CGI_ENV="DEPLOYER_CONFIG=$WORK/good.conf"
unset AUTH
run_cgi GET /health
is "$STATUS" 200 "health: 200 without a token"
is "$(json_get docker)" ok "health: Docker answers"
is "$(json_get beanstalkd)" ok "health: beanstalkd answers"
run_cgi HEAD /health
is "$STATUS" 200 "health: HEAD"
is "$(cat "$WORK/body")" "" "health: HEAD has no body"
CGI_ENV="DEPLOYER_CONFIG=$WORK/nobs.conf"
run_cgi GET /health
is "$STATUS" 503 "health: 503 when beanstalkd is away"
CGI_ENV="DEPLOYER_CONFIG=$WORK/nodocker.conf"
run_cgi GET /health
is "$STATUS" 503 "health: 503 when Docker is away"
is "$(json_get docker)" unreachable "... naming it"
AUTH=$TOKEN

# --- the log line ---------------------------------------------------------------------
CGI_ENV="DEPLOYER_CONFIG=$WORK/good.conf"
: >"$WORK/deployer.log"
run_cgi PUT /service/blog '{"image": "local/app:v2"}'
is "$STATUS" 200 "a deploy"
id=$(hdr_get X-Request-Id)
like "$(grep "\[$id\] 127.0.0.1 PUT deploy" "$WORK/deployer.log")" \
    "service=blog image=local/app:v2 token=default status=200 [0-9]+ms" \
    "one log line: request id, address, action, service, image, token, status, time"
bs_jobs ops >/dev/null

# --- the webhook notifier -----------------------------------------------------------
mkdir -p "$WORK/hook"
bg_start hook "$top_srcdir/examples/consumers/t/http-receiver" "$WORK/hook"
for _ in $(seq 50); do
	[ -s "$WORK/hook/port" ] && break
	sleep 0.1
done
HOOK=http://127.0.0.1:$(cat "$WORK/hook/port")/hooks/abc
CGI_ENV="DEPLOYER_CONFIG=$WORK/good.conf DEPLOYER_NOTIFY_URL=$HOOK"
run_cgi PUT /service/blog '{"image": "local/app:v3"}'
is "$STATUS" 200 "webhook: the deploy"
is "$(json_get webhook)" sent "webhook: sent"
is "$(jq -r .text "$WORK/hook/0001.body")" "deploy local/app:v3 to blog" \
    "webhook: a plain message is posted as {\"text\": ...}"
like "$(cat "$WORK/hook/0001.head")" "^POST /hooks/abc" "webhook: POSTed to the URL"
like "$(cat "$WORK/hook/0001.head")" "[Cc]ontent-[Tt]ype: application/json" "webhook: as JSON"
is "$(bs_jobs ops)" "deploy local/app:v3 to blog" "beanstalkd got the same message"
echo 1 >"$WORK/hook/fail-count"
run_cgi PUT /service/blog '{"image": "local/app:v2"}'
is "$STATUS" 200 "webhook failing: the deploy still succeeds"
is "$(json_get webhook)" failed "... and says the webhook failed"
like "$(json_get webhook_error)" "HTTP 500" "... and why"
if grep -q "hooks/abc" "$WORK/deployer.log"; then
	fail "the webhook URL (it may hold a secret) is not logged"
else
	pass "the webhook URL (it may hold a secret) is not logged"
fi
JSONTPL=$(printf '%s' '{"text": "{{.ServiceName}} is on {{.Image}}", "icon_emoji": ":ship:"}' | base64 -w0)
CGI_ENV="TOKEN=$TOKEN DOCKER_HOST=$DOCKER_HOST DEPLOYER_SPOOL_DIR=off DEPLOYER_NOTIFY_URL=$HOOK NOTIFY_FLAGS={\"addr\":\"$BEANSTALK_ADDR\",\"tube\":\"ops\",\"template\":\"$JSONTPL\"}"
run_cgi PUT /service/blog '{"image": "local/app:v1"}'
n=$(printf '%04d' "$(cat "$WORK/hook/seq")")
is "$(jq -c . "$WORK/hook/$n.body")" '{"text":"blog is on local/app:v1","icon_emoji":":ship:"}' \
    "webhook: a JSON object template is posted as it is"
done_testing
