#!/bin/bash
# t0440-two-managers.sh: two swarm managers in one swarm, a deployer in
# front of each, 50 concurrent deploys of one service spread over both:
# only 200 or 409, the service ends on an acknowledged image, one
# notification per deploy that changed it
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"
# shellcheck source-path=SCRIPTDIR source=../stack-ops.sh
. "${0%/*}/../stack-ops.sh"

N=${MANAGER_DEPLOYS:-50}
TOKEN=t0ken-$$
answers=()
# The link between the two daemons' namespaces: TEST-NET-1 (RFC 5737),
# which exists nowhere else, in namespaces this test owns.
ADDR_A=192.0.2.1 ADDR_B=192.0.2.2

# Two stacks, each dockerd in its own network namespace (two daemons in
# one namespace would both bind the gossip port 127.0.0.1:7946).
stack_up
A=$STACK_DIR
B=$WORK/stack2
stack_start "$B" >/dev/null || bail_out "the second stack did not start"
SOCK_B=$(cat "$B/docker-sock")
# Before the stacks stop: B leaves as a worker, so that neither loses
# its quorum (and waits for it) on the way down.
at_exit "stack_unjoin '$A' '$B'"
stack_link "$A" "$ADDR_A" "$B" "$ADDR_B" || bail_out "no link between the namespaces"
stack_join_manager "$A" "$ADDR_A" "$B" "$ADDR_B" ||
    bail_out "the second dockerd did not join as a manager"
managers=$(docker node ls --filter role=manager --format '{{.Status}} {{.ManagerStatus}}' | sort)
is "$managers" "$(printf '%s\n' 'Ready Leader' 'Ready Reachable')" \
    "one swarm, two managers, both ready"
is "$(DOCKER_HOST=unix://$SOCK_B docker info --format '{{.Swarm.ControlAvailable}}')" \
    true "the second manager takes control requests too"

TPL=$(printf '%s' '{{.RequestID}} {{.Image}}' | base64 -w0)
# Both deployers notify into the first stack's beanstalkd.
NOTIFY="{\"addr\":\"$BEANSTALK_ADDR\",\"tube\":\"race\",\"template\":\"$TPL\"}"
COMMON="TOKEN=$TOKEN NOTIFY_FLAGS=$NOTIFY DEPLOYER_SPOOL_DIR=off"
svc_create race local/app:v1 --label deployer.allowUpdates=true \
    --replicas 2 --stop-grace-period 1s --update-parallelism 0 >/dev/null
svc_wait_running race 2 60

# Each deployer reads the service first (the spec reaches B by raft).
for host in "$DOCKER_HOST" "unix://$SOCK_B"; do
	CGI_ENV="$COMMON DOCKER_HOST=$host" AUTH=$TOKEN run_cgi GET /service/race
	is "$STATUS $(json_get image)" "200 local/app:v1" "the deployer on ${host##*/stack} reads the service"
done

# one I IMAGE: a deploy as its own CGI process, through the first manager
# (even I) or the second (odd I); the reply goes to $WORK/par-I.
one() {
	local i=$1 body host=$DOCKER_HOST
	local -a settings
	read -ra settings <<<"$COMMON"
	body="{\"image\": \"$2\"}"
	[ $((i % 2)) = 0 ] || host=unix://$SOCK_B
	printf '%s' "$body" | env -i REQUEST_METHOD=PUT PATH_INFO=/service/race \
	    SCRIPT_NAME=/deployer REMOTE_ADDR=127.0.0.1 \
	    CONTENT_LENGTH=${#body} HTTP_AUTHORIZATION="$TOKEN" \
	    "${settings[@]}" DOCKER_HOST="$host" "$DEPLOYER" >"$WORK/par-$i" \
	    2>>"$WORK/deployer.log"
}

images=(local/app:v1 local/app:v2 local/app:v3)
pids=()
t0=$(date +%s%N)
for ((i = 0; i < N; i++)); do
	one "$i" "${images[$((i % 3))]}" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p"
done
diag "$N deploys in $((($(date +%s%N) - t0) / 1000000)) ms"

ok_a=0 ok_b=0 conflict=0 other=0 changed=0
acked=()
for ((i = 0; i < N; i++)); do
	status=$(sed -n 's/^Status: \([0-9]*\).*/\1/p' "$WORK/par-$i" | tr -d '\r')
	case $status in
	200)
		if [ $((i % 2)) = 0 ]; then ok_a=$((ok_a + 1)); else ok_b=$((ok_b + 1)); fi
		read -r image state < <(tail -n 1 "$WORK/par-$i" |
		    jq -r '.image + " " + .state')
		acked+=("$image")
		[ "$state" != accepted ] || changed=$((changed + 1))
		;;
	409) conflict=$((conflict + 1)) ;;
	*)
		other=$((other + 1))
		diag "request $i answered ${status:-nothing}:" "$(cat "$WORK/par-$i")"
		;;
	esac
done
diag "deployed: $ok_a through the first manager, $ok_b through the second; $conflict lost the race"
is "$other" 0 "every answer is 200 or 409"
check "deploys succeeded through the first manager" [ "$ok_a" -ge 1 ]
check "... and through the second" [ "$ok_b" -ge 1 ]
final_a=$(svc_image race)
final_b=$(DOCKER_HOST=unix://$SOCK_B svc_image race)
is "$final_b" "$final_a" "both managers see the same final spec"
found=0
for a in "${acked[@]}"; do
	[ "$a" != "$final_a" ] || found=1
done
check "the service ends on an acknowledged image ($final_a)" [ "$found" = 1 ]
jobs=$(bs_jobs race)
is "$(printf '%s\n' "$jobs" | grep -c .)" "$changed" \
    "one notification per deploy that changed the service ($changed)"
is "$(printf '%s\n' "$jobs" | sort | uniq -d)" "" "... none twice"

# --- a signed request is good once across the swarm -----------------------
# The replay store is the swarm itself: a signature accepted through one
# manager is refused through the other.
SIGNED=s1gned-$$-$RANDOM
printf 'hmac-key-for-the-two-managers-%s\n' "$RANDOM" >"$WORK/key"
printf 'token.signed = %s hmac_key_file=%s\n' \
    "$(printf '%s' "$SIGNED" | "$DEPLOYER" --hash-token=signed |
    sed 's/^token.signed = //')" "$WORK/key" >"$WORK/signed.conf"
body='{"image": "local/app:v1"}'
t=$(date +%s)
sig=$(printf '%s\nPUT\n/service/race\n%s' "$t" "$body" |
    openssl dgst -sha256 -hmac "$(head -c -1 "$WORK/key")" | sed 's/.* //')
for host in "$DOCKER_HOST" "unix://$SOCK_B"; do
	CGI_ENV="DEPLOYER_CONFIG=$WORK/signed.conf DOCKER_HOST=$host DEPLOYER_SPOOL_DIR=off" \
	    AUTH=$SIGNED REQ_ENV="HTTP_X_DEPLOYER_SIGNATURE=t=$t,v1=$sig" \
	    run_cgi PUT /service/race "$body"
	answers+=("$STATUS")
done
is "${answers[*]}" "200 401" "a signed deploy through the first manager, its replay through the second: 200 401"
like "$(json_get error)" "replayed request" "... refused as a replay"
done_testing
