#!/bin/bash
# run.sh: the one command that builds deployer and runs every test
#
#   tests/run.sh                                  from any directory
#   CONFIGURE_ARGS="--enable-sanitizers" tests/run.sh
#
# Installs missing packages (tests/setup.sh; root needed only then),
# regenerates the build system, configures, builds from clean and runs
# `make check` (unit and integration tests, in parallel).  The build is in
# the source tree.  The exit status is make check's; on failure the logs of
# the failed tests are printed.
#
# CONFIGURE_ARGS  extra ./configure arguments (split on spaces)
# JOBS            make -j value (default 2)
set -eu

top=$(cd "${0%/*}/.." && pwd -P)
cd "$top"
jobs=${JOBS:-2}
read -ra configure_args <<<"${CONFIGURE_ARGS-}"

step() {
	printf '\n=== %s\n' "$*"
}

step "packages"
tests/setup.sh

step "autoreconf -fi"
autoreconf -fi

step "./configure ${configure_args[*]}"
./configure "${configure_args[@]}"

# Objects left by a build with other flags (a sanitizer build, say) would
# be linked as they are: make does not rebuild on changed CFLAGS.
step "make clean"
make clean >/dev/null

step "make -j$jobs"
make -j"$jobs"

step "make -j$jobs check"
status=0
make -j"$jobs" check || status=$?

if [ "$status" != 0 ]; then
	failed=$(find . -name '*.trs' -exec \
	    grep -lE '^:global-test-result: (FAIL|ERROR|XPASS)' {} + 2>/dev/null |
	    sort) || true
	if [ -z "$failed" ]; then
		echo "make check failed (status $status) before any test failed"
	fi
	for trs in $failed; do
		log=${trs%.trs}.log
		step "FAILED: ${log#./}"
		cat "$log"
	done
	step "make check: failed (status $status)"
else
	step "make check: passed"
fi
exit "$status"
