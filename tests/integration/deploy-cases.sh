# deploy-cases.sh: the deploy endpoint against a real swarm, shared by the
# CGI (t0100) and FastCGI (t0101) runs.  The including script sets MODE to
# cgi or fcgi and sources lib.sh first.
# shellcheck shell=bash

# req METHOD PATH [BODY]: one request in this run's mode.  The FastCGI
# process has the settings in its own environment: a request never
# carries them.
req() {
	if [ "$MODE" = fcgi ]; then
		run_fcgi "$@"
	else
		run_cgi "$@"
	fi
}

# setting NAME=VALUE... -- METHOD PATH [BODY]: one request with settings
# changed: the CGI process's environment, or a FastCGI process started
# with them for this request (and the usual one started again after).
setting() {
	local -a kv=()
	while [ "$1" != -- ]; do
		kv+=("$1")
		shift
	done
	shift
	if [ "$MODE" = fcgi ]; then
		fcgi_stop
		CGI_ENV="$CGI_ENV ${kv[*]}" fcgi_start
		run_fcgi "$@"
		fcgi_stop
		fcgi_start
	else
		CGI_ENV="$CGI_ENV ${kv[*]}" run_cgi "$@"
	fi
}

# The original program's README template, exactly as published.
GO_TEMPLATE=IkkganVzdCBkZXBsb3llZCB7ey5BcnRpZmFjdH19IGZvciB7ey5TZXJ2aWNlTmFtZX19
TOKEN=t0ken-$$-$RANDOM
# shellcheck disable=SC2034 # lib.sh sends it as the Authorization header
AUTH=$TOKEN

stack_up
# NOTIFY_FLAGS without spaces: lib.sh passes settings as words.
NOTIFY="{\"addr\":\"$BEANSTALK_ADDR\",\"tube\":\"deploys\",\"template\":\"$GO_TEMPLATE\"}"
CGI_ENV="TOKEN=$TOKEN DOCKER_HOST=$DOCKER_HOST NOTIFY_FLAGS=$NOTIFY DEPLOYER_SPOOL_DIR=off"
[ "$MODE" = cgi ] || fcgi_start

# A service with everything a spec round trip could lose: env, labels,
# limits, replicas, and a duration beyond 2^53 ns (9007199254740992).
svc_create blog local/app:v1 --label deployer.allowUpdates=true \
    --label keep=me --env FOO=bar --env 'EMPTY=' --replicas 2 \
    --limit-memory 64M --limit-cpu 0.5 --reserve-memory 8M \
    --update-delay 2600h --stop-grace-period 1s \
    --container-label c=1 >/dev/null
svc_create locked local/app:v1 --stop-grace-period 1s >/dev/null
svc_wait_running blog 2 60
before=$(docker service inspect blog --format '{{json .Spec}}')
like "$before" '"Delay":9360000000000000' "the spec holds a delay above 2^53"

# --- a deploy ------------------------------------------------------------
req PUT /service/blog '{"image": "local/app:v2"}'
is "$STATUS" 200 "deploy: 200"
is "$(hdr_get Content-Type)" application/json "deploy: JSON"
is "$(json_get service)" blog "deploy: names the service"
is "$(json_get image)" local/app:v2 "deploy: the image now deployed"
is "$(json_get previous_image)" local/app:v1 "deploy: the previous image"
is "$(json_get state)" accepted "deploy: Docker accepted it"
like "$(json_get warnings)" "could not be accessed on a registry" \
    "deploy: Docker Hub is out of reach here, so the tag is not pinned"
is "$(json_get notification)" sent "deploy: notification sent"
is "$(svc_image blog)" local/app:v2 "deploy: the service runs the new image"
is "$(bs_jobs deploys)" '"I just deployed local/app:v2 for blog' \
    "the Go README's template renders exactly as it did there"

after=$(docker service inspect blog --format '{{json .Spec}}')
is "${after//local\/app:v2/local\/app:v1}" "$before" \
    "spec fidelity: nothing but the image changed, 64-bit values intact"

