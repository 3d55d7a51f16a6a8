#!/bin/bash
# t0900-hooks.sh: push to deploy.  A real docker-registry notifies the
# program behind nginx (examples/nginx-fcgiwrap) after a real docker push,
# and the service tracking the tag moves to the pushed digest; Docker Hub,
# GitHub, Harbor and Quay deliver their documented payloads (tests/hooks/)
# through the same nginx, real swarm
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../webserver.sh
. "${0%/*}/../webserver.sh"

ws_need fcgiwrap docker-registry htpasswd
ws_setup
ex=$WS_EXAMPLES/nginx-fcgiwrap
hooks=$top_srcdir/tests/hooks

# --- tokens: one per sender, as the README sets them up ----------------------
HOOK=hook-$$-$RANDOM$RANDOM        # the registry's and Harbor's header
PATHTOK=path$$x$RANDOM$RANDOM      # Docker Hub's and Quay's path
DEPLOYONLY=ci-$$-$RANDOM           # may deploy, may not send hooks
openssl rand -hex 32 | tr -d '\n' >"$WORK/github.key"
chown nobody "$WORK/github.key"
chmod 0600 "$WORK/github.key"
hash_line() { printf '%s' "$2" | "$DEPLOYER" --hash-token="$1"; }

REG=127.0.0.1:5000
mkdir -p "$WORK/registry/data" "$WORK/dockercfg"
htpasswd -Bbn ci 's3cret pass' >"$WORK/registry/htpasswd"
export DOCKER_CONFIG=$WORK/dockercfg
install -o nobody -m 0600 /dev/null "$WORK/regauth.json"
printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" \
    "$(printf 'ci:s3cret pass' | base64 -w0)" >"$WORK/regauth.json"

ws_config nobody
{
	echo "$(hash_line registry "$HOOK") actions=hook"
	echo "$(hash_line hub "$PATHTOK") actions=hook services=hub*,quay*"
	echo "$(hash_line gh unused-$$) actions=hook signature=github" \
	    "hmac_key_file=$WORK/github.key"
	echo "$(hash_line ci "$DEPLOYONLY") actions=deploy"
	echo "audit_file = $WORK/audit.log"
	echo "registry_auth = $WORK/regauth.json"
} >>"$WORK/deployer.conf"
install -o nobody -m 0600 /dev/null "$WORK/audit.log"

# --- the program behind nginx, nginx where dockerd and the registry are ------
ws_rundir run
ws_fill "$ex/deployer-fcgiwrap.socket" "$WORK/fcgiwrap.socket" RUNDIR="$WORK/run"
ws_fill "$ex/deployer-fcgiwrap.service" "$WORK/fcgiwrap.service" RUNDIR="$WORK/run"
ws_systemd_start fcgiwrap "$WORK/fcgiwrap.service" "$WORK/fcgiwrap.socket"
WS_NETNS=1
ws_nginx_start nginx "$ex/deployer.nginx" RUNDIR="$WORK/run"
URL=https://127.0.0.1:$WS_PORT/deploy

# The registry notifies the program as examples/hooks shows, with the
# token in the endpoint's headers; it trusts the test's certificate.
ws_fill "$WS_EXAMPLES/hooks/registry-config.yml" "$WORK/registry/config.yml" \
    REGISTRY_DATA="$WORK/registry/data" REGISTRY_ADDR="$REG" \
    REGISTRY_HTPASSWD="$WORK/registry/htpasswd" SERVER_NAME=127.0.0.1 \
    PORT="$WS_PORT" HOOK_TOKEN="$HOOK"
bg_start registry stack_netns_exec "$STACK_DIR" env SSL_CERT_FILE="$WS_CA" \
    docker-registry serve "$WORK/registry/config.yml"
for _ in $(seq 50); do
	stack_netns_exec "$STACK_DIR" curl -s -o /dev/null "http://$REG/v2/" && break
	sleep 0.2
done
printf '%s' 's3cret pass' |
    docker login -u ci --password-stdin "$REG" >/dev/null 2>&1
