#!/bin/bash
# t0120-parallel.sh: concurrent deploys of one service, CGI processes and
# one FastCGI process side by side: only 200 or 409, one notification per
# success, and the service ends on an image that was acknowledged
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

N=${PARALLEL_DEPLOYS:-12}
TOKEN=t0ken-$$
stack_up
NOTIFY="{\"addr\":\"$BEANSTALK_ADDR\",\"tube\":\"race\",\"template\":\"$(printf '%s' '{{.Image}} {{.RequestID}}' | base64 -w0)\"}"
settings=("TOKEN=$TOKEN" "DOCKER_HOST=$DOCKER_HOST" "NOTIFY_FLAGS=$NOTIFY"
    DEPLOYER_SPOOL_DIR=off)
CGI_ENV="${settings[*]}"
svc_create race local/app:v1 --label deployer.allowUpdates=true \
    --stop-grace-period 1s --update-parallelism 0 >/dev/null
fcgi_start

# one I IMAGE: a deploy as its own CGI process (even I) or through the
# FastCGI process (odd I); the reply goes to $WORK/par-I.
one() {
	local i=$1 image=$2 body
	body="{\"image\": \"$image\"}"
	local -a env=(REQUEST_METHOD=PUT PATH_INFO=/service/race
	    SCRIPT_NAME=/deploy REMOTE_ADDR=127.0.0.1
	    "CONTENT_LENGTH=${#body}" "HTTP_AUTHORIZATION=$TOKEN")
	if [ $((i % 2)) = 0 ]; then
		printf '%s' "$body" | env -i "${env[@]}" "${settings[@]}" \
		    "$top_builddir/src/deployer" >"$WORK/par-$i" 2>>"$WORK/par.log"
	else
		printf '%s' "$body" | env -i "${env[@]}" \
		    "$(command -v cgi-fcgi)" -bind -connect "$FCGI_SOCK" \
		    >"$WORK/par-$i" 2>>"$WORK/par.log"
	fi
}

images=(local/app:v1 local/app:v2 local/app:v3)
pids=()
for ((i = 0; i < N; i++)); do
	one "$i" "${images[$((i % 3))]}" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p"
done

ok_count=0 conflict=0 other=0
acked=()
for ((i = 0; i < N; i++)); do
	status=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$WORK/par-$i" | tr -d '\r')
	case $status in
	200)
		ok_count=$((ok_count + 1))
		acked+=("$(tail -n 1 "$WORK/par-$i" | jq -r '.image + " " + .state')")
		;;
	409) conflict=$((conflict + 1)) ;;
	*)
		other=$((other + 1))
		diag "request $i answered ${status:-nothing}:" "$(cat "$WORK/par-$i")"
		;;
	esac
done
diag "$ok_count deployed, $conflict lost the race"
is "$other" 0 "every answer is 200 or 409"
check "at least one deploy succeeded" [ "$ok_count" -ge 1 ]
jobs=$(bs_jobs race)
is "$(printf '%s\n' "$jobs" | grep -c .)" \
    "$(printf '%s\n' "${acked[@]}" | grep -c 'accepted$')" \
    "one notification per deploy that changed the service"
final=$(svc_image race)
found=0
for a in "${acked[@]}"; do
	[ "${a%% *}" != "$final" ] || found=1
done
check "the service ends on an acknowledged image ($final)" [ "$found" = 1 ]
check "the FastCGI process is still serving" fcgi_alive
done_testing
