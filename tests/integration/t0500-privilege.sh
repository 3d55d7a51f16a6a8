#!/bin/bash
# t0500-privilege.sh: named tokens with scopes, rotation, image allow-lists,
# signed requests with replay protection across processes, and the
# hash-chained audit trail; no secret reaches the log, the audit file or a
# response
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

D=$top_builddir/src/deployer
stack_up
fast=(--stop-grace-period 1s --update-monitor 1s)
svc_create blog local/app:v1 --label deployer.allowUpdates=true "${fast[@]}" >/dev/null
svc_create web-a local/app:v1 --label deployer.allowUpdates=true "${fast[@]}" >/dev/null
svc_create shop local/app:v1 --label deployer.allowUpdates=true \
    --label 'deployer.allowedImages=local/app:v2, local/app:v3*' "${fast[@]}" >/dev/null

secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
CI=ci-$(secret) OPS_OLD=old-$(secret) OPS_NEW=new-$(secret)
SIGNED=sg-$(secret) GH=gh-$(secret) LEGACY=legacy-$(secret)
KEY=k-$(secret) GHKEY=g-$(secret)
printf '%s\n' "$KEY" >"$WORK/signed.key"
printf '%s\n' "$GHKEY" >"$WORK/gh.key"
mkdir -p "$WORK/state"
{
	printf '%s' "$CI" | "$D" --hash-token=ci |
	    sed 's/$/ services=blog,web-* actions=deploy,status/'
	printf '%s' "$OPS_OLD" | "$D" --hash-token=ops_old
	printf '%s' "$OPS_NEW" | "$D" --hash-token=ops_new
	printf '%s' "$SIGNED" | "$D" --hash-token=signed |
	    sed "s|\$| hmac_key_file=$WORK/signed.key|"
	printf '%s' "$GH" | "$D" --hash-token=gh |
	    sed "s|\$| hmac_key_file=$WORK/gh.key signature=github|"
	echo "state_dir = $WORK/state"
	echo "audit_file = $WORK/audit.log"
	echo "record_labels = 1"
	echo "signature_window = 60"
} >"$WORK/deployer.conf"
like "$(cat "$WORK/deployer.conf")" 'token\.ci = sha256:[0-9a-f]{64} services' \
    "--hash-token prints the line to paste"
if grep -q "$CI\|$KEY" "$WORK/deployer.conf"; then
	fail "the configuration holds hashes, not tokens"
else
	pass "the configuration holds hashes, not tokens"
fi
CGI_ENV="DEPLOYER_CONFIG=$WORK/deployer.conf TOKEN=$LEGACY DOCKER_HOST=$DOCKER_HOST DEPLOYER_SPOOL_DIR=off"

# --- scopes ------------------------------------------------------------------
AUTH=$CI run_cgi PUT /service/blog '{"image": "local/app:v2"}'
is "$STATUS" 200 "ci may deploy blog"
is "$(svc_image blog)" local/app:v2 "... and did"
AUTH=$CI run_cgi PUT /service/web-a '{"image": "local/app:v2"}'
is "$STATUS" 200 "ci may deploy web-* services"
AUTH=$CI run_cgi PUT /service/shop '{"image": "local/app:v2"}'
is "$STATUS" 403 "ci may not deploy shop"
like "$(json_get error)" "token ci may not deploy service shop" "... says so"
is "$(svc_image shop)" local/app:v1 "... and shop is unchanged"
AUTH=$CI run_cgi POST /service/blog/rollback
is "$STATUS" 403 "ci may not roll back"
AUTH=$CI run_cgi GET /service/blog
is "$STATUS" 200 "ci may read the status"
AUTH=$LEGACY run_cgi PUT /service/shop '{"image": "local/app:v2"}'
is "$STATUS" 200 "the Go program's TOKEN still works with full scope"

# --- rotation: two live tokens ------------------------------------------------
AUTH=$OPS_OLD run_cgi GET /service/shop
is "$STATUS" 200 "rotation: the old token works"
AUTH=$OPS_NEW run_cgi GET /service/shop
is "$STATUS" 200 "rotation: the new token works at the same time"
sed -i '/^token\.ops_old/d' "$WORK/deployer.conf"
AUTH=$OPS_OLD run_cgi GET /service/shop
is "$STATUS" 401 "rotation: the old token, once removed, is refused"

