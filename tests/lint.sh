#!/bin/bash
# lint.sh: the static checks `make lint` runs (and CI, as a stage)
#
#   1. every shell script in the repository, through shellcheck
#   2. src/ through cppcheck (warning, style, performance, portability)
#   3. functions src/ must not call
#   4. src/ against the committed .clang-format
#
# Each check prints what it found; the exit status is 1 when any failed.
# Suppressions live next to what they suppress, with a comment saying why.
set -u
top=$(cd "${0%/*}/.." && pwd -P)
cd "$top" || exit 2
failed=0

step() {
	printf '=== lint: %s\n' "$1"
}

fail() {
	printf 'lint: %s\n' "$*"
	failed=1
}

# Every tracked shell script: by name, or by its #! line.
shell_scripts() {
	git ls-files | while read -r f; do
		[ -f "$f" ] || continue
		case $f in
		*.sh | .ci/run | examples/fill) echo "$f" ;;
		*.c | *.h | *.md | *.json | *.txt | *.yml | *.conf) ;;
		*) head -c 64 "$f" | grep -qE '^#!.*\b(ba)?sh\b' && echo "$f" ;;
		esac
	done
}

step shellcheck
mapfile -t scripts < <(shell_scripts)
shellcheck -x -P SCRIPTDIR "${scripts[@]}" || fail "shellcheck found problems"

step cppcheck
# variableScope: the house style declares a function's variables at its
# top (KNF), which cppcheck's style check would move into blocks.
cppcheck --quiet --error-exitcode=1 --inline-suppr --std=c11 -I src \
    -D__GNUC__ --enable=warning,style,performance,portability \
    --suppress=missingIncludeSystem --suppress=variableScope src/*.c ||
    fail "cppcheck found problems"

step "banned functions"
# Unbounded copies and formats, unchecked conversions, non-reentrant
# tokenizing, racy temporary names.
banned='strcpy|stpcpy|strcat|strncpy|strncat|sprintf|vsprintf|gets|atoi|atol|atoll|atof|strtok|tmpnam|tempnam|mktemp|alloca'
if grep -nE "\\b($banned) *\\(" src/*.c src/*.h | grep -vE ':[0-9]+:\s*(/?\*|//)'; then
	fail "banned functions in src/ (use snprintf, buf_add, parse_u64, strtok_r, mkstemp)"
fi

step format
# tplunicode.c is generated (make template-unicode).
for f in src/*.c src/*.h; do
	[ "$f" != src/tplunicode.c ] || continue
	clang-format --dry-run --Werror "$f" 2>/dev/null || {
		fail "$f is not formatted (clang-format -i $f)"
	}
done

[ "$failed" = 0 ] && echo "=== lint: passed"
exit "$failed"