push() {
	docker tag "$1" "$2"
	docker push -q "$2" >/dev/null
}
registry_digest() {
	stack_netns_exec "$STACK_DIR" curl -sf -u 'ci:s3cret pass' -o /dev/null \
	    -D - -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
	    "http://$REG/v2/$1/manifests/$2" | tr -d '\r' |
	    sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
push local/app:v1 "$REG/app:v1"
push local/app:v1 "$REG/quayapp:v4"
push local/app:v3 "$REG/quayapp:v5"
d1=$(registry_digest app v1)
d5=$(registry_digest quayapp v5)

# svc NAME IMAGE [LABEL...]: a service with the labels, 0 replicas unless
# REPLICAS says otherwise, credentials stored (--with-registry-auth).
svc() {
	local name=$1 image=$2 l
	local -a args=()
	shift 2
	for l in "$@"; do args+=(--label "$l"); done
	docker service create -d --quiet --name "$name" --with-registry-auth \
	    --no-resolve-image --replicas "${REPLICAS:-0}" \
	    --stop-grace-period 1s --update-monitor 1s "${args[@]}" "$image" >/dev/null
}
A=deployer.allowUpdates=true
REPLICAS=1 svc web "$REG/app:v1@$d1" "$A" 'deployer.track=v*'
svc edge "$REG/app:v1@$d1" "$A" deployer.track=latest
svc manual "$REG/app:v1@$d1" "$A"
svc unlabelled "$REG/app:v1@$d1" 'deployer.track=v*'
svc migsvc "$REG/app:v1@$d1" "$A" 'deployer.track=v*' \
    'deployer.job.command=./migrate'
svc quaysvc "$REG/quayapp:v4" "$A" 'deployer.track=v*'
svc hubsvc local/app:v1 "$A" 'deployer.track=v*'
svc ghsvc ghcr.io/octo-org/hello-world:v1.4.1 "$A" 'deployer.track=v*'
svc harborv harbor.example.com:8443/shop/web:v1.4.1 "$A" 'deployer.track=v*'
svc harborlatest harbor.example.com:8443/shop/web:latest "$A" deployer.track=latest
svc harborall harbor.example.com:8443/shop/web:latest "$A" 'deployer.track=*'
svc_wait_running web 1 60
version() { docker service inspect "$1" --format '{{.Version.Index}}'; }
v_edge=$(version edge) v_manual=$(version manual) v_unl=$(version unlabelled)
bs_jobs "$WS_TUBE" >/dev/null

# --- a real push, delivered by the registry ----------------------------------
push local/app:v2 "$REG/app:v2"
pushed_at=$(date +%s%N)
d2=$(registry_digest app v2)
like "$d2" '^sha256:[0-9a-f]{64}$' "the registry has app:v2"
for _ in $(seq 100); do
	[ "$(svc_image web)" != "$REG/app:v2@$d2" ] || break
	sleep 0.1
done
is "$(svc_image web)" "$REG/app:v2@$d2" \
    "registry push: the service tracking v* runs repo:tag@digest, the event's digest"
diag "registry push: the service's spec had the digest $((($(date +%s%N) - pushed_at) / 1000000)) ms after docker push returned"
is "$(svc_image edge) $(version edge)" "$REG/app:v1@$d1 $v_edge" \
    "... the one tracking latest is unchanged"
is "$(svc_image manual) $(version manual)" "$REG/app:v1@$d1 $v_manual" \
    "... the one without deployer.track is unchanged"
is "$(svc_image unlabelled) $(version unlabelled)" "$REG/app:v1@$d1 $v_unl" \
    "... the one without deployer.allowUpdates is unchanged"
is "$(svc_image migsvc)" "$REG/app:v1@$d1" \
    "... and the one that runs a job before its deploys"
svc_wait_update web 60 >/dev/null
is "$(svc_update_state web)" completed "... and its rollout completed"
is "$(grep -c 'POST /deploy/hook/registry HTTP/[0-9.]*" 202 ' \
    "$WS_DIR/access.log")" 1 "... one delivery answered 202 (nginx's log)"
like "$(bs_jobs "$WS_TUBE")" "push web $REG/app:v2@$d2 accepted" \
    "... the notification says push, in .Action"
like "$(jq -c 'select(.action == "push" and .service == "web" and
    .phase == "outcome")' "$WORK/audit.log")" '"outcome":"accepted"' \
    "... the audit trail has it"
AUTH=$WS_TOKEN
hreq GET /service/web/history
is "$(json_get '.history[0].action')" push "... and the service's history"

# The same push again: the registry delivers the same event again.
v_web=$(version web)
n0=$(grep -c 'hook/registry' "$WS_DIR/access.log")
docker push -q "$REG/app:v2" >/dev/null
for _ in $(seq 50); do
	[ "$(grep -c 'hook/registry' "$WS_DIR/access.log")" = "$n0" ] || break
	sleep 0.1
done
sleep 0.5
like "$(tail -n 1 "$WS_DIR/access.log")" '/hook/registry HTTP/[0-9.]*" 200 ' \
    "the same push delivered again: 200"