# --- authorization ----------------------------------------------------------
AUTH=wrong req PUT /service/blog '{"image": "local/app:v3"}'
is "$STATUS" 401 "wrong token: 401"
like "$(hdr_get WWW-Authenticate)" '^Bearer' "wrong token: a challenge"
is "$(json_get error)" "invalid token" "wrong token: says so"
unset AUTH
req PUT /service/blog '{"image": "local/app:v3"}'
is "$STATUS" 401 "no Authorization header: 401"
# shellcheck disable=SC2034 # lib.sh sends it as the Authorization header
AUTH=$TOKEN
AUTH="Bearer $TOKEN" req GET /service/blog
is "$STATUS" 200 "'Bearer <token>' is accepted too"
is "$(svc_image blog)" local/app:v2 "refused requests changed nothing"
if grep -q "$TOKEN" "$WORK/deployer.log" "$WORK"/*.log 2>/dev/null; then
	fail "the token never reaches the log"
else
	pass "the token never reaches the log"
fi

# --- the service gate and lookups ----------------------------------------
req PUT /service/locked '{"image": "local/app:v2"}'
is "$STATUS" 403 "a service without deployer.allowUpdates=true: 403"
is "$(svc_image locked)" local/app:v1 "... and it is not changed"
req PUT /service/nosuch '{"image": "local/app:v2"}'
is "$STATUS" 404 "no such service: 404"
like "$(json_get error)" nosuch "... naming it"
# Docker resolves /services/<x> by ID prefix when no name matches: a
# request for a prefix of blog's ID must not touch blog.
id=$(docker service inspect blog --format '{{.ID}}')
req PUT "/service/${id:0:6}" '{"image": "local/app:v3"}'
is "$STATUS" 404 "an ID prefix is not a service name: 404"
is "$(svc_image blog)" local/app:v2 "... and blog is untouched"
req GET "/service/$id"
is "$STATUS" 200 "the full ID addresses the service"
req PUT /nowhere '{"image": "local/app:v2"}'
is "$STATUS" 404 "unknown path: 404"
req DELETE /service/blog
is "$STATUS" 405 "wrong method: 405"
is "$(hdr_get Allow)" "GET, PUT" "... with Allow"

# --- bodies -------------------------------------------------------------
for bad in '{"image": ' '{"image": 5}' '{}' '{"image": "a", "image": "b"}' \
    '{"image": "local/app:v3"} x' '{"image": "Local/App:v3"}' '[1]' \
    '{"image": "local/app:v3", "colour": 1}' '{"image": "app:{{.X}}"}'; do
	req PUT /service/blog "$bad"
	is "$STATUS" 400 "bad body $bad: 400"
	like "$(json_get error)" . "... with a reason"
done
req PUT /service/blog "{\"image\": \"$(head -c 70000 /dev/zero | tr '\0' a)\"}"
is "$STATUS" 413 "a body over 64 KiB: 413"
CONTENT_TYPE_REQ=application/x-www-form-urlencoded \
    req PUT /service/blog '{"image": "local/app:v3"}'
is "$STATUS" 200 "any Content-Type is accepted (the Go README's curl sends a form type)"
is "$(svc_image blog)" local/app:v3 "... and deployed"
bs_jobs deploys >/dev/null

# --- settings -------------------------------------------------------------
if [ "$MODE" = fcgi ]; then
	# A persistent process with broken settings does not start.
	fcgi_stop
	CGI_ENV="$CGI_ENV DEPLOYER_DOCKER_TIMEOUT=never" fcgi_start 2>/dev/null ||
	    true
	for _ in $(seq 100); do
		fcgi_alive || break
		sleep 0.1
	done
	check "a broken setting: FastCGI does not start" ! fcgi_alive
	like "$(cat "$WORK/fcgi.log")" "DEPLOYER_DOCKER_TIMEOUT" \
	    "... and the log names the setting"
	fcgi_stop
	fcgi_start
else
	setting DEPLOYER_DOCKER_TIMEOUT=never -- GET /service/blog
	is "$STATUS" 500 "a broken setting: 500"
	like "$(json_get error)" "configuration is broken" "... a JSON error"
	if printf '%s' "$BODY" | grep -q "$TOKEN"; then
		fail "... revealing no secret"
	else
		pass "... revealing no secret"
	fi
	like "$(cat "$WORK/deployer.log" 2>/dev/null)" \
	    "DEPLOYER_DOCKER_TIMEOUT" "... and the log names the setting"
fi

# --- notifications when beanstalkd is away ------------------------------
setting "NOTIFY_FLAGS={\"addr\":\"127.0.0.1:1\",\"tube\":\"deploys\",\"template\":\"$GO_TEMPLATE\"}" \
    -- PUT /service/blog '{"image": "local/app:v2"}'
is "$STATUS" 200 "beanstalkd down: the deploy still succeeds"
is "$(json_get notification)" failed "... and says the notification failed"
like "$(json_get notification_error)" "127.0.0.1:1" "... and why"
is "$(svc_image blog)" local/app:v2 "... the image is deployed"

# --- Docker unreachable, and not a manager -------------------------------
setting "DOCKER_HOST=unix://$WORK/no.sock" -- PUT /service/blog \
    '{"image": "local/app:v3"}'
is "$STATUS" 502 "Docker unreachable: 502"
like "$(json_get error)" "unreachable" "... says so"

docker swarm leave --force >/dev/null
req PUT /service/blog '{"image": "local/app:v3"}'
is "$STATUS" 503 "not a swarm manager: 503"
like "$(json_get error)" "swarm manager" "... says so"

if [ "$MODE" = fcgi ]; then
	check "the FastCGI process served every request" fcgi_alive
	fcgi_stop
	is "$FCGI_EXIT" 0 "SIGTERM stops it cleanly"

	# Settings in parameters are refused, never applied: whoever
	# reaches the socket must not choose the token or the Docker host.
	docker swarm init --advertise-addr 127.0.0.1 >/dev/null 2>&1 || true
	fcgi_start
	REQ_ENV="TOKEN=chosen-by-the-client" AUTH=chosen-by-the-client \
	    run_fcgi GET /service/blog
	is "$STATUS" 400 "a TOKEN parameter is refused"
	like "$(json_get error)" "request parameter TOKEN" "... naming it"
	AUTH=$TOKEN run_fcgi GET /health
	is "$STATUS" 200 "... and the process still serves"
	like "$(cat "$WORK/fcgi.log")" "refused request parameter TOKEN" \
	    "... and logs the refusal"
fi
done_testing
