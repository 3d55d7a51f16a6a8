#!/bin/bash
# t0450-alloc-failures.sh: every allocation of a request may fail, and the
# program still answers, frees what it took and does not crash
#
# tests/tools/deployer-failalloc is the program with each allocation of its
# own code and of cJSON counted; FAILALLOC_AT=N makes the N-th fail.  For
# each main request path the sweep runs N = 1, 2, ... until a run makes
# no failing allocation, against a real swarm, beanstalkd, an audit file
# and the spool.  Every run must exit 0 with a CGI answer (200 or an
# error status), and, in the sanitizer build, without an ASan or LSan
# report: a leak on any error path fails the test.
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

FAIL=$top_builddir/tests/tools/deployer-failalloc
[ -x "$FAIL" ] || bail_out "$FAIL is not built"
# Every path stops well below this; more would mean the count is wrong.
MAX_N=20000

stack_up
TOKEN=t0ken-$$-$RANDOM
KEY=$WORK/hmac.key
printf 'k3y-for-signing-requests-%s\n' "$RANDOM" >"$KEY"
SIGNED=s1gned-$$-$RANDOM
{
	printf 'token = %s\n' "$TOKEN"
	printf 'token.signed = %s hmac_key_file=%s\n' \
	    "$(printf '%s' "$SIGNED" | "$DEPLOYER" --hash-token=signed |
	    sed 's/^token.signed = //')" "$KEY"
	printf 'audit_file = %s/audit.log\n' "$WORK"
	printf 'spool_dir = %s/spool\n' "$WORK"
} >"$WORK/deployer.conf"
NOTIFY="{\"addr\":\"$BEANSTALK_ADDR\",\"tube\":\"deploys\",\"template\":\"$(printf '{{.Action}} {{.Image}} {{.ServiceName}}' | base64 -w0)\"}"
CGI_ENV="DEPLOYER_CONFIG=$WORK/deployer.conf DOCKER_HOST=$DOCKER_HOST NOTIFY_FLAGS=$NOTIFY"
svc_create blog local/app:v1 --label deployer.allowUpdates=true \
    --replicas 0 >/dev/null

# sweep NAME CMD...: the sweep over one request path; CMD sends the
# request (run_cgi, or a function that calls it) and may read $n.
sweep() {
	local name=$1 bad='' count=0 failed
	shift
	n=1
	while [ "$n" -le "$MAX_N" ]; do
		rm -f "$WORK/count"
		CGI_ENV="$CGI_ENV FAILALLOC_AT=$n FAILALLOC_COUNT=$WORK/count" \
		    DEPLOYER=$FAIL "$@"
		if [ "$CGI_EXIT" != 0 ] || [ -z "$STATUS" ] ||
		    grep -qE 'Sanitizer|runtime error' "$WORK/stderr"; then
			bad="allocation $n: exit $CGI_EXIT, status ${STATUS:-none}"
			_lib_tail "stderr at allocation $n" "$WORK/stderr" 30
			break
		fi
		read -r count failed <"$WORK/count" || count=0 failed=1
		[ "$failed" = 1 ] || break
		n=$((n + 1))
	done
	[ "$n" -le "$MAX_N" ] || bad="more than $MAX_N allocations"
	is "$bad" "" "$name: each of its $count allocations may fail"
	# The run that failed nothing is an ordinary request.
	diag "$name: the run without a failure answered $STATUS"
}

# signed_deploy: a signed deploy; each run signs another time within the
# window ($n seconds after its start), so that every signature is new.
signed_deploy() {
	local body='{"image": "local/app:v1", "force": true}' t sig
	t=$(($(date +%s) - 250 + n))
	sig=$(printf '%s\nPUT\n/service/blog\n%s' "$t" "$body" |
	    openssl dgst -sha256 -hmac "$(head -c -1 "$KEY")" | sed 's/.* //')
	AUTH=$SIGNED REQ_ENV="HTTP_X_DEPLOYER_SIGNATURE=t=$t,v1=$sig" \
	    run_cgi PUT /service/blog "$body"
}

AUTH=$TOKEN sweep "deploy" run_cgi PUT /service/blog \
    '{"image": "local/app:v2", "force": true}'
AUTH=$TOKEN sweep "rollback" run_cgi POST /service/blog/rollback
AUTH=$TOKEN sweep "status" run_cgi GET /service/blog
AUTH=$TOKEN sweep "a hostile body" run_cgi PUT /service/blog '{"image": "UPPER"}'
AUTH=wrong sweep "an unknown token" run_cgi PUT /service/blog '{"image": "x:1"}'
sweep "health" run_cgi GET /health
# The replay store in the swarm: the window allows 500 distinct times.
MAX_N=500 sweep "a signed deploy" signed_deploy

run_ok "the audit chain survived every failure" "$DEPLOYER" --verify-audit \
    "$WORK/audit.log"
done_testing
