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
# A run that hangs where an allocation failed is a failure of its own.
RUN_TIMEOUT=120

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

# once N METHOD PATH [BODY]: one CGI run with allocation N failing,
# straight to the program (run_cgi's bookkeeping, thousands of times,
# would cost more than the runs); its answer and stderr in $WORK.
once() {
	local n=$1 _req _settings
	shift
	_lib_request "$@"
	_lib_settings
	CGI_EXIT=0
	timeout -k 5 "$RUN_TIMEOUT" env -i "${_req[@]}" "${_settings[@]}" \
	    FAILALLOC_AT="$n" FAILALLOC_COUNT="$WORK/count" "$FAIL" \
	    <"$WORK/request" \
	    >"$WORK/response" 2>"$WORK/stderr" || CGI_EXIT=$?
}

# signed N: a signed deploy with allocation N failing; each N signs
# another time within the window, so that every signature is new.
signed() {
	local body='{"image": "local/app:v1", "force": true}' t sig
	t=$(($(date +%s) - 250 + $1))
	sig=$(printf '%s\nPUT\n/service/blog\n%s' "$t" "$body" |
	    openssl dgst -sha256 -hmac "$(head -c -1 "$KEY")" | sed 's/.* //')
	AUTH=$SIGNED REQ_ENV="HTTP_X_DEPLOYER_SIGNATURE=t=$t,v1=$sig" \
	    once "$1" PUT /service/blog "$body"
}

# sweep NAME CMD...: runs CMD N ... for N = 1, 2, ... until a run makes
# no failing allocation; every run must answer and stay clean.
sweep() {
	local name=$1 bad='' count=0 failed=1 first n=1
	shift
	while [ "$n" -le "$MAX_N" ]; do
		rm -f "$WORK/count"
		"$@" "$n"
		first=$(head -c 7 "$WORK/response")
		if [ "$CGI_EXIT" != 0 ] || [ "$first" != "Status:" ] ||
		    grep -qE 'Sanitizer|runtime error' "$WORK/stderr"; then
			bad="allocation $n: exit $CGI_EXIT, answer '$first'"
			[ "$CGI_EXIT" != 124 ] ||
			    bad="allocation $n: no answer in $RUN_TIMEOUT s"
			_lib_tail "stderr at allocation $n" "$WORK/stderr" 30
			break
		fi
		read -r count failed <"$WORK/count" || count=0 failed=1
		[ "$failed" = 1 ] || break
		n=$((n + 1))
	done
	[ "$failed" = 0 ] || [ -n "$bad" ] || bad="more than $MAX_N allocations"
	is "$bad" "" "$name: each of its $count allocations may fail"
}

# req METHOD PATH [BODY] N: once, with N last (as sweep calls it).
req() {
	local n=${*: -1}
	once "$n" "${@:1:$#-1}"
}

AUTH=$TOKEN sweep "deploy" req PUT /service/blog \
    '{"image": "local/app:v2", "force": true}'
AUTH=$TOKEN sweep "rollback" req POST /service/blog/rollback
AUTH=$TOKEN sweep "status" req GET /service/blog
AUTH=$TOKEN sweep "a hostile body" req PUT /service/blog '{"image": "UPPER"}'
AUTH=wrong sweep "an unknown token" req PUT /service/blog '{"image": "x:1"}'
sweep "health" req GET /health
# The replay store in the swarm; the window allows 500 distinct times.
MAX_N=500 sweep "a signed deploy" signed

check "the audit chain survived every failure" "$DEPLOYER" --verify-audit \
    "$WORK/audit.log"
done_testing
