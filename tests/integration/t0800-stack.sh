#!/bin/bash
# t0800-stack.sh: PUT /stack/<name> against the real swarm: the members a
# release moves and skips, explicit members, deployer.order, all or
# nothing when a member's rollout fails, concurrent releases, token scopes,
# dry run, notifications and audit records per member
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

CI=ci-$$
WEBONLY=webonly-$$
BLOGGER=blogger-$$
stack_up
TPL=$(printf '%s' '{{.Stack}} {{.ServiceName}} {{.Image}} {{.State}}' | base64 -w0)
{
	printf 'docker_host = %s\n' "$DOCKER_HOST"
	printf 'notify_flags = {"addr":"%s","tube":"rel","template":"%s"}\n' \
	    "$BEANSTALK_ADDR" "$TPL"
	printf 'spool_dir = off\n'
	printf 'audit_file = %s\n' "$WORK/audit.log"
	printf 'state_dir = %s\n' "$WORK/state"
	printf '%s' "$CI" | "$DEPLOYER" --hash-token=ci
	printf '%s' "$WEBONLY" | "$DEPLOYER" --hash-token=webonly |
	    sed 's/$/ services=shop_web stacks=shop/'
	printf '%s' "$BLOGGER" | "$DEPLOYER" --hash-token=blogger |
	    sed 's/$/ stacks=blog/'
} >"$WORK/deployer.conf"
CGI_ENV="DEPLOYER_CONFIG=$WORK/deployer.conf"
AUTH=$CI
mkdir -m 700 "$WORK/state"

docker tag local/app:v1 local/other:v1
fast=(--stop-grace-period 1s --update-monitor 1s --update-delay 0s)
member=(--label com.docker.stack.namespace=shop
    --label deployer.allowUpdates=true "${fast[@]}")
svc_create shop_web local/app:v1 "${member[@]}" >/dev/null
svc_create shop_worker local/app:v1 "${member[@]}" --label deployer.order=1 \
    --update-failure-action pause --update-max-failure-ratio 0 \
    --update-monitor 3s >/dev/null
svc_create shop_cache local/other:v1 "${member[@]}" \
    --update-failure-action rollback --update-max-failure-ratio 0 \
    --update-monitor 3s --rollback-monitor 1s >/dev/null
svc_create shop_admin local/app:v1 --label com.docker.stack.namespace=shop \
    "${fast[@]}" >/dev/null
svc_create blog_web local/app:v1 --label com.docker.stack.namespace=blog \
    --label deployer.allowUpdates=true "${fast[@]}" >/dev/null
for s in shop_web shop_worker shop_cache shop_admin blog_web; do
	svc_wait_running "$s" 1 60
done

# images: the five services' images, in one line
images() {
	local s out=''
	for s in shop_web shop_worker shop_cache shop_admin blog_web; do
		out="$out $(svc_image "$s")"
	done
	printf '%s\n' "${out# }"
}
# members: the answer's services as "name=state" words
members() {
	printf '%s' "$BODY" | jq -r '[.services[] | "\(.service)=\(.state)"] |
	    join(" ")'
}
before="local/app:v1 local/app:v1 local/other:v1 local/app:v1 local/app:v1"
is "$(images)" "$before" "set-up: every service on its first image"

# --- dry run: the whole plan, nothing changed -------------------------------
run_cgi PUT '/stack/shop?dry_run=1' '{"image": "local/app:v2"}'
is "$STATUS" 200 "dry run: 200"
is "$(json_get state)" dry_run "dry run: says so"
is "$(members)" "shop_web=planned shop_worker=planned" \
    "dry run: the two labelled members on the repository, in release order"
is "$(json_get '.services[1].image')" local/app:v2 "dry run: the image planned"
is "$(json_get '.services[1].previous_image')" local/app:v1 \
    "dry run: ... and the one that runs"
is "$(json_get '.skipped[0].service')" shop_admin "dry run: the unlabelled one skipped"
like "$(json_get '.skipped[0].reason')" "deployer.allowUpdates=true" \
    "dry run: ... saying why"
is "$(json_get '.skipped | length')" 1 "dry run: other repositories are not listed"
is "$(images)" "$before" "dry run: nothing changed"
is "$(bs_count rel)" 0 "dry run: no notification"

# --- a release that moves exactly the two members, in order -----------------
run_cgi PUT '/stack/shop?wait=120' '{"image": "local/app:v2"}'
is "$STATUS" 200 "release: 200"
is "$(json_get state)" completed "release: completed"
is "$(members)" "shop_web=completed shop_worker=completed" \
    "release: each member completed"
is "$(json_get stack)" shop "release: names the stack"
is "$(images)" \
    "local/app:v2 local/app:v2 local/other:v1 local/app:v1 local/app:v1" \
    "release: exactly the two members moved"
