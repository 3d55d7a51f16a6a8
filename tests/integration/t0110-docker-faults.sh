#!/bin/bash
# t0110-docker-faults.sh: what a real daemon never does on demand: hanging,
# garbage, cut-short replies, and losing every read-modify-write race
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

FAKE=$top_builddir/tests/tools/fakedocker
[ -x "$FAKE" ] || bail_out "$FAKE is not built"
TOKEN=t0ken-$$
AUTH=$TOKEN

# fake MODE: start the stand-in on $WORK/fake-MODE.sock; calls are logged
# to $WORK/calls-MODE.  Stopped at exit.
fake() {
	rm -f "$WORK/fake-$1.sock"
	bg_start "fake-$1" "$FAKE" "$WORK/fake-$1.sock" "$1" "$WORK/calls-$1"
	for _ in $(seq 50); do
		[ -S "$WORK/fake-$1.sock" ] && return 0
		sleep 0.1
	done
	bail_out "fakedocker $1 did not start"
}

for m in hang garbage truncated badjson sequence; do
	fake "$m"
done

settings() {
	CGI_ENV="TOKEN=$TOKEN DOCKER_HOST=unix://$WORK/fake-$1.sock $2"
}

settings hang DEPLOYER_DOCKER_TIMEOUT=2
start=$(date +%s%N)
run_cgi PUT /service/blog '{"image": "local/app:v2"}'
ms=$((($(date +%s%N) - start) / 1000000))
is "$STATUS" 504 "a daemon that never answers: 504"
like "$(json_get error)" "in time" "... saying Docker did not answer in time"
# At least the 2 s prove the wait; the upper bound only says that the
# timeout ended it, with room for a loaded machine.
check "... after the configured 2 s (took $ms ms)" [ "$ms" -ge 1900 ]
check "... which ended it (well before the test's 60 s)" [ "$ms" -lt 30000 ]

settings garbage ""
run_cgi PUT /service/blog '{"image": "local/app:v2"}'
is "$STATUS" 502 "a reply that is not HTTP: 502"

settings truncated ""
run_cgi PUT /service/blog '{"image": "local/app:v2"}'
is "$STATUS" 502 "a reply cut short: 502"
like "$(json_get error)" "malformed or cut short" "... says so"

settings badjson ""
run_cgi PUT /service/blog '{"image": "local/app:v2"}'
is "$STATUS" 502 "a reply that is not JSON: 502"
like "$(json_get error)" "malformed" "... says so"

settings sequence DEPLOYER_UPDATE_RETRIES=3
: >"$WORK/calls-sequence"
run_cgi PUT /service/blog '{"image": "local/app:v2"}'
is "$STATUS" 409 "update out of sequence on every try: 409"
like "$(json_get error)" "3 attempts" "... after the configured 3 attempts"
is "$(grep -c '^POST .*/services/abcdefghijklmnopqrstuvwxy/update?version=18446744073709551615&' "$WORK/calls-sequence")" 3 \
    "... three updates, each at the full uint64 version Docker sent"
is "$(grep -c '^GET .*/services/blog' "$WORK/calls-sequence")" 3 \
    "... each after a fresh read"

# A socket file with nobody listening.
fake record
mv "$WORK/fake-record.sock" "$WORK/dead.sock"
bg_stop fake-record
CGI_ENV="TOKEN=$TOKEN DOCKER_HOST=unix://$WORK/dead.sock"
run_cgi PUT /service/blog '{"image": "local/app:v2"}'
is "$STATUS" 502 "a socket with nobody listening: 502"
like "$(json_get error)" unreachable "... Docker is unreachable"
done_testing
