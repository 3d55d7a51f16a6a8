#!/bin/bash
# t0350-ci.sh: examples/ci: deploy.sh, the GitHub Actions step and the
# GitLab CI job, run as their CI would run them against the nginx-fcgiwrap
# example: they deploy and wait for the rollout, and fail when the token is
# refused or the rollout fails
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../webserver.sh
. "${0%/*}/../webserver.sh"

ws_need fcgiwrap yq shellcheck
ws_setup
ws_create_web
# A service whose rollout to local/crash:v1 fails and is rolled back.
svc_create fragile local/app:v1 --label deployer.allowUpdates=true \
    --replicas 2 --stop-grace-period 1s --update-delay 0s \
    --update-failure-action rollback --update-monitor 2s \
    --update-max-failure-ratio 0 --rollback-monitor 1s >/dev/null
ws_config nobody
ex=$WS_EXAMPLES/nginx-fcgiwrap
ws_rundir run
ws_fill "$ex/deployer-fcgiwrap.socket" "$WORK/fw.socket" RUNDIR="$WORK/run"
ws_fill "$ex/deployer-fcgiwrap.service" "$WORK/fw.service" RUNDIR="$WORK/run"
ws_systemd_start fcgiwrap "$WORK/fw.service" "$WORK/fw.socket"
ws_nginx_start nginx "$ex/deployer.nginx" RUNDIR="$WORK/run"
ci=$WS_EXAMPLES/ci

# The scripts, taken out of the YAML files as their CI reads them.
yq -r '.jobs.deploy.steps[] | select(.run) | .run' "$ci/github-actions.yml" \
    >"$WORK/github.sh"
yq -r '.deploy.script | join("\n")' "$ci/gitlab-ci.yml" >"$WORK/gitlab.sh"
like "$(cat "$WORK/github.sh")" 'wait=600' \
    "the GitHub Actions step waits for the rollout"
like "$(cat "$WORK/gitlab.sh")" 'wait=600' \
    "the GitLab CI job waits for the rollout"
check "the GitHub step is clean bash (shellcheck)" \
    shellcheck -s bash "$WORK/github.sh"
check "the GitLab job is clean sh (shellcheck)" \
    shellcheck -s sh "$WORK/gitlab.sh"
# shellcheck disable=SC2016 # GitHub's expression, literally
is "$(yq -r '.jobs.deploy.steps[] | select(.run) | .env.DEPLOY_TOKEN' \
    "$ci/github-actions.yml")" '${{ secrets.DEPLOY_TOKEN }}' \
    "the GitHub token comes from a secret"

# ci NAME TOKEN SERVICE IMAGE: run one of them with a clean environment (as
# a CI runner does; CURL_CA_BUNDLE trusts the test's certificate); exit
# status in CI_RC, output in CI_OUT.
ci() {
	local -a cmd
	case $1 in
	# GitHub runs `run:` with bash -e (shell: bash adds -o pipefail).
	github) cmd=(bash --noprofile --norc -eo pipefail "$WORK/github.sh") ;;
	# GitLab runs each script entry in the image's shell, stopping at the
	# first failure.
	gitlab) cmd=(sh -e "$WORK/gitlab.sh") ;;
	deploy.sh) cmd=("$ci/deploy.sh" "$3" "$4") ;;
	esac
	CI_RC=0
	CI_OUT=$(env -i PATH="$STACK_PATH" CURL_CA_BUNDLE="$WS_CA" \
	    DEPLOY_URL="$WS_URL" DEPLOY_TOKEN="$2" SERVICE="$3" IMAGE="$4" \
	    "${cmd[@]}" 2>&1) || CI_RC=$?
}

img=1
for way in deploy.sh github gitlab; do
	img=$((img % 3 + 1))
	ci "$way" "$WS_TOKEN" web "local/app:v$img"
	is "$CI_RC" 0 "$way: a deploy that succeeds: exit status 0"
	like "$CI_OUT" '"state":"completed"' "$way: ... after the rollout completed"
	is "$(svc_image web)" "local/app:v$img" "$way: ... deployed"
	is "$(bs_jobs "$WS_TUBE")" "deploy web local/app:v$img completed" \
	    "$way: ... and announced"

	ci "$way" "wrong-$WS_TOKEN" web local/app:v1
	is "$CI_RC" 22 "$way: a refused token fails the pipeline (curl: 22)"
	like "$CI_OUT" '"error":"invalid token"' "$way: ... showing deployer's answer"
	is "$(svc_image web)" "local/app:v$img" "$way: ... nothing changed"

	ci "$way" "$WS_TOKEN" nosuch local/app:v1
	is "$CI_RC" 22 "$way: an unknown service fails it"
done

# A rollout that fails: Swarm rolls it back, deployer answers 502.
ci github "$WS_TOKEN" fragile local/crash:v1
is "$CI_RC" 22 "a rollout that fails fails the pipeline"
like "$CI_OUT" '"state":"rollback_' "... with Swarm's rollback state in the log"
is "$(svc_wait_update fragile 60)" rollback_completed "Swarm rolled it back"
is "$(svc_image fragile)" local/app:v1 "... to what ran before"

ws_no_sanitizer_reports
done_testing
