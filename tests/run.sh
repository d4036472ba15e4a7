#!/usr/bin/env bash
# Run unit test binaries (cmocka) and integration scripts, and print one
# summary line: "check: N passed, N failed".
#
# Unit binaries report in TAP (CMOCKA_MESSAGE_OUTPUT=tap); each "ok" or
# "not ok" line is one test. A binary that exits non-zero without reporting
# a failure (a crash, a sanitizer abort) counts as one failed test.
# Integration scripts report through tests/lib.sh in the same TAP form.
set -u
passed=0
failed=0
failures=()

run_one() {
	local name=$1
	shift
	local out rc ok notok
	out=$("$@" 2>&1)
	rc=$?
	ok=$(grep -c '^ok ' <<<"$out")
	notok=$(grep -c '^not ok ' <<<"$out")
	if [ "$rc" -ne 0 ] && [ "$notok" -eq 0 ]; then
		notok=1
		out+=$'\n'"not ok - $name exited with status $rc"
	fi
	passed=$((passed + ok))
	failed=$((failed + notok))
	if [ "$notok" -gt 0 ]; then
		failures+=("$name")
		printf '%s\n' "$out" | sed "s|^|$name: |"
	elif [ -n "${RT_VERBOSE:-}" ]; then
		printf '%s\n' "$out" | sed "s|^|$name: |"
	fi
	printf '%-40s %d passed, %d failed\n' "$name" "$ok" "$notok"
}

for t in "$@"; do
	case $t in
	*.sh) run_one "$(basename "$t" .sh)" bash "$t" ;;
	*) CMOCKA_MESSAGE_OUTPUT=tap run_one "$(basename "$t")" "$t" ;;
	esac
done

if [ "${#failures[@]}" -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "check: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
