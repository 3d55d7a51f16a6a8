#!/bin/bash
# t1000-jobs.sh: a one-off Swarm job with the new image before the deploy
# (deployer.job.command), against the real swarm: its output, exit codes,
# timeouts, the service's secrets, environment and mounts, one job at a
# time, a process killed while its job runs, dry runs, rollbacks, stacks
# and notifications
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

stack_up
TPL=$(printf '%s' '{{.ServiceName}} {{.State}} job={{.JobState}} exit={{.JobExitCode}}' |
    base64 -w0)
{
	printf 'docker_host = %s\n' "$DOCKER_HOST"
	printf 'notify_flags = {"addr":"%s","tube":"jobs","template":"%s"}\n' \
	    "$BEANSTALK_ADDR" "$TPL"
	printf 'spool_dir = off\n'
	printf 'state_dir = %s\n' "$WORK/state"
	printf 'job_timeout = 60\n'
	printf 'job_timeout_max = 3\n'
	printf 'token = job-token-%s\n' "$$"
	# A signing token: --flush-spool then also prunes the replay store.
	printf 'signer-%s' "$$" | "$DEPLOYER" --hash-token=signer |
	    sed "s|\$| hmac_key_file=$WORK/hmac.key|"
} >"$WORK/deployer.conf"
(umask 077 && head -c 32 /dev/urandom >"$WORK/hmac.key")
CGI_ENV="DEPLOYER_CONFIG=$WORK/deployer.conf"
AUTH="Bearer job-token-$$"
mkdir -m 700 "$WORK/state"
mkdir -m 777 "$WORK/mnt"

printf 's3cret-%s' "$$" | docker secret create dbpass - >/dev/null
fast=(--stop-grace-period 1s --update-monitor 1s --update-delay 0s)
# label CMD: the job command label
label() {
	printf 'deployer.job.command=%s' "$1"
}
# The job proves it has the secret without printing it.
# shellcheck disable=SC2016 # expanded by the job's shell
svc_create mig local/app:v1 --label deployer.allowUpdates=true "${fast[@]}" \
    --env DB=main --secret dbpass \
    --mount "type=bind,src=$WORK/mnt,dst=/mnt" -p 18080:80 \
    --label "$(label '["/bin/sh", "-c", "echo migrated >/mnt/marker; echo db=$DB; test \"$(cat /run/secrets/dbpass)\" = s3cret-'"$$"' && echo secret=ok; echo to stderr >&2"]')" \
    >/dev/null
svc_wait_running mig 1 60

# jobs: the job services and job locks that exist, in one line
jobs() {
	printf '%s %s\n' \
	    "$(docker service ls --filter label=deployer.job.for -q | wc -l)" \
	    "$(docker config ls --filter label=deployer.job.lock -q | wc -l)"
}
# wait_job: until a job service exists (30 s)
wait_job() {
	local i
	for i in $(seq 300); do
		[ "$(docker service ls --filter label=deployer.job.for -q | wc -l)" = 0 ] ||
		    return 0
		sleep 0.1
	done
	return 1
}

# --- a job that succeeds: the deploy happens, the answer has its output --------
run_cgi PUT /service/mig '{"image": "local/app:v2"}'
is "$STATUS" 200 "job: the deploy is made (200)"
is "$(json_get state)" accepted "job: the update was accepted"
is "$(json_get job.state)" succeeded "job: succeeded"
is "$(json_get job.exit_code)" 0 "job: exit code 0"
like "$(json_get job.name)" "^mig-job-$(hdr_get X-Request-Id)\$" \
    "job: named after the service and the request"
is "$(json_get job.image)" local/app:v2 "job: ran the new image"
# Swarm merges the two streams by time: their order is not kept.
is "$(json_get '.job.output | sort | join("|")')" \
    "db=main|secret=ok|to stderr" \
    "job: its output (stdout and stderr) in the answer"
is "$(cat "$WORK/mnt/marker" 2>/dev/null)" migrated \
    "job: it ran with the service's mounts (the marker)"
is "$(svc_image mig)" local/app:v2 "job: then the service moved"
is "$(jobs)" "0 0" "job: the job service and its lock are gone"
like "$(cat "$WORK/deployer.log")" "mig-job-.*: \\| secret=ok" \
    "job: its output is in the log"
is "$(bs_jobs jobs)" "mig accepted job=succeeded exit=0" \
    "job: the notification names the job's outcome"

# --- the same image again: nothing to write, no job ------------------------------
rm -f "$WORK/mnt/marker"
run_cgi PUT /service/mig '{"image": "local/app:v2"}'
is "$(json_get state)" unchanged "unchanged: nothing to write"
is "$(json_get job.state)" "" "unchanged: ... and no job"
check "unchanged: the job did not run" test ! -e "$WORK/mnt/marker"

