#!/bin/sh
# run-fuzz.sh: runs the libFuzzer targets built by `make fuzz`
# SPDX-License-Identifier: MIT
#
# Usage: run-fuzz.sh TARGET...   (make fuzz sets everything below)
#
#   FUZZ_BINDIR   where fuzz-TARGET is (tests/fuzz/bin); scratch goes
#                 there too: new/TARGET (inputs found in this run),
#                 crashes/TARGET- (artifacts), logs/TARGET.log
#   FUZZ_CORPUS   the repository's corpus root (tests/fuzz/corpus); it is
#                 only read, unless FUZZ_MERGE=1
#   FUZZ_DICTS    dictionaries, TARGET.dict (optional)
#   FUZZ_SECONDS  time per target (60)
#   FUZZ_JOBS     targets run at once (1)
#   FUZZ_MERGE    1: afterwards merge the new inputs that add coverage
#                 into the repository's corpus (-merge=1 keeps a minimal
#                 set of them)
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

case $seconds in ''|*[!0-9]*) echo "FUZZ_SECONDS: not a number" >&2; exit 2;; esac
case $jobs in ''|*[!0-9]*|0) echo "FUZZ_JOBS: not a positive number" >&2; exit 2;; esac
test $# -gt 0 || { echo "usage: $0 TARGET..." >&2; exit 2; }

mkdir -p "$bindir/logs" "$bindir/crashes" || exit 1
abs_bindir=$(cd "$bindir" && pwd) || exit 1

run_one() {
	t=$1
	bin=$bindir/fuzz-$t
	new=$bindir/new/$t
	log=$bindir/logs/$t.log
	mkdir -p "$new" "$bindir/crashes" || return 1
	set -- -max_total_time="$seconds" -print_final_stats=1 \
	    -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix="$abs_bindir/crashes/$t-"
	test -f "$dicts/$t.dict" && set -- "$@" -dict="$dicts/$t.dict"
	# The request target logs every refusal to stderr, as the program
	# does; libFuzzer keeps its own output (and crash reports) anyway.
	test "$t" = request && set -- "$@" -close_fd_mask=3
	# shellcheck disable=SC2086
	"$bin" "$@" $FUZZ_FLAGS "$new" "$corpus/$t" >"$log" 2>&1
	echo $? >"$log.rc"
}

# Runs the targets, FUZZ_JOBS at a time.
running=0
for t in "$@"; do
	if test ! -x "$bindir/fuzz-$t"; then
		echo "fuzz-$t: not built (make fuzz-build)" >&2
		exit 2
	fi
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
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 |
	    sed -n 's/.*\(cov: [0-9]*\).*\(ft: [0-9]*\).*\(corp: [0-9]*\).*/\1 \2 \3/p')
	found=$(find "$bindir/new/$t" -type f | wc -l)
	if test "$rc" -ne 0; then
		status=1
		echo "fuzz-$t: FAILED (exit $rc) after ${runs:-?} runs; log: $log"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written|.*invariant failed)' "$log" | head -n 8 | sed 's/^/  /'
		continue
	fi
	total=$((total + ${runs:-0}))
	echo "fuzz-$t: ${runs:-?} runs in ${seconds}s, $cov, $found new inputs"
	if test "$merge" = 1 && test "$found" -gt 0; then
		before=$(find "$corpus/$t" -type f | wc -l)
		"$bindir/fuzz-$t" -merge=1 $FUZZ_FLAGS "$corpus/$t" "$bindir/new/$t" \
		    >"$log.merge" 2>&1 || { status=1; echo "fuzz-$t: merge failed; log: $log.merge"; continue; }
		after=$(find "$corpus/$t" -type f | wc -l)
		echo "fuzz-$t: merged $((after - before)) inputs into $corpus/$t"
	fi
done
echo "fuzz: $total runs in total"
exit $status
