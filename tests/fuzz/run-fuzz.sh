#!/bin/sh
# run-fuzz.sh: runs the libFuzzer targets built by `make fuzz`
# SPDX-License-Identifier: MIT
#
# Usage: run-fuzz.sh TARGET...   (make fuzz sets everything below)
#
#   FUZZ_BINDIR   where fuzz-TARGET is (tests/fuzz/bin); scratch goes
#                 there too: new/TARGET (inputs found, kept between runs
#                 and read again), crashes/TARGET-* (artifacts),
#                 logs/TARGET.log
#   FUZZ_CORPUS   the repository's corpus root (tests/fuzz/corpus); it is
#                 only read, unless FUZZ_MERGE=1
#   FUZZ_DICTS    dictionaries, TARGET.dict (optional)
#   FUZZ_SECONDS  time per target (60)
#   FUZZ_JOBS     targets run at once (1)
#   FUZZ_MERGE    1: afterwards add to the repository's corpus the new
#                 inputs that reach code it does not (a greedy set cover
#                 on edges, so the corpus stays small; hit counts alone
#                 do not earn a file a place)
#   FUZZ_FLAGS    more libFuzzer flags, e.g. -max_len=8192 -seed=1
#
# Prints one line per target with its execution count, and exits 1 when
# a target crashed, leaked or timed out (the artifact is named).

bindir=${FUZZ_BINDIR:-tests/fuzz/bin}
corpus=${FUZZ_CORPUS:-tests/fuzz/corpus}
dicts=${FUZZ_DICTS:-tests/fuzz/dict}
seconds=${FUZZ_SECONDS:-60}
jobs=${FUZZ_JOBS:-1}
merge=${FUZZ_MERGE:-0}

die() {
	echo "run-fuzz.sh: $*" >&2
	exit 2
}

case $seconds in ''|*[!0-9]*) die "FUZZ_SECONDS: not a number" ;; esac
case $jobs in ''|0|*[!0-9]*) die "FUZZ_JOBS: not a positive number" ;; esac
test $# -gt 0 || die "usage: run-fuzz.sh TARGET..."
for t in "$@"; do
	test -x "$bindir/fuzz-$t" || die "$bindir/fuzz-$t: not built"
	test -d "$corpus/$t" || die "$corpus/$t: no corpus"
done
mkdir -p "$bindir/logs" "$bindir/crashes" || exit 1
# Artifacts by absolute path: a target may chdir while it runs.
abs_bindir=$(cd "$bindir" && pwd) || exit 1

# Options every run of target $1 gets, as "$@".
target_opts() {
	test -f "$dicts/$1.dict" && printf '%s\n' "-dict=$dicts/$1.dict"
	# The request target logs every refusal to stderr, as the program
	# does; libFuzzer keeps its own output and crash reports anyway.
	test "$1" = request && printf '%s\n' -close_fd_mask=3
	return 0
}

run_one() {
	t=$1
	log=$bindir/logs/$t.log
	mkdir -p "$bindir/new/$t" || return 1
	# shellcheck disable=SC2046,SC2086
	"$bindir/fuzz-$t" -max_total_time="$seconds" -print_final_stats=1 \
	    -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$abs_bindir/crashes/$t-" \
	    $(target_opts "$t") $FUZZ_FLAGS \
	    "$bindir/new/$t" "$corpus/$t" >"$log" 2>&1
	echo $? >"$log.rc"
}

# FUZZ_JOBS targets at a time.
running=0
for t in "$@"; do
	echo "fuzz-$t: running for ${seconds}s"
	run_one "$t" &
	running=$((running + 1))
	if test "$running" -ge "$jobs"; then
		wait
		running=0
	fi
done
wait

status=0
total=0
for t in "$@"; do
	log=$bindir/logs/$t.log
	rc=$(cat "$log.rc" 2>/dev/null || echo 1)
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
	    tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 |
	    sed -n 's/.*\(cov: [0-9]*\).*\(ft: [0-9]*\).*/\1 \2/p')
	found=$(find "$bindir/new/$t" -type f | wc -l)
	if test "$rc" -ne 0; then
		status=1
		echo "fuzz-$t: FAILED (exit $rc) after ${runs:-?} runs;" \
		    "log: $log"
		grep -E '^==[0-9]+==ERROR|^SUMMARY|Test unit written' \
		    "$log" | head -n 6 |
		    sed 's/^.*Test unit/Test unit/; s/^/  /'
		grep 'invariant failed' "$log" | head -n 1 | sed 's/^/  /'
		continue
	fi
	total=$((total + ${runs:-0}))
	echo "fuzz-$t: ${runs:-?} runs in ${seconds}s, $cov," \
	    "$found inputs in $bindir/new/$t"
	if test "$merge" = 1 && test "$found" -gt 0; then
		before=$(find "$corpus/$t" -type f | wc -l)
		# shellcheck disable=SC2046,SC2086
		if ! "$bindir/fuzz-$t" -set_cover_merge=1 -use_counters=0 \
		    $(target_opts "$t" | grep -v -- -dict=) $FUZZ_FLAGS \
		    "$corpus/$t" "$bindir/new/$t" >"$log.merge" 2>&1; then
			status=1
			echo "fuzz-$t: merge failed; log: $log.merge"
			continue
		fi
		after=$(find "$corpus/$t" -type f | wc -l)
		echo "fuzz-$t: merged $((after - before)) inputs into" \
		    "$corpus/$t"
	fi
done
echo "fuzz: $total runs in total"
exit $status