# --- dry run: the job that would run ---------------------------------------------
run_cgi PUT '/service/mig?dry_run=1' '{"image": "local/app:v3"}'
is "$STATUS" 200 "dry run: 200"
is "$(json_get job.state)" would_run "dry run: the job would run"
is "$(json_get '.job.command[0]')" /bin/sh "dry run: ... with its command"
is "$(json_get job.image)" local/app:v3 "dry run: ... on the new image"
check "dry run: it did not run" test ! -e "$WORK/mnt/marker"
is "$(svc_image mig)" local/app:v2 "dry run: nothing changed"

# --- a job that fails: nothing else changes, 502 names the exit code ---------------
docker service update -q --label-add \
    "$(label 'echo applying 0042; echo "relation exists" >&2; exit 3')" mig \
    >/dev/null
run_cgi PUT /service/mig '{"image": "local/app:v3"}'
is "$STATUS" 502 "failed job: 502"
like "$(json_get error)" "exit code 3" "failed job: the error names exit code 3"
is "$(json_get state)" job_failed "failed job: state job_failed"
is "$(json_get job.exit_code)" 3 "failed job: exit_code 3"
is "$(json_get '.job.command | join(" ")')" \
    '/bin/sh -c echo applying 0042; echo "relation exists" >&2; exit 3' \
    "failed job: a string label runs with /bin/sh -c"
is "$(json_get '.job.output | sort | join("|")')" \
    "applying 0042|relation exists" \
    "failed job: the last lines of its output"
is "$(svc_image mig)" local/app:v2 "failed job: the service keeps its image"
is "$(jobs)" "0 0" "failed job: the job service and its lock are gone"
is "$(bs_jobs jobs)" "mig job_failed job=failed exit=3" \
    "failed job: the notification says why (.JobState, .JobExitCode)"

# --- a job past its timeout (the label above job_timeout_max is lowered) ---------
docker service update -q --label-add "$(label '["sleep", "30"]')" \
    --label-add deployer.job.timeout=100 mig >/dev/null
run_cgi PUT /service/mig '{"image": "local/app:v3"}'
is "$STATUS" 502 "timeout: 502"
is "$(json_get job.state)" timed_out "timeout: timed_out"
is "$(json_get job.timeout)" 3 "timeout: the label is bounded by job_timeout_max"
like "$(json_get '.warnings | join(" ")')" "lowered to job_timeout_max" \
    "timeout: ... with a warning"
like "$(json_get error)" "did not end within 3 s" "timeout: the error says so"
is "$(jobs)" "0 0" "timeout: the job service is gone"
is "$(svc_image mig)" local/app:v2 "timeout: the service keeps its image"
bs_jobs jobs >/dev/null

# --- two deploys at once run one job -------------------------------------------------
docker service update -q --label-add "$(label 'sleep 2; echo done')" \
    --label-rm deployer.job.timeout mig >/dev/null
mkdir "$WORK/a"
(WORK=$WORK/a run_cgi PUT /service/mig '{"image": "local/app:v3"}' &&
    printf '%s %s\n' "$STATUS" "$(json_get job.state)") \
    >"$WORK/a.out" 2>&1 &
first=$!
check "concurrent: the first deploy's job started" wait_job
run_cgi PUT /service/mig '{"image": "local/app:v1"}'
is "$STATUS" 409 "concurrent: the second deploy gets 409 while the job runs"
like "$(json_get error)" "a job of service mig is running" \
    "concurrent: ... saying why"
wait "$first" || true
is "$(cat "$WORK/a.out")" "200 succeeded" "concurrent: the first one deployed"
is "$(svc_image mig)" local/app:v3 "concurrent: the service has the first one's image"
is "$(jobs)" "0 0" "concurrent: one job ran and is gone"
bs_jobs jobs >/dev/null

# --- a process killed while its job runs; the next request cleans up ---------------
printf '#!/bin/sh\necho $$ >"%s"\nexec "$@"\n' "$WORK/killed.pid" \
    >"$WORK/pidwrap"
chmod +x "$WORK/pidwrap"
# killed_in_job WHAT IMAGE: a deploy of IMAGE whose job sleeps, its
# process killed while the job runs
killed_in_job() {
	local killed wrap=$WORK/pidwrap
	docker service update -q --label-add "$(label 'sleep 60')" mig >/dev/null
	mkdir "$WORK/$2"
	(WORK=$WORK/$2 CGI_WRAPPER=$wrap run_cgi PUT /service/mig \
	    "{\"image\": \"local/app:$2\"}") >/dev/null 2>&1 &
	killed=$!
	check "$1: the job started" wait_job
	kill -KILL "$(cat "$WORK/killed.pid")"
	wait "$killed" || true
	is "$(jobs)" "1 1" "$1: its job service and lock are left behind"
}
killed_in_job killed v1
docker service update -q --label-add "$(label 'echo after')" mig >/dev/null
run_cgi PUT /service/mig '{"image": "local/app:v1"}'
is "$STATUS" 200 "killed: the next request deploys"
is "$(json_get '.job.output[0]')" after "killed: ... after its own job"
like "$(cat "$WORK/deployer.log")" "deployer-job-lock-.* is left over" \
    "killed: ... having removed the dead one's job and lock"
