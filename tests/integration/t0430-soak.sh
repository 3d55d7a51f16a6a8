#!/bin/bash
# t0430-soak.sh: one FastCGI process serves 10,000 mixed requests (every
# kind of rejection, status reads, deploys on a real service, health)
# under valgrind, or LeakSanitizer in a sanitizer build: no leak, no
# descriptor growth, flat memory, every answer as expected; then another
# 3,000 whose parameters make each request stricter, or name a setting
# that a request may not change (refused)
set -eu
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "${0%/*}/../lib.sh"

LOAD=$top_builddir/tests/tools/fcgi-load
[ -x "$LOAD" ] || bail_out "$LOAD is not built"
[ -x "$DEPLOYER" ] || bail_out "$DEPLOYER is not built"
N=${SOAK_REQUESTS:-10000}
WARM=${SOAK_WARMUP:-1000}
# A second, shorter run: settings among each request's parameters.
N2=${SOAK_PARAM_REQUESTS:-3000}
WARM2=${SOAK_PARAM_WARMUP:-500}
TOKEN=t0ken-$$

# A sanitizer build (configure --enable-sanitizers) brings its own leak
# checker, and valgrind cannot run an ASan binary.
if grep -q '^SAN_CFLAGS *=.*-fsanitize=address' "$top_builddir/Makefile" \
    2>/dev/null || nm -D "$DEPLOYER" 2>/dev/null | grep -q ' __asan_init'; then
	CHECKER=lsan
else
	CHECKER=valgrind
	VALGRIND=$(command -v valgrind) || bail_out "valgrind is missing"
	command -v vgdb >/dev/null || bail_out "vgdb (valgrind) is missing"
fi
diag "leak checker: $CHECKER; $N requests, measured after $WARM"

stack_up
TPL=$(printf '%s' '{{.RequestID}} {{.Image}}' | base64 -w0)
NOTIFY="{\"addr\":\"$BEANSTALK_ADDR\",\"tube\":\"soak\",\"template\":\"$TPL\"}"
CGI_ENV="TOKEN=$TOKEN DOCKER_HOST=$DOCKER_HOST NOTIFY_FLAGS=$NOTIFY DEPLOYER_SPOOL_DIR=off"
# No task ever runs (0 replicas): a thousand updates cost dockerd little.
svc_create soak local/app:v3 --replicas 0 \
    --label deployer.allowUpdates=true >/dev/null
svc_create locked local/app:v1 --replicas 0 >/dev/null

if [ "$CHECKER" = valgrind ]; then
	WRAP="$VALGRIND --leak-check=full --error-exitcode=99"
	WRAP+=" --errors-for-leak-kinds=definite,indirect --vgdb=yes"
	SAN_ENV=
else
	WRAP=
	# ASan holds freed memory in a quarantine (256 MB by default) that
	# would look like growth; a small one keeps RSS meaningful.
	SAN_ENV="ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1"
	SAN_ENV+=":quarantine_size_mb=4:malloc_context_size=20"
fi

