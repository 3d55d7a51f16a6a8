#!/bin/bash
# t0340-swarm-service.sh: examples/swarm-service: the image built here from
# this machine's binaries (build-image.sh), run on the test swarm as a
# service (create-service.sh) and as a stack (stack.yml), with the test's
# Docker socket mounted and the token and TLS files as Docker secrets; a
# deploy through it changes another service
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../webserver.sh
. "${0%/*}/../webserver.sh"

ws_need socat nginx fcgiwrap spawn-fcgi dash
ws_setup
ex=$WS_EXAMPLES/swarm-service
sock=${DOCKER_HOST#unix://}

# The service uses the host network: the stack's network namespace, where
# dockerd runs.  Its 127.0.0.1:11300 is bridged to the test's beanstalkd
# (in the host namespace) through a unix socket, so that ws_cases finds
# the notifications where it looks.
bg_start bs-bridge socat "UNIX-LISTEN:$WORK/bs.sock,fork,mode=0600" \
    "TCP:$BEANSTALK_ADDR"
bg_start bs-netns stack_netns_exec "$STACK_DIR" socat \
    TCP-LISTEN:11300,bind=127.0.0.1,reuseaddr,fork "UNIX-CONNECT:$WORK/bs.sock"
notify=${WS_NOTIFY/"$BEANSTALK_ADDR"/127.0.0.1:11300}

# --- the image -----------------------------------------------------------
t0=$(date +%s%N)
check "build-image.sh builds the image here, without a registry" \
    env DOCKER="$STACK_DOCKER" DEPLOYER="$DEPLOYER" "$ex/build-image.sh" \
    deployer:test
diag "image built in $((($(date +%s%N) - t0) / 1000000)) ms"
like "$(docker image inspect --format '{{.Config.Cmd}} {{.Size}}' \
    deployer:test)" \
    '^\[/entrypoint\] [0-9]+$' "... with its entrypoint"

# --- the secrets, the target ---------------------------------------------
printf '%s\n' "$WS_TOKEN" | docker secret create deployer_token - >/dev/null
docker secret create deployer_tls_cert "$WORK/tls/cert.pem" >/dev/null
docker secret create deployer_tls_key "$WORK/tls/key.pem" >/dev/null
ws_create_web
WS_URL=https://127.0.0.1:8443/deploy
export HREQ_NETNS=1

# gone: no deployer container runs any more (host-network containers would
# otherwise outlive the test's own clean-up steps until stack_stop).
gone() {
	local i label=label=com.docker.swarm.service.name
	for ((i = 0; i < 100; i++)); do
		[ -n "$(docker ps -q --filter "$label=deployer")$(docker ps -q \
		    --filter "$label=dep_deployer")" ] || return 0
		sleep 0.2
	done
	return 1
}
at_exit 'docker service rm deployer dep_deployer >/dev/null 2>&1; gone'

# clean_logs NAME: no sanitizer report in the service's logs (deployer's
# stderr reaches them through fcgiwrap -f and nginx).
clean_logs() {
	is "$(docker service logs "$1" 2>&1 |
	    grep -E 'ERROR: [A-Za-z]+Sanitizer|Sanitizer has encountered|runtime error:')" "" \
	    "$1: no sanitizer report in the service's logs"
}

# wait_up NAME: the service runs and its nginx answers.
wait_up() {
	local i
	svc_wait_running "$1" 1 60 || return 1
	for ((i = 0; i < 100; i++)); do
		HREQ_NOAUTH=1 hreq GET /health 2>/dev/null
		[ "$STATUS" != 200 ] || return 0
		sleep 0.2
	done
	diag "$1 does not answer; its logs:" \
	    "$(docker service logs "$1" 2>&1 | tail -n 20)"
	return 1
}

# --- docker service create -----------------------------------------------
check "create-service.sh creates the service" \
    env DOCKER="$STACK_DOCKER" IMAGE=deployer:test DOCKER_SOCKET="$sock" \
    NOTIFY_FLAGS="$notify" "$ex/create-service.sh"
check "the service runs and answers over HTTPS" wait_up deployer
# (Swarm keeps secrets in no particular order.)
is "$(docker service inspect --format '{{range
    .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}
{{end}}' deployer | grep . | sort | tr '\n' ' ')" \
    "deployer_tls_cert deployer_tls_key deployer_token " \
    "... with its three secrets"
ws_cases "swarm service"
HREQ_NOAUTH=1 hreq GET /health
is "$(json_get docker)" ok "health: the mounted Docker socket works"
is "$(json_get beanstalkd)" ok "health: beanstalkd is reachable"
clean_logs deployer
docker service rm deployer >/dev/null

# --- docker stack deploy -------------------------------------------------
# The old task must be gone before the new one can listen on 8443.
check "the service's container is gone" gone
check "docker stack deploy -c stack.yml" \
    env DEPLOYER_IMAGE=deployer:test DOCKER_SOCKET="$sock" \
    NOTIFY_FLAGS="$notify" "$STACK_DOCKER" -H "$DOCKER_HOST" stack deploy \
    --resolve-image never -c "$ex/stack.yml" dep
check "the stack's service runs and answers" wait_up dep_deployer
ws_cases "swarm stack"
clean_logs dep_deployer

done_testing