# --- image allow-list ----------------------------------------------------------
AUTH=$OPS_NEW run_cgi PUT /service/shop '{"image": "local/app:v1"}'
is "$STATUS" 403 "an image outside deployer.allowedImages: 403"
like "$(json_get error)" "not allowed on service shop" "... says so"
AUTH=$OPS_NEW run_cgi PUT /service/shop '{"image": "local/app:v3"}'
is "$STATUS" 200 "an image matching a pattern: 200"
CGI_ENV="$CGI_ENV DEPLOYER_REQUIRE_ALLOWED_IMAGES=1"
AUTH=$OPS_NEW run_cgi PUT /service/blog '{"image": "local/app:v3"}'
is "$STATUS" 403 "require_allowed_images: a service without the label: 403"
CGI_ENV=${CGI_ENV% DEPLOYER_REQUIRE_ALLOWED_IMAGES=1}

# --- labels recording the last deploy -----------------------------------------
is "$(docker service inspect shop --format '{{index .Spec.Labels "deployer.last.by"}}')" \
    ops_new "record_labels: who deployed"
like "$(docker service inspect shop --format '{{index .Spec.Labels "deployer.last.request"}}')" \
    '^[0-9a-f]{16}$' "record_labels: in which request"

# --- signed requests --------------------------------------------------------------
# sign METHOD PATH BODY [TIME]: the X-Deployer-Signature value.
sign() {
	local t=${4:-$(date +%s)}
	printf 't=%s,v1=%s' "$t" "$(printf '%s\n%s\n%s\n%s' "$t" "$1" "$2" "$3" |
	    openssl dgst -sha256 -hmac "$KEY" -r | cut -d' ' -f1)"
}
body='{"image": "local/app:v3"}'
AUTH=$SIGNED run_cgi PUT /service/blog "$body"
is "$STATUS" 401 "a signing token without a signature: 401"
sig=$(sign PUT /service/blog "$body")
AUTH=$SIGNED REQ_ENV="HTTP_X_DEPLOYER_SIGNATURE=$sig" run_cgi PUT /service/blog "$body"
is "$STATUS" 200 "a good signature: 200"
# The replay comes from another process: every CGI request is one.
AUTH=$SIGNED REQ_ENV="HTTP_X_DEPLOYER_SIGNATURE=$sig" run_cgi PUT /service/blog "$body"
is "$STATUS" 401 "the same signed request again: 401"
like "$(json_get error)" "replayed" "... as a replay"
fcgi_start
AUTH=$SIGNED REQ_ENV="HTTP_X_DEPLOYER_SIGNATURE=$sig" run_fcgi PUT /service/blog "$body"
is "$STATUS" 401 "... also from a FastCGI process"
fcgi_stop
bad=$(sign PUT /service/blog '{"image": "local/app:v1"}')
AUTH=$SIGNED REQ_ENV="HTTP_X_DEPLOYER_SIGNATURE=$bad" run_cgi PUT /service/blog "$body"
is "$STATUS" 401 "a signature over another body: 401"
like "$(json_get error)" "bad signature" "... says so"
old=$(sign PUT /service/blog "$body" $(($(date +%s) - 3600)))
AUTH=$SIGNED REQ_ENV="HTTP_X_DEPLOYER_SIGNATURE=$old" run_cgi PUT /service/blog "$body"
is "$STATUS" 401 "a signature an hour old: 401"
like "$(json_get error)" "window" "... outside the window"
q=$(sign GET '/service/blog' '')
AUTH=$SIGNED REQ_ENV="HTTP_X_DEPLOYER_SIGNATURE=$q" run_cgi GET /service/blog
is "$STATUS" 200 "a signed GET"
# GitHub signs the body only: it must name the service, and each
# delivery (X-GitHub-Delivery) and signature is good once, for days.
ghbody='{"image": "local/app:v2", "service": "web-a"}'
ghsign() { printf 'sha256=%s' "$(printf '%s' "$1" |
    openssl dgst -sha256 -hmac "$GHKEY" -r | cut -d' ' -f1)"; }
ghsig=$(ghsign "$ghbody")
gh() { AUTH=$GH REQ_ENV="HTTP_X_HUB_SIGNATURE_256=$1 HTTP_X_GITHUB_DELIVERY=$2" \
    run_cgi "${@:3}"; }