# ------------------------------------------------------------ the mix
# mix [PARAM...]: the request kinds, each with these FastCGI parameters
# (a web server's fastcgi_param lines).
B1='{"image":"local/app:v1"}'
B2='{"image":"local/app:v2"}'
big=$(head -c 65600 /dev/zero | tr '\0' a)
long=$(head -c 2000 /dev/zero | tr '\0' x)
deep=$(head -c 3000 /dev/zero | tr '\0' '[')
mix() {
	local IFS=$'\t'
	{
		printf '%s\n' '# EXPECT METHOD PATH AUTHORIZATION BODY [PARAM...]'
		printf '200\tPUT\t/service/soak\t%s\t%s\n' "$TOKEN" "$B1"
		printf '200\tGET\t/service/soak\t%s\t-\n' "$TOKEN"
		printf '401\tPUT\t/service/soak\twrong\t%s\n' "$B2"
		printf '401\tPUT\t/service/soak\t-\t%s\n' "$B2"
		printf '401\tPUT\t/service/soak\tBearer %s\t%s\n' "$long" "$B2"
		printf '404\tGET\t/nowhere\t%s\t-\n' "$TOKEN"
		printf '405\tDELETE\t/service/soak\t%s\t-\n' "$TOKEN"
		printf '400\tPUT\t/service/soak\t%s\t{"image":\n' "$TOKEN"
		printf '400\tPUT\t/service/soak\t%s\t%s\n' "$TOKEN" \
		    '{"image":"Local/App"}'
		printf '400\tPUT\t/service/soak?wait=-1\t%s\t%s\n' "$TOKEN" "$B2"
		printf '413\tPUT\t/service/soak\t%s\t%s\n' "$TOKEN" "$big"
		printf '400\tPUT\t/service/soak\t%s\t%s\tCONTENT_LENGTH=100\n' \
		    "$TOKEN" "$B2"
		printf '400\tPUT\t/service/soak\t%s\t%s\n' "$TOKEN" "$deep"
		printf '404\tGET\t/service/nosuch\t%s\t-\n' "$TOKEN"
		printf '403\tPUT\t/service/locked\t%s\t%s\n' "$TOKEN" "$B2"
		printf '412\tPUT\t/service/soak\t%s\t%s\n' "$TOKEN" \
		    '{"image":"local/app:v3","expect":"local/app:v9"}'
		printf '200\tPUT\t/service/soak?dry_run=1\t%s\t%s\n' "$TOKEN" \
		    '{"image":"local/app:v3"}'
		printf '200\tGET\t/health\t-\t-\n'
		printf '200\tHEAD\t/health\t-\t-\n'
		printf '200\tPUT\t/service/soak\t%s\t%s\n' "$TOKEN" "$B2"
		# A request never changes a setting: refused, whatever its
		# value.
		printf '400\tGET\t/service/soak\t%s\t-\t%s\n' "$TOKEN" \
		    DEPLOYER_DOCKER_TIMEOUT=20
		printf '400\tGET\t/service/soak\t%s\t-\t%s\n' "$TOKEN" \
		    DEPLOYER_DOCKER_TIMEOUT=never
	} | while IFS= read -r line; do
		case $line in
		'#'*) printf '%s\n' "$line" ;;
		*) printf '%s\n' "$line${*:+$IFS$*}" ;;
		esac
	done
}

# measure: the process's descriptors (FDS), resident memory in kB (RSS)
# and, under valgrind, the bytes its heap holds (HEAP; else RSS again).
measure() {
	local pid=$FCGI_PID out n
	FDS=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | grep -c .)
	RSS=$(sed -n "s/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$pid/status")
	HEAP=$((RSS * 1024))
	if [ "$CHECKER" = valgrind ]; then
		# The live heap: every block, leaked or reachable.
		out=$(vgdb --pid="$pid" leak_check summary 2>&1) || {
			diag "vgdb failed:" "$out"
			return 1
		}
		HEAP=0
		for n in $(printf '%s\n' "$out" | sed -n -E \
		    's/.*(definitely|indirectly|possibly) lost: ([0-9,]*) .*/\2/p
		    s/.*still reachable: ([0-9,]*) .*/\1/p' | tr -d ,); do
			HEAP=$((HEAP + n))
		done
	fi
}

# load KINDS COUNT: COUNT requests through the mix, two connections at
# once.
load() {
	local rc=0 t0
	t0=$(date +%s%N)
	"$LOAD" -c 2 -n "$2" -t 120 "unix:$FCGI_SOCK" "$1" >"$WORK/load.out" \
	    2>&1 || rc=$?
	LOAD_MS=$((($(date +%s%N) - t0) / 1000000))
	cat "$WORK/load.out" >>"$WORK/load.log"
	return "$rc"
}