is "$(version web)" "$v_web" "... and the service is not written again"

# The envelope of that event, as the registry sent it, delivered by hand.
event() {
	jq -c --arg host "$REG" --arg repo "$1" --arg tag "$2" --arg d "$3" \
	    '.events[1].request.host = $host | .events[1].target.repository = $repo
	     | .events[1].target.tag = $tag | .events[1].target.digest = $d' \
	    "$hooks/registry-push.json"
}
AUTH="Bearer $HOOK"
hreq POST /hook/registry "$(event app v2 "$d2")"
is "$STATUS $(json_get state)" "200 unchanged" "a replayed event: 200 unchanged"
is "$(json_get '.services[0].service') $(json_get '.services[0].state')" \
    "web unchanged" "... naming the service it left as it was"
is "$(json_get '.skipped | map(.service) | sort | join(",")')" \
    "edge,migsvc,unlabelled" "... and the ones it skipped, with the reason"
like "$(json_get '.skipped[] | select(.service == "migsvc") | .reason')" \
    "runs a job before its deploys" \
    "... a service with a job among them (a hook waits for no job)"
is "$(json_get ignored_events)" 2 "... the blob and the pull: ignored"
hreq POST '/hook/registry?dry_run=1' "$(event app v9 "$d1")"
is "$STATUS $(json_get state)" "200 dry_run" "?dry_run=1: the plan only"
is "$(json_get '.services[0].image')" "$REG/app:v9@$d1" "... with the image it would write"
is "$(version web)" "$v_web" "... and nothing written"
hreq POST '/hook/registry?wait=5' "$(event app v2 "$d2")"
is "$STATUS" 400 "?wait=: 400, a hook does not wait"

# --- authentication -----------------------------------------------------------
HREQ_NOAUTH=1 hreq POST /hook/registry "$(event app v2 "$d2")"
is "$STATUS" 401 "no Authorization header: 401"
AUTH="Bearer wrong-$HOOK"
hreq POST /hook/registry "$(event app v2 "$d2")"
is "$STATUS" 401 "a wrong token: 401"
AUTH=$DEPLOYONLY
hreq POST /hook/registry "$(event app v2 "$d2")"
is "$STATUS" 403 "a token without the hook action: 403"
like "$(json_get error)" "actions=hook" "... and says which action it needs"
AUTH="Bearer $HOOK"
hreq POST /hook/registry '{"events": [{"action": "push", "target": {"mediaType": "application/vnd.docker.distribution.manifest.v2+json", "tag": "v1"}}]}'
is "$STATUS" 400 "a malformed payload: 400"
hreq POST /hook/registry/not-a-secret-$$ "$(event app v2 "$d2")"
is "$STATUS" 404 "a token in the path of /hook/registry: 404"

# --- Docker Hub: the token in the path, no digest ------------------------------
hub=$(jq -c '.repository.repo_name = "local/app" | .push_data.tag = "v2"' \
    "$hooks/dockerhub-push.json")
HREQ_NOAUTH=1 hreq POST "/hook/dockerhub/$PATHTOK" "$hub"
is "$STATUS $(json_get state)" "202 accepted" "dockerhub: 202 accepted"
is "$(svc_image hubsvc)" local/app:v2 \
    "... the tag, unpinned where Docker Hub cannot be asked (no network here)"
like "$(json_get warnings)" "could not be accessed on a registry" \
    "... with the CLI's warning"
HREQ_NOAUTH=1 hreq POST /hook/dockerhub "$hub"
is "$STATUS" 401 "dockerhub without a token: 401"
HREQ_NOAUTH=1 hreq POST "/hook/dockerhub/x$PATHTOK" "$hub"
is "$STATUS" 401 "dockerhub with a wrong token in the path: 401"

# --- Quay: the token in the path, a registry with a port, no digest -------------
quay=$(jq -c --arg u "$REG/quayapp" '.docker_url = $u | .updated_tags = ["v5"]' \
    "$hooks/quay-repo-push.json")
HREQ_NOAUTH=1 hreq POST "/hook/quay/$PATHTOK" "$quay"
is "$STATUS $(json_get state)" "202 accepted" "quay: 202 accepted"
is "$(svc_image quaysvc)" "$REG/quayapp:v5@$d5" \
    "... the tag resolved through the registry, host and port kept"
HREQ_NOAUTH=1 hreq POST "/hook/quay/$PATHTOK" "$(cat "$hooks/quay-build-success.json")"
is "$STATUS $(json_get state)" "200 ignored" "quay: another event: 200 ignored"
is "$(json_get '.ignored[0].reason')" "no updated_tags: not a repo_push" \
    "... saying why"