is "$(bs_jobs rel | sort | tr '\n' ';')" \
    "shop shop_web local/app:v2 completed;shop shop_worker local/app:v2 completed;" \
    "release: one notification per member, with .Stack"
web_done=$(docker service inspect shop_web \
    --format '{{.UpdateStatus.CompletedAt.UnixNano}}')
worker_started=$(docker service inspect shop_worker \
    --format '{{.UpdateStatus.StartedAt.UnixNano}}')
check "order: the order-1 member started after order 0 completed" \
    test "$worker_started" -ge "$web_done"
run_cgi PUT /stack/shop '{"image": "local/app:v2"}'
is "$STATUS" 200 "again: 200"
is "$(json_get state)" unchanged "again: unchanged"
is "$(bs_count rel)" 0 "again: no notification"

# --- nothing to release -------------------------------------------------------
run_cgi PUT /stack/shop '{"image": "local/nothere:v1"}'
is "$STATUS" 404 "no member on the repository: 404"
like "$(json_get error)" "runs the repository of local/nothere:v1" \
    "... saying what was looked for"
run_cgi PUT /stack/nosuch '{"image": "local/app:v2"}'
is "$STATUS" 404 "no such stack: 404"
like "$(json_get error)" "com.docker.stack.namespace=nosuch" "... naming the label"

# --- explicit members: each must belong and be labelled -----------------------
run_cgi PUT /stack/shop '{"services": {"web": "local/app:v3", "admin": "local/app:v3"}}'
is "$STATUS" 403 "explicit, one member unlabelled: 403"
run_cgi PUT /stack/shop '{"services": {"web": "local/app:v3", "blog_web": "local/app:v3"}}'
is "$STATUS" 404 "explicit, one service of another stack: 404"
run_cgi PUT /stack/shop '{"services": {"web": "local/app:v3", "shop_web": "local/app:v3"}}'
is "$STATUS" 400 "explicit, one service twice: 400"
run_cgi PUT /stack/shop '{"image": "local/app:v3", "services": {"web": "local/app:v3"}}'
is "$STATUS" 400 "image and services at once: 400"
is "$(images)" \
    "local/app:v2 local/app:v2 local/other:v1 local/app:v1 local/app:v1" \
    "refused releases changed nothing"

# --- all or nothing: a member that cannot start undoes the release ------------
run_cgi PUT '/stack/shop?wait=120' \
    '{"services": {"web": "local/app:v3", "shop_worker": "local/crash:v1"}}'
is "$STATUS" 502 "failed member: 502"
like "$(json_get error)" "shop_worker failed: paused" "... naming the member"
is "$(json_get state)" rolled_back "failed member: the release is rolled back"
is "$(members)" "shop_web=rolled_back shop_worker=rolled_back" \
    "failed member: each member says so"
is "$(svc_image shop_web)" local/app:v2 "failed member: web has its old spec"
is "$(svc_image shop_worker)" local/app:v2 "failed member: worker has its old spec"
svc_wait_running shop_worker 1 60
n=$(docker service ps shop_worker --filter desired-state=running \
    --format '{{.Image}}' | grep -c 'local/app:v2' || true)
is "$n" 1 "failed member: worker runs its old image again"
is "$(bs_count rel)" 2 "failed member: one notification per changed member"
bs_jobs rel >/dev/null

# A member that Swarm rolls back itself (update-failure-action rollback):
# the release failed (502), not lost to another one.
run_cgi PUT '/stack/shop?wait=120' '{"services": {"cache": "local/crash:v1"}}'
is "$STATUS" 502 "Swarm's own rollback of a member: 502"
like "$(json_get error)" "shop_cache failed: rollback" "... naming it"
is "$(members)" "shop_cache=rolled_back" "... rolled back"
is "$(svc_image shop_cache)" local/other:v1 "... on its old image"
bs_jobs rel >/dev/null

# --- token scopes ---------------------------------------------------------------
AUTH=$BLOGGER run_cgi PUT /stack/shop '{"image": "local/app:v3"}'
is "$STATUS" 403 "stacks=blog on shop: 403"
AUTH=$WEBONLY run_cgi PUT /stack/shop '{"image": "local/app:v3"}'
is "$STATUS" 403 "services=shop_web, a release that moves shop_worker too: 403"
like "$(json_get error)" "shop_worker" "... naming the member it may not deploy"
is "$(images)" \
    "local/app:v2 local/app:v2 local/other:v1 local/app:v1 local/app:v1" \
    "scopes: nothing changed"
