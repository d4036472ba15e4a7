#!/usr/bin/env bash
# The test environment itself: the Git we drive is the one make check chose,
# it is new enough for reftable and behaves as the other tests assume, and
# our binary is reachable.
# shellcheck source=tests/lib.sh
source "$(dirname "$0")/../lib.sh"

table_name_re='^0x[0-9a-f]{12}-0x[0-9a-f]{12}-[0-9a-f]{8}\.ref$'

provided_git_is_used() {
	local found version major minor
	found=$(command -v git) || fail "no git on PATH"
	test "$found" = "$TEST_TMP/bin/git" ||
		fail "git on PATH is $found, not $TEST_TMP/bin/git"
	test -L "$found" || fail "$found is not the symlink lib.sh made"
	test "$(readlink "$found")" = "$RT_TEST_GIT" ||
		fail "$found points to $(readlink "$found"), not $RT_TEST_GIT"

	version=$(git version) || fail "git version failed"
	test "$version" = "$("$RT_TEST_GIT" version)" ||
		fail "git version says '$version', RT_TEST_GIT says otherwise"

	major=$(printf '%s\n' "$version" |
		sed -n 's/^git version \([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1/p')
	minor=$(printf '%s\n' "$version" |
		sed -n 's/^git version \([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\2/p')
	test -n "$major" || fail "cannot parse '$version'"
	test "$major" -gt 2 || { test "$major" -eq 2 && test "$minor" -ge 45; } ||
		fail "'$version' is older than 2.45"
}

reftable_repo_works() {
	git init -q --ref-format=reftable repo || fail "git init failed"
	cd repo || fail "no repo directory"

	test "$(git rev-parse --show-ref-format)" = reftable ||
		fail "ref format is not reftable"
	test -f .git/reftable/tables.list || fail "no .git/reftable/tables.list"

	git commit -q --allow-empty -m first || fail "git commit failed"
	git branch topic || fail "git branch failed"

	test -s .git/reftable/tables.list || fail "tables.list is empty"
	local name
	while IFS= read -r name; do
		printf '%s\n' "$name" | grep -Eq "$table_name_re" ||
			fail "tables.list names '$name'"
		test -f ".git/reftable/$name" || fail "listed table $name is missing"
	done <.git/reftable/tables.list

	git for-each-ref --format='%(refname)' >actual ||
		fail "git for-each-ref failed"
	printf '%s\n' refs/heads/main refs/heads/topic >expect
	expect_same expect actual

	git refs verify >verify.out 2>&1 || {
		cat verify.out >&2
		fail "git refs verify exited non-zero"
	}
	test ! -s verify.out || {
		cat verify.out >&2
		fail "git refs verify printed something"
	}
}

binary_answers_help() {
	# The dashed form: `git reftable --help` is turned by Git itself into
	# `git help reftable`, which looks for a manual page.
	command -v git-reftable >/dev/null || fail "git-reftable not on PATH"
	test -x "$RT_BUILD/git-reftable" ||
		fail "$RT_BUILD/git-reftable is not built"
	git-reftable --help >help.out 2>&1 || {
		cat help.out >&2
		fail "git-reftable --help exited non-zero"
	}
	test -s help.out || fail "git-reftable --help printed nothing"
}

test_case "the provided Git >= 2.45 is the git on PATH" provided_git_is_used
test_case "git init --ref-format=reftable makes a sound reftable repo" \
	reftable_repo_works
test_case "git-reftable --help exits 0" binary_answers_help