# --- GitHub: signed, the delivery ID refused when seen before -------------------
gh() { # gh EVENT DELIVERY FILE [KEY]
	local sig
	sig=$(openssl dgst -sha256 -hmac "${4:-$(cat "$WORK/github.key")}" -r <"$3")
	sig=${sig%% *}
	stack_netns_exec "$STACK_DIR" curl -sS --cacert "$WS_CA" -o "$WORK/body" \
	    -w '%{http_code}' -H "X-GitHub-Event: $1" -H "X-GitHub-Delivery: $2" \
	    -H "X-Hub-Signature-256: sha256=$sig" -H 'Content-Type: application/json' \
	    --data-binary "@$3" "$URL/hook/github"
}
STATUS=$(gh ping 72d3162e-cc78-11e3-81ab-4c9367dc0958 "$hooks/github-ping.json")
BODY=$(cat "$WORK/body")
is "$STATUS $(json_get state)" "200 ignored" "github ping: 200 ignored"
STATUS=$(gh package 72d3162e-cc78-11e3-81ab-4c9367dc0959 "$hooks/github-package.json")
BODY=$(cat "$WORK/body")
is "$STATUS $(json_get state)" "202 accepted" "github package: 202 accepted"
is "$(svc_image ghsvc)" "ghcr.io/octo-org/hello-world:v1.4.2@$(jq -r \
    '.package.package_version.container_metadata.tag.digest' "$hooks/github-package.json")" \
    "... the event's digest"
STATUS=$(gh package 72d3162e-cc78-11e3-81ab-4c9367dc0959 "$hooks/github-package.json")
is "$STATUS" 401 "github: the same delivery again: 401"
STATUS=$(gh package 72d3162e-cc78-11e3-81ab-4c9367dc0960 "$hooks/github-package.json" wrongkey)
is "$STATUS" 401 "github: a signature made with another key: 401"
STATUS=$(gh registry_package 72d3162e-cc78-11e3-81ab-4c9367dc0961 \
    "$hooks/github-registry-package.json" "$WS_TOKEN")
BODY=$(cat "$WORK/body")
is "$STATUS $(json_get state)" "200 unchanged" \
    "github: the legacy TOKEN as the webhook secret; registry_package read"
is "$(json_get '.skipped[0].reason')" "tracks v*: no pushed tag matches" \
    "... latest is not a v* tag"

# --- Harbor: its auth header, two tags in one event, another event type -------
AUTH=$HOOK
hreq POST /hook/harbor "$(cat "$hooks/harbor-push.json")"
dh=$(jq -r '.event_data.resources[0].digest' "$hooks/harbor-push.json")
is "$STATUS $(json_get state)" "202 accepted" "harbor: 202 accepted"
is "$(svc_image harborv)" "harbor.example.com:8443/shop/web:v1.4.2@$dh" \
    "... the v* tracker on v1.4.2, host with its port"
is "$(svc_image harborlatest)" "harbor.example.com:8443/shop/web:latest@$dh" \
    "... the latest tracker on latest"
is "$(svc_image harborall)" "harbor.example.com:8443/shop/web:latest@$dh" \
    "... the * tracker once, on the tag it ran"
is "$(jq -c 'select(.phase == "intent" and .service == "harborall")' \
    "$WORK/audit.log" | wc -l)" 1 "... and written once"
hreq POST /hook/harbor "$(cat "$hooks/harbor-push.json")"
is "$STATUS $(json_get state)" "200 unchanged" "harbor: delivered again: 200 unchanged"
hreq POST /hook/harbor "$(cat "$hooks/harbor-scan.json")"
is "$STATUS $(json_get state)" "200 ignored" "harbor: SCANNING_COMPLETED: 200 ignored"

# A path token sent with the wrong method: 405, and still no log line
# on stderr (nginx would write the request line beside it).
HREQ_NOAUTH=1 hreq GET "/hook/quay/$PATHTOK"
is "$STATUS" 405 "a path token with GET: 405"

# --- no secret anywhere -----------------------------------------------------------
for f in "$WS_DIR/access.log" "$WS_DIR/error.log" "$WORK/audit.log"; do
	if grep -q -e "$PATHTOK" -e "$HOOK" "$f"; then
		fail "no token in ${f##*/}"
	else
		pass "no token in ${f##*/}"
	fi
done
is "$(grep -c 'hook/dockerhub/\|hook/quay/' "$WS_DIR/access.log")" 0 \
    "the path-token hooks are kept out of nginx's access log (the example)"
done_testing