AUTH=$WEBONLY run_cgi PUT /stack/shop '{"services": {"web": "local/app:v3"}}'
is "$STATUS" 200 "services=shop_web, releasing only web: 200"
AUTH=$BLOGGER run_cgi PUT /stack/blog '{"image": "local/app:v2"}'
is "$STATUS" 200 "stacks=blog on blog: 200"
is "$(svc_image blog_web)" local/app:v2 "... the blog moved"
bs_jobs rel >/dev/null

# --- two releases at once: one wins, the other is 409, never a mix ------------
# A holds the stack's lock while it waits for web (order 0): a release
# started meanwhile is refused at once, before it reads anything.
AUTH=$CI run_cgi PUT /stack/shop '{"image": "local/app:v2"}'
svc_wait_update shop_web 60 >/dev/null
svc_wait_update shop_worker 60 >/dev/null
# Each request in the background gets its own files (run_cgi uses $WORK).
mkdir -p "$WORK/a" "$WORK/b"
# release_bg IMAGE: a waited release in the background (pid in $pa,
# status and body in a.out), until it has written web
release_bg() {
	local i
	(WORK=$WORK/a run_cgi PUT '/stack/shop?wait=120' "{\"image\": \"$1\"}" &&
	    printf '%s\n%s\n' "$STATUS" "$BODY") >"$WORK/a.out" &
	pa=$!
	for ((i = 0; i < 300; i++)); do
		[ "$(svc_image shop_web)" != "$1" ] || return 0
		sleep 0.1
	done
	return 1
}
release_bg local/app:v3 || fail "race: the first release did not write web"
run_cgi PUT /stack/shop '{"image": "local/app:v1"}'
is "$STATUS" 409 "race: a release while another runs: 409"
like "$(json_get error)" "a release of stack shop is running" \
    "race: ... saying why"
wait "$pa"
is "$(head -n1 "$WORK/a.out")" 200 "race: the first one completes"
is "$(svc_image shop_web) $(svc_image shop_worker)" \
    "local/app:v3 local/app:v3" "race: the stack runs the first one's release"
bs_jobs rel >/dev/null

# A writer that is not a release (a deploy of one member) while A waits
# for web: A's check after its last write sees it, A answers 409 and
# undoes itself only where its own image still runs.
release_bg local/app:v2 || fail "race: the release did not write web"
run_cgi PUT /service/shop_web '{"image": "local/app:v1"}'
is "$STATUS" 200 "race: a deploy of one member meanwhile"
wait "$pa"
is "$(head -n1 "$WORK/a.out")" 409 "race: the release whose member changed: 409"
BODY=$(tail -n +2 "$WORK/a.out")
like "$(json_get error)" "another" "race: ... saying why"
is "$(json_get '.services[0].state')" superseded \
    "race: it left web to the other writer"
is "$(svc_image shop_web) $(svc_image shop_worker)" \
    "local/app:v1 local/app:v3" "race: and put worker back as it was"
run_cgi PUT /stack/shop '{"image": "local/app:v1"}'
svc_wait_update shop_worker 60 >/dev/null
bs_jobs rel >/dev/null

# The stack's lock as a process of this host left it: a live holder
# refuses a release, one that died is taken over.
lock_name=deployer-stack-lock-$(printf shop | sha256sum | cut -c1-40)
pidns=$(readlink /proc/self/ns/pid | tr -dc 0-9)
# hold_lock PID: a lock of the stack held by process PID of this host
hold_lock() {
	local start
	start=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20)
	docker config rm "$lock_name" >/dev/null 2>&1 || true
	printf x | docker config create --label deployer.stack.lock=shop \
	    --label "deployer.owner=$(hostname) $pidns $1 ${start:-1}" \
	    --label "deployer.expires=$(($(date +%s) + 3600))" \
	    --label deployer.request=0123456789abcdef "$lock_name" - >/dev/null
}
# This shell holds it: a 409 alone could also mean "not ours to judge";
# the dead holder's 200 below shows that it was judged.
hold_lock $$
run_cgi PUT /stack/shop '{"image": "local/app:v2"}'
is "$STATUS" 409 "stack lock: a live holder's: 409"
like "$(json_get error)" "request 0123456789abcdef" "... naming its request"
sh -c 'exit 0' &
dead=$!
wait "$dead"
hold_lock "$dead"
run_cgi PUT /stack/shop '{"image": "local/app:v2"}'
is "$STATUS" 200 "stack lock: a dead holder's is taken over"
like "$(cat "$WORK/deployer.log")" "$lock_name is left over" "... saying so"
is "$(docker config ls --filter label=deployer.stack.lock -q | wc -l)" 0 \
    "stack lock: given back after the release"
run_cgi PUT /stack/shop '{"image": "local/app:v1"}'
svc_wait_update shop_worker 60 >/dev/null
bs_jobs rel >/dev/null