# deploys KINDS COUNT: how many of COUNT requests through the mix are
# deploys (fcgi-load cycles through the kinds from the first).
deploys() {
	local -a kinds
	local i n=0
	mapfile -t kinds < <(grep -v '^#' "$1")
	for ((i = 0; i < ${#kinds[@]}; i++)); do
		case ${kinds[i]} in
		200$'\t'PUT$'\t'/service/soak$'\t'*)
			n=$((n + $2 / ${#kinds[@]}))
			[ "$i" -ge $(($2 % ${#kinds[@]})) ] || n=$((n + 1))
			;;
		esac
	done
	printf '%s\n' "$n"
}

# soak WHAT FILE N WARM: one FastCGI process (settings: CGI_ENV) under
# the leak checker serves N requests of the kinds in FILE; measured after
# WARM and after N.
soak() {
	local what=$1 file=$2 n=$3 warm=$4 rc fds1 rss1 heap1 slack sent
	local changed logstart jobs0
	logstart=$(wc -l <"$WORK/fcgi.log" 2>/dev/null || echo 0)
	jobs0=$(bs_count soak)
	# The mix deploys v1 first: every phase starts from another image.
	docker service update --detach --quiet --no-resolve-image \
	    --image local/app:v3 soak >/dev/null
	CGI_WRAPPER=$WRAP
	CGI_ENV+="${SAN_ENV:+ $SAN_ENV}"
	fcgi_start
	CGI_WRAPPER=

	rc=0
	load "$file" "$warm" || rc=$?
	is "$rc" 0 "$what: the first $warm requests: every answer as expected"
	[ "$rc" = 0 ] || diag "$(cat "$WORK/load.out")"
	diag "$warm requests in $LOAD_MS ms: $(head -n 2 "$WORK/load.out" | tr '\n' ' ')"
	measure
	fds1=$FDS rss1=$RSS heap1=$HEAP
	rc=0
	load "$file" $((n - warm)) || rc=$?
	is "$rc" 0 "$what: $((n - warm)) more: every answer as expected"
	[ "$rc" = 0 ] || diag "$(cat "$WORK/load.out")"
	diag "$((n - warm)) requests in $LOAD_MS ms: $(head -n 2 "$WORK/load.out" | tr '\n' ' ')"
	check "$what: one FastCGI process served all $n" fcgi_alive
	measure
	diag "after $warm: $fds1 fds, VmRSS $rss1 kB, heap $heap1 bytes"
	diag "after $n: $FDS fds, VmRSS $RSS kB, heap $HEAP bytes"
	is "$FDS" "$fds1" "$what: no descriptor growth ($fds1 fds after $warm requests and after $n)"
	# Flat: within 2 MiB (allocator and cache noise), or 10% of the
	# first measurement; 9,000 requests that lose 230 bytes each
	# exceed it.
	slack=$((2 * 1024 * 1024))
	[ $((heap1 / 10)) -le "$slack" ] || slack=$((heap1 / 10))
	if [ "$CHECKER" = valgrind ]; then
		check "$what: flat memory: the live heap $heap1 -> $HEAP bytes" \
		    [ $((HEAP - heap1)) -le "$slack" ]
		# valgrind's own memory (translations, the queue of freed
		# blocks, 20 MB) grows on its own schedule: shown, not
		# judged.
		diag "VmRSS under valgrind: $rss1 -> $RSS kB"
	else
		check "$what: flat memory: VmRSS $rss1 -> $RSS kB" \
		    [ $((HEAP - heap1)) -le "$slack" ]
	fi

	# Every deploy changed the service (the images alternate; only the
	# first of the second run may repeat the last of the first) and
	# sent one notification.
	sent=$(($(deploys "$file" "$warm") + $(deploys "$file" $((n - warm)))))
	changed=$(tail -n +$((logstart + 1)) "$WORK/fcgi.log" |
	    grep -c 'service soak: .* -> ' || true)
	check "$what: $changed of $sent deploys changed the service" \
	    [ "$changed" -ge $((sent - 1)) ]
	check "$what: ... and no more than were sent" [ "$changed" -le "$sent" ]
	is "$(($(bs_count soak) - jobs0))" "$changed" "... each sent one notification"

	fcgi_stop
	is "$FCGI_EXIT" 0 "$what: the process stops cleanly (exit 0: no $CHECKER error)"
	tail -n +$((logstart + 1)) "$WORK/fcgi.log" >"$WORK/phase.log"
	if [ "$CHECKER" = valgrind ]; then
		like "$(grep 'ERROR SUMMARY' "$WORK/phase.log" | tail -n 1)" \
		    'ERROR SUMMARY: 0 errors' "$what: valgrind: no errors"
		check "$what: valgrind: no leak at exit" \
		    ! grep -qE '(definitely|indirectly) lost: [1-9]' "$WORK/phase.log"
	else
		check "$what: LeakSanitizer and ASan: no report" \
		    ! grep -q 'Sanitizer' "$WORK/phase.log"
	fi
}

# The process has its settings (and token) in its environment.
mix >"$WORK/soak.kinds"
soak "settings in the environment" "$WORK/soak.kinds" "$N" "$WARM"

# Every request carries the parameters a location may set to make it
# stricter (a copy of the settings per request, nothing kept).
mix DEPLOYER_WAIT_MAX=600 DEPLOYER_MAX_BODY=65536 >"$WORK/params.kinds"
soak "stricter settings in the parameters" "$WORK/params.kinds" "$N2" \
    "$WARM2"
done_testing
