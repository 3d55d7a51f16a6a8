#!/bin/bash
# t0210-registry.sh: digest pinning against a private registry with
# htpasswd auth: the pinned digest is the registry's, credentials come
# from a docker config.json, and without them the service's stored
# credentials still let the nodes pull
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

command -v docker-registry >/dev/null || bail_out "docker-registry is not installed"
command -v htpasswd >/dev/null || bail_out "htpasswd (apache2-utils) is not installed"
TOKEN=t0ken-$$
AUTH=$TOKEN
stack_up

# The registry runs in the stack's network namespace, where dockerd's
# 127.0.0.1 is; 127.0.0.0/8 registries are plain HTTP for dockerd.
REG=127.0.0.1:5000
mkdir -p "$WORK/registry/data" "$WORK/dockercfg"
htpasswd -Bbn ci 's3cret pass' >"$WORK/registry/htpasswd"
cat >"$WORK/registry/config.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $WORK/registry/data
http:
  addr: $REG
auth:
  htpasswd:
    realm: test
    path: $WORK/registry/htpasswd
YML
bg_start registry stack_netns_exec "$WORK/stack" docker-registry serve \
    "$WORK/registry/config.yml"
for _ in $(seq 50); do
	stack_netns_exec "$WORK/stack" curl -s -o /dev/null "http://$REG/v2/" && break
	sleep 0.2
done

export DOCKER_CONFIG=$WORK/dockercfg
printf '%s' 's3cret pass' |
    docker login -u ci --password-stdin "$REG" >/dev/null 2>&1
for v in v1 v2; do
	docker tag "local/app:$v" "$REG/app:$v"
	docker push -q "$REG/app:$v" >/dev/null
done
registry_digest() {
	stack_netns_exec "$WORK/stack" curl -sf -u 'ci:s3cret pass' -o /dev/null \
	    -D - -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
	    "http://$REG/v2/app/manifests/$1" | tr -d '\r' |
	    sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p'
}
d1=$(registry_digest v1)
d2=$(registry_digest v2)
like "$d2" '^sha256:[0-9a-f]{64}$' "the registry has app:v2 ($d2)"

# The service is created with the credentials stored on it, as
# `docker service create --with-registry-auth` does; then the images are
# removed so that every task must pull.
docker service create -d --quiet --name web --with-registry-auth \
    --label deployer.allowUpdates=true --stop-grace-period 1s \
    --update-monitor 1s "$REG/app:v1" >/dev/null
svc_wait_running web 1 60
like "$(svc_image web)" "^$REG/app:v1@$d1\$" "created pinned to the registry's digest"

# --- no credentials configured ----------------------------------------------
CGI_ENV="TOKEN=$TOKEN DOCKER_HOST=$DOCKER_HOST DEPLOYER_SPOOL_DIR=off DEPLOYER_REQUIRE_DIGEST=1"
run_cgi PUT /service/web "{\"image\": \"$REG/app:v2\"}"
is "$STATUS" 502 "require_digest without credentials: 502"
like "$(json_get error)" "cannot resolve" "... says the tag could not be resolved"
like "$(svc_image web)" "app:v1@" "... and changes nothing"

CGI_ENV="TOKEN=$TOKEN DOCKER_HOST=$DOCKER_HOST DEPLOYER_SPOOL_DIR=off"
docker image rm -f "$REG/app:v2" "local/app:v2" >/dev/null 2>&1 || true
run_cgi PUT '/service/web?wait=90' "{\"image\": \"$REG/app:v2\"}"
is "$STATUS" 200 "without credentials: deployed by tag"
like "$(json_get warnings)" "could not be accessed on a registry" \
    "... with the CLI's warning"
is "$(svc_image web)" "$REG/app:v2" "... the spec holds the bare tag"
is "$(json_get state)" completed \
    "... and the nodes pulled with the credentials stored on the service"

# --- credentials from a docker config.json ------------------------------------
CGI_ENV="TOKEN=$TOKEN DOCKER_HOST=$DOCKER_HOST DEPLOYER_SPOOL_DIR=off DEPLOYER_REGISTRY_AUTH=$DOCKER_CONFIG/config.json"
run_cgi PUT '/service/web?wait=90' "{\"image\": \"$REG/app:v1\"}"
is "$STATUS" 200 "with credentials: 200"
is "$(json_get digest)" "$d1" "the digest is the registry's"
is "$(svc_image web)" "$REG/app:v1@$d1" "the spec is pinned: tag@digest"
is "$(docker service inspect web --format '{{range .Spec.TaskTemplate.Placement.Platforms}}{{.OS}}/{{.Architecture}}{{end}}')" \
    "linux/$(docker version --format '{{.Server.Arch}}')" \
    "Placement.Platforms from the image"
is "$(json_get state)" completed "... and it rolled out"

run_cgi PUT /service/web "{\"image\": \"$REG/app:v1\"}"
is "$(json_get state)" unchanged "the same tag at the same digest: unchanged"

# The tag moves: the same request now deploys the new digest.
docker tag "local/app:v3" "$REG/app:v1"
docker push -q "$REG/app:v1" >/dev/null
d3=$(registry_digest v1)
run_cgi PUT /service/web "{\"image\": \"$REG/app:v1\"}"
is "$(json_get state)" accepted "the tag now names a new digest: deployed"
is "$(svc_image web)" "$REG/app:v1@$d3" "... pinned to it"

# A digest given by the client is kept as it is.
run_cgi PUT /service/web "{\"image\": \"$REG/app:v2@$d2\"}"
is "$STATUS" 200 "a reference with a digest: 200"
is "$(svc_image web)" "$REG/app:v2@$d2" "... deployed exactly"

# Wrong credentials are a configuration error, not a silent tag deploy.
printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" "$(printf 'ci:wrong' | base64)" \
    >"$WORK/bad.json"
CGI_ENV="TOKEN=$TOKEN DOCKER_HOST=$DOCKER_HOST DEPLOYER_SPOOL_DIR=off DEPLOYER_REGISTRY_AUTH=$WORK/bad.json DEPLOYER_REQUIRE_DIGEST=1"
run_cgi PUT /service/web "{\"image\": \"$REG/app:v1\"}"
is "$STATUS" 502 "wrong credentials with require_digest: 502"
if grep -q 'wrong\|s3cret' "$WORK/deployer.log"; then
	fail "no password reaches the log"
else
	pass "no password reaches the log"
fi
done_testing
