#!/bin/bash
# t0200-rollout.sh: answers that tell the truth about the rollout: wait,
# automatic rollback, the rollback endpoint, status, compare-and-swap, dry
# run, force, unchanged redeploys, and one notification at the final state
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

TOKEN=t0ken-$$
AUTH=$TOKEN
stack_up
TPL=$(printf '%s' '{{.Action}} {{.ServiceName}} {{.Image}} {{.State}}' | base64 -w0)
NOTIFY="{\"addr\":\"$BEANSTALK_ADDR\",\"tube\":\"roll\",\"template\":\"$TPL\"}"
CGI_ENV="TOKEN=$TOKEN DOCKER_HOST=$DOCKER_HOST NOTIFY_FLAGS=$NOTIFY DEPLOYER_SPOOL_DIR=off"

fast=(--label deployer.allowUpdates=true --stop-grace-period 1s
    --update-monitor 1s --update-delay 0s)
svc_create web local/app:v1 "${fast[@]}" --replicas 2 >/dev/null
svc_create fragile local/app:v1 "${fast[@]}" --replicas 2 \
    --update-failure-action rollback --update-monitor 3s \
    --update-max-failure-ratio 0 --rollback-monitor 1s >/dev/null
svc_create slow local/app:v1 "${fast[@]}" --replicas 3 \
    --update-delay 30s >/dev/null
svc_create fresh local/app:v1 "${fast[@]}" >/dev/null
svc_wait_running web 2 60
svc_wait_running fragile 2 60
svc_wait_running slow 3 60

# --- status ---------------------------------------------------------------
run_cgi GET /service/web
is "$STATUS" 200 "status: 200"
is "$(json_get image)" local/app:v1 "status: the current image"
is "$(json_get tasks.running)" 2 "status: running tasks"
is "$(json_get tasks.desired)" 2 "status: desired tasks"
is "$(json_get previous_image)" "" "status: no previous image yet"

# --- a rollout that succeeds, waited for ------------------------------------
run_cgi PUT '/service/web?wait=120' '{"image": "local/app:v2"}'
is "$STATUS" 200 "wait: 200 when the rollout completes"
is "$(json_get state)" completed "wait: state completed"
is "$(json_get message)" "update completed" "wait: Swarm's message"
is "$(svc_running web)" 2 "wait: both tasks run when the answer comes"
n=$(docker service ps web --filter desired-state=running \
    --format '{{.Image}}' | grep -c 'local/app:v2')
is "$n" 2 "wait: ... on the new image"
is "$(bs_jobs roll)" "deploy web local/app:v2 completed" \
    "wait: one notification, at the final state"

run_cgi GET /service/web
is "$(json_get update.state)" completed "status: Swarm's update state"
is "$(json_get previous_image)" local/app:v1 "status: the previous image"

# --- unchanged, force -------------------------------------------------------
run_cgi PUT /service/web '{"image": "local/app:v2"}'
is "$STATUS" 200 "redeploying what runs: 200"
is "$(json_get state)" unchanged "... reported as unchanged"
is "$(bs_count roll)" 0 "... with no notification"
fu=$(docker service inspect web --format '{{.Spec.TaskTemplate.ForceUpdate}}')
run_cgi PUT '/service/web?wait=120' '{"image": "local/app:v2", "force": true}'
is "$STATUS" 200 "force: 200"
is "$(json_get state)" completed "force: the tasks were replaced"
is "$(docker service inspect web --format '{{.Spec.TaskTemplate.ForceUpdate}}')" \
    $((fu + 1)) "force: ForceUpdate went up by one"
is "$(bs_jobs roll)" "deploy web local/app:v2 completed" "force: notified"

# --- compare-and-swap and dry run ---------------------------------------------
run_cgi PUT /service/web '{"image": "local/app:v3", "expect": "local/app:v1"}'
is "$STATUS" 412 "expect another image: 412"
like "$(json_get error)" "runs local/app:v2" "... naming what runs"
is "$(svc_image web)" local/app:v2 "... and nothing changed"
run_cgi PUT '/service/web?dry_run=1' '{"image": "local/app:v3"}'
is "$STATUS" 200 "dry run: 200"
is "$(json_get state)" dry_run "dry run: says so"
is "$(json_get image)" local/app:v3 "dry run: the image it would deploy"
is "$(json_get previous_image)" local/app:v2 "dry run: ... and the current one"
is "$(svc_image web)" local/app:v2 "dry run: nothing changed"
is "$(bs_count roll)" 0 "dry run: no notification"
run_cgi PUT /service/web '{"image": "local/app:v3", "expect": "local/app:v2"}'
is "$STATUS" 200 "expect what runs: 200"
is "$(svc_image web)" local/app:v3 "... deployed"
bs_jobs roll >/dev/null

# --- the rollback endpoint ----------------------------------------------------
svc_wait_update web 120 >/dev/null
run_cgi POST '/service/web/rollback?wait=120'
is "$STATUS" 200 "rollback: 200"
is "$(json_get state)" rollback_completed "rollback: completed"
is "$(json_get image)" local/app:v2 "rollback: back on the previous image"
is "$(svc_image web)" local/app:v2 "rollback: the spec says so"
is "$(bs_jobs roll)" "rollback web local/app:v2 rollback_completed" \
    "rollback: notified"
run_cgi POST /service/fresh/rollback
is "$STATUS" 409 "rollback without a previous spec: 409"
like "$(json_get error)" "no previous spec" "... says so"

# --- a rollout that fails and rolls back ------------------------------------
run_cgi PUT '/service/fragile?wait=120' '{"image": "local/crash:v1"}'
is "$STATUS" 502 "a failed rollout with wait: 502"
like "$(json_get state)" '^rollback_' "... naming Swarm's rollback state"
like "$(json_get message)" . "... and Docker's message"
like "$(json_get error)" "rollout failed" "... as an error"
like "$(bs_jobs roll)" "^deploy fragile local/crash:v1 rollback_" \
    "... one notification, with the failed state"
is "$(svc_wait_update fragile 120)" rollback_completed \
    "Swarm rolled the service back"
is "$(svc_image fragile)" local/app:v1 "... to the image it ran"

# --- the deadline -------------------------------------------------------------
run_cgi PUT '/service/slow?wait=2' '{"image": "local/app:v2"}'
is "$STATUS" 504 "still updating at the deadline: 504"
is "$(json_get state)" updating "... state updating"
is "$(svc_image slow)" local/app:v2 "... the update itself goes on"
done_testing