is "$(jobs)" "0 0" "killed: nothing is left"
bs_jobs jobs >/dev/null

# --- deployer --flush-spool removes what a killed process left -----------------------
killed_in_job flush-spool v2
printf x | docker config create --label deployer.replay.expires=1 \
    deployer-replay-expired - >/dev/null
printf x | docker config create --label deployer.replay.expires=99999999999 \
    deployer-replay-current - >/dev/null
DEPLOYER_CONFIG=$WORK/deployer.conf "$DEPLOYER" --flush-spool \
    >"$WORK/flush.out" 2>&1 || true
like "$(cat "$WORK/flush.out")" "2 left-over jobs and job locks removed" \
    "flush-spool: it removes both"
is "$(jobs)" "0 0" "flush-spool: nothing is left"
like "$(cat "$WORK/flush.out")" "1 expired replay entries removed" \
    "flush-spool: ... and it prunes the replay store"
is "$(docker config ls --filter label=deployer.replay.expires \
    --format '{{.Name}}')" deployer-replay-current \
    "flush-spool: the expired entry is gone, the current one stays"

# --- rollbacks run the job only with deployer.job.when=always ----------------------
docker service update -q --label-add "$(label 'echo rolling back')" mig \
    >/dev/null
run_cgi POST /service/mig/rollback
is "$STATUS" 200 "rollback: 200"
is "$(json_get job.state)" "" "rollback: no job without deployer.job.when=always"
docker service update -q --label-add deployer.job.when=always \
    --label-add "$(label 'echo rolling back')" mig >/dev/null
run_cgi POST /service/mig/rollback
is "$STATUS" 200 "rollback, when=always: 200"
is "$(json_get job.state)" succeeded "rollback, when=always: the job ran first"
is "$(json_get job.image)" "$(json_get image)" \
    "rollback, when=always: ... with the image rolled back to"
bs_jobs jobs >/dev/null

# --- labels that cannot be read: 409 before anything runs ------------------------
docker service update -q --label-add deployer.job.when=sometimes mig >/dev/null
run_cgi PUT /service/mig '{"image": "local/app:v3"}'
is "$STATUS" 409 "bad label: deployer.job.when=sometimes is 409"
like "$(json_get error)" "deployer.job.when" "bad label: ... naming the label"
docker service update -q --label-add deployer.job.when=deploy \
    --label-add "$(label '[1, 2]')" mig >/dev/null
run_cgi PUT /service/mig '{"image": "local/app:v3"}'
is "$STATUS" 409 "bad label: a command array of numbers is 409"
is "$(jobs)" "0 0" "bad labels: no job was made"

# --- stacks: each member's job before its own update, in the release's order -------
member=(--label com.docker.stack.namespace=shop
    --label deployer.allowUpdates=true "${fast[@]}"
    --mount "type=bind,src=$WORK/mnt,dst=/mnt")
: >"$WORK/mnt/order"
chmod 666 "$WORK/mnt/order"
svc_create shop_db local/app:v1 "${member[@]}" --label deployer.order=0 \
    --label "$(label 'echo db >>/mnt/order')" >/dev/null
svc_create shop_web local/app:v1 "${member[@]}" --label deployer.order=1 \
    --label "$(label 'echo web >>/mnt/order')" >/dev/null
svc_wait_running shop_db 1 60
svc_wait_running shop_web 1 60
run_cgi PUT /stack/shop '{"image": "local/app:v2"}'
is "$STATUS" 200 "stack: 200"
is "$(json_get '.services | map("\(.service)=\(.job.state)") | join(" ")')" \
    "shop_db=succeeded shop_web=succeeded" "stack: each member's job ran"
is "$(tr '\n' ' ' <"$WORK/mnt/order")" "db web " \
    "stack: ... in the release's order"
is "$(svc_image shop_db) $(svc_image shop_web)" "local/app:v2 local/app:v2" \
    "stack: both moved"
bs_jobs jobs >/dev/null
docker service update -q --label-add "$(label 'exit 7')" shop_web >/dev/null
run_cgi PUT /stack/shop '{"image": "local/app:v3"}'
is "$STATUS" 502 "stack, failed job: 502"
like "$(json_get error)" "exit code 7" "stack, failed job: names the exit code"
is "$(json_get '.services[1].state')" job_failed \
    "stack, failed job: the member's state"
is "$(svc_image shop_db) $(svc_image shop_web)" "local/app:v2 local/app:v2" \
    "stack, failed job: the release is undone"
like "$(bs_jobs jobs | sort | tr '\n' ';')" \
    "shop_web job_failed job=failed exit=7" \
    "stack, failed job: the member's notification says why"
is "$(jobs)" "0 0" "stack: no job is left"

done_testing