gh "$ghsig" 72d3162e-cc78-11e3-81ab-4c9367dc0958 PUT /service/web-a "$ghbody"
is "$STATUS" 200 "a GitHub-style X-Hub-Signature-256 with a delivery ID: 200"
gh "$ghsig" 72d3162e-cc78-11e3-81ab-4c9367dc0958 PUT /service/web-a "$ghbody"
is "$STATUS" 401 "... its delivery again: 401"
like "$(json_get error)" "X-GitHub-Delivery already seen" "... says so"
gh "$ghsig" 11111111-2222-3333-4444-555555555555 PUT /service/web-a "$ghbody"
is "$STATUS" 401 "... the same body under a new delivery ID: 401"
like "$(json_get error)" "signature already used" "... the signature is remembered"
AUTH=$GH REQ_ENV="HTTP_X_HUB_SIGNATURE_256=$ghsig" run_cgi PUT /service/web-a "$ghbody"
is "$STATUS" 401 "GitHub style without X-GitHub-Delivery: 401"
gh "$ghsig" 22222222-2222-3333-4444-555555555555 PUT /service/web-b "$ghbody"
is "$STATUS" 401 "... the body replayed on another path: 401"
empty=$(ghsign '')
gh "$empty" 33333333-2222-3333-4444-555555555555 POST /service/web-a/rollback
is "$STATUS" 401 "an empty body (the constant signature of a rollback): 401"
like "$(json_get error)" "must be a JSON object whose \"service\"" \
    "... a body that names no service cannot be tied to one"
nobind='{"image": "local/app:v2"}'
gh "$(ghsign "$nobind")" 44444444-2222-3333-4444-555555555555 PUT /service/web-a "$nobind"
is "$STATUS" 401 "a GitHub-signed body without \"service\": 401"
gh "sha256=$(printf '0%.0s' {1..64})" 55555555-2222-3333-4444-555555555555 \
    PUT /service/web-a "$ghbody"
is "$STATUS" 401 "a wrong GitHub signature: 401"
check "the replay store lives in the swarm (one config per entry)" \
    sh -c "docker config ls -q --filter label=deployer.replay.expires | grep -q ."

# --- the audit trail --------------------------------------------------------------
AUTH=nobody run_cgi PUT /service/blog "$body"
is "$STATUS" 401 "an unknown token"
lines=$(wc -l <"$WORK/audit.log")
check "the audit file has a line per request ($lines)" [ "$lines" -ge 20 ]
last=$(tail -n 1 "$WORK/audit.log")
like "$last" '"outcome":"unauthenticated","status":401' "a failed authentication is audited"
like "$(grep '"phase":"outcome"' "$WORK/audit.log" | grep '"token":"ci"' | head -n 1)" \
    '"action":"deploy","service":"blog","old_image":"local/app:v1","new_image":"local/app:v2".*"version":"[0-9]+","outcome":"accepted","status":200' \
    "a deploy is audited with images, version and outcome"
like "$(grep '"token":"ci"' "$WORK/audit.log" | head -n 1)" \
    '"phase":"intent",.*"action":"deploy","service":"blog","service_id":"[a-z0-9]+","old_image":"local/app:v1","new_image":"local/app:v2"' \
    "... after its intent, written before the Docker write"
like "$(grep '"status":403' "$WORK/audit.log" | head -n 1)" '"outcome":"forbidden"' \
    "a refusal is audited"
like "$(cat "$WORK/deployer.log")" "audit=[0-9a-f]{16}" "the log carries each audit hash"
check "--verify-audit: the chain is intact" "$D" --verify-audit "$WORK/audit.log"

cp "$WORK/audit.log" "$WORK/edited.log"
sed -i '5s/"request_id":"./"request_id":"X/' "$WORK/edited.log"
out=$("$D" --verify-audit "$WORK/edited.log") && rc=0 || rc=$?
is "$rc" 1 "an edited line is detected"
like "$out" "edited.log:5:" "... at its own line"
cp "$WORK/audit.log" "$WORK/cut.log"
sed -i '7d' "$WORK/cut.log"
out=$("$D" --verify-audit "$WORK/cut.log") && rc=0 || rc=$?
like "$out" "cut.log:7:" "a removed line is detected where the chain breaks"

# --- secrets -------------------------------------------------------------------------
leak=0
for s in "$CI" "$OPS_OLD" "$OPS_NEW" "$SIGNED" "$GH" "$LEGACY" "$KEY" "$GHKEY"; do
	if grep -qF "$s" "$WORK/deployer.log" "$WORK/audit.log" "$WORK/body" \
	    "$WORK/headers" "$WORK/fcgi.log" 2>/dev/null; then
		leak=1
		diag "a secret was found in the logs, the audit file or a reply"
	fi
done
check "no token or key reaches the log, the audit file or a response" \
    [ "$leak" = 0 ]
done_testing