# And free-running pairs, both started at once, whichever wins.
mixed=0 bad=0 conflicts=0
for round in 1 2 3 4 5 6 7 8; do
	a=local/app:v3 b=local/app:v2
	[ $((round % 2)) = 1 ] || { a=local/app:v2 b=local/app:v3; }
	(WORK=$WORK/a run_cgi PUT /stack/shop "{\"image\": \"$a\"}" &&
	    echo "$STATUS") >"$WORK/a.status" &
	pa=$!
	(WORK=$WORK/b run_cgi PUT /stack/shop "{\"image\": \"$b\"}" &&
	    echo "$STATUS") >"$WORK/b.status" &
	pb=$!
	wait "$pa" "$pb"
	sa=$(tail -n1 "$WORK/a.status") sb=$(tail -n1 "$WORK/b.status")
	case "$sa $sb" in
	"200 200") ;;
	"200 409" | "409 200") conflicts=$((conflicts + 1)) ;;
	*)
		bad=$((bad + 1))
		diag "round $round: $sa $sb"
		;;
	esac
	web_img=$(svc_image shop_web) worker_img=$(svc_image shop_worker)
	if [ "$web_img" != "$worker_img" ]; then
		mixed=$((mixed + 1))
		diag "round $round: $web_img / $worker_img"
	fi
done
is "$bad" 0 "concurrent releases: every answer is 200 or 409"
is "$mixed" 0 "concurrent releases: the stack is never left on a mix"
diag "concurrent releases: $conflicts of 8 pairs ended in a 409"

# --- the audit trail: one record per member and one for the request -----------
rid=$(jq -r 'select(.phase == "outcome" and .action == "stack" and
    .service == null and .outcome == "completed") | .request_id' \
    "$WORK/audit.log" | head -n1)
is "$(jq -r --arg r "$rid" 'select(.request_id == $r and
    .phase == "outcome") | .service // "-"' "$WORK/audit.log" | tr '\n' ' ')" \
    "shop_web shop_worker - " "audit: a record per member, then the request's"
is "$(jq -r --arg r "$rid" 'select(.request_id == $r and
    .phase == "intent") | .service' "$WORK/audit.log" | tr '\n' ' ')" \
    "shop_web shop_worker " "audit: an intent per member written"
check "audit: the chain verifies" "$DEPLOYER" --verify-audit "$WORK/audit.log"
run_cgi GET '/service/shop_web/history?limit=50'
check "history: the release is in the member's history" \
    grep -q '"stack"' <<<"$BODY"

# --- the example's compose file, deployed by docker stack deploy --------------
# Its images become this machine's, its commands go (busybox has no "app").
sed -e 's|registry.example.com/shop/app:1.4.0|local/app:v1|' \
    -e 's|redis:7|local/other:v1|' -e '/command:/d' \
    "$top_srcdir/examples/stack/shop.yml" >"$WORK/shop.yml"
docker stack deploy --resolve-image never -c "$WORK/shop.yml" example \
    >/dev/null
for s in example_web example_worker example_scheduler example_cache; do
	svc_wait_running "$s" "$([ "$s" = example_web ] && echo 2 || echo 1)" 60
done
run_cgi PUT /stack/example '{"image": "local/app:v2"}'
is "$STATUS" 200 "example stack: 200"
is "$(members)" "example_web=accepted example_worker=accepted" \
    "example stack: the two labelled services, web first (deployer.order)"
is "$(json_get '.skipped[0].service')" example_scheduler \
    "example stack: the unlabelled one skipped"
is "$(svc_image example_web) $(svc_image example_worker) $(svc_image example_scheduler) $(svc_image example_cache)" \
    "local/app:v2 local/app:v2 local/app:v1 local/other:v1" \
    "example stack: exactly those moved"
docker stack rm example >/dev/null
bs_jobs rel >/dev/null

# --- metrics: each member counted under the stack action -----------------------
run_cgi GET /metrics
is "$STATUS" 200 "metrics: 200"
metric() {
	printf '%s\n' "$BODY" | awk -v k="$1" '$1 == k { print $2 }'
}
check "metrics: the members' completed releases are counted" test \
    "$(metric 'deployer_deploys_total{service="shop_worker",action="stack",outcome="completed",code="2xx"}')" -ge 1
check "metrics: ... and the failed one, as a 5xx" test \
    "$(metric 'deployer_deploys_total{service="shop_worker",action="stack",outcome="failed",code="5xx"}')" -ge 1
is "$(metric 'deployer_deploys_total{service="shop_admin",action="stack",outcome="completed",code="2xx"}')" \
    "" "metrics: a skipped service is not counted"

done_testing
