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

# sweep NAME [SIGN] METHOD PATH [BODY]: the request with allocation N
# failing, for N = 1, 2, ... until a run makes no failing allocation
# (tests/tools/alloc-sweep; SIGN signs each run anew).  Every run must
# answer and stay clean.
sweep() {
	local name=$1 sign='' out rc=0 _req _settings
	shift
	case $1 in
	*:*) sign=$1 && shift ;;
	esac
	_lib_request "$@"
	_lib_settings
	out=$(perl "$top_srcdir/tests/tools/alloc-sweep" "$FAIL" "$WORK" \
	    "$MAX_N" "$RUN_TIMEOUT" ${sign:+"$sign"} -- "${_req[@]}" "${_settings[@]}") ||
	    rc=$?
	if [ "$rc" = 0 ]; then
		pass "$name: each of its $out allocations may fail"
	else
		fail "$name: each allocation may fail" "$out"
	fi
}

AUTH=$TOKEN sweep "deploy" PUT /service/blog \
    '{"image": "local/app:v2", "force": true}'
AUTH=$TOKEN sweep "rollback" POST /service/blog/rollback
AUTH=$TOKEN sweep "status" GET /service/blog
AUTH=$TOKEN sweep "a hostile body" PUT /service/blog '{"image": "UPPER"}'
AUTH=wrong sweep "an unknown token" PUT /service/blog '{"image": "x:1"}'
sweep "health" GET /health
# The replay store in the swarm; the window allows 500 distinct times.
AUTH=$SIGNED MAX_N=500 sweep "a signed deploy" "$KEY:PUT:/service/blog" \
    PUT /service/blog '{"image": "local/app:v1", "force": true}'

check "the audit chain survived every failure" "$DEPLOYER" --verify-audit \
    "$WORK/audit.log"
done_testing
