#!/usr/bin/env bash
# t0300: the policy file and `git reftable policy check|show`.
#
# The sample policies in examples/ are valid; a malformed policy gets one
# "<file>:<line>: <what is wrong>; <what is accepted>" line per error on
# stderr and exit 1; `policy show` reports each value with where it came
# from (the file and line, Git's configuration, or the default), including
# Git's gc.<pattern>.reflogExpire entries and their first-match, one-value
# semantics, also when Git's config comes from `git config` (the field's
# case: includes and includeIf resolved by git); the policy file is
# looked up in the documented order;
# `policy keys` prints the table of keys that README.md holds; wrong usage
# exits 2.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

examples_dir=$(cd "$(dirname "$0")/../../examples" && pwd)
readme=$(cd "$(dirname "$0")/../.." && pwd)/README.md

# The lines of INI section $2 (a header line such as '[reflog]') in file
# $1, up to the next header.
section() {
	awk -v h="$2" '$0 == h { on = 1; next } /^\[/ { on = 0 } on' "$1"
}

# File $1 must hold the exact line $2.
expect_line() {
	grep -Fxq -- "$2" "$1" && return 0
	echo "--- $1:" >&2
	cat "$1" >&2
	fail "$1 lacks the line '$2'"
}

# "<key> = <value><TAB>; <source>", as `policy show` prints a setting.
setting() {
	printf '%s = %s\t; %s' "$1" "$2" "$3"
}

# Every setting line of `policy show` output $1 has a source of the form
# the contract allows: default, <file>:<line>, or git config <key>.
sources_well_formed() {
	local bad
	bad=$(grep -v '^#' "$1" | grep -v '^\[' |
		grep -Ev $'^[a-z-]+ = [^\t]+\t; (default|.+:[0-9]+|git config [^ ]+)$' ||
		true)
	test -z "$bad" || fail "setting lines with a malformed source:
$bad"
}

# The path `policy show` names on its first line ("# policy: <path>").
shown_policy() {
	sed -n '1s/^# policy: //p' "$1"
}

examples_are_valid() {
	local f n=0
	for f in "$examples_dir"/*.ini; do
		test -f "$f" || continue
		n=$((n + 1))
		git reftable policy check "$f" >check.out 2>check.err || {
			cat check.out check.err >&2
			fail "policy check $f exited non-zero"
		}
		test ! -s check.err || {
			cat check.err >&2
			fail "policy check $f printed to stderr"
		}
		head -n 1 check.out | grep -Fq -- "$f: valid" ||
			fail "policy check $f said '$(cat check.out)', not '$f: valid'"
		# Comments and keys are never indented in the examples.
		! grep -En '^[[:space:]]+[^[:space:]]' "$f" ||
			fail "$f has indented lines"
	done
	test "$n" -ge 3 || fail "only $n policies in $examples_dir, expected 3 or more"
}

malformed_policy_errors() {
	# Line numbers matter: each error must name the line it is on.
	cat >broken.ini <<-'EOF'
	; a policy with one mistake per marked line
	[compaction]
	geometric-factor = 1
	max-tables = lots
	background = true

	[reflog]
	expire = 90 fortnights
	 expire-unreachable = 30 days
	[frobnicate]
	[schedule]
	compact = sometimes
	colour = blue
	EOF
	local rc=0 line
	git reftable policy check broken.ini >check.out 2>check.err || rc=$?
	cat check.err
	test "$rc" -eq 1 || fail "policy check exited $rc, not 1"
	! grep -q 'valid' check.out || fail "policy check said: $(cat check.out)"

	# geometric-factor out of range, max-tables not a number, unknown
	# duration unit, indented key, unknown section, unknown frequency,
	# unknown key.
	for line in 3 4 8 9 10 12 13; do
		grep -Eq "^broken\.ini:$line: .+; .+" check.err ||
			fail "no 'broken.ini:$line: ...; ...' error on stderr"
	done
	grep -Eq '^broken\.ini:3: .*geometric-factor' check.err ||
		fail "the error on line 3 does not name geometric-factor"
	grep -Eq '^broken\.ini:8: .*expire' check.err ||
		fail "the error on line 8 does not name expire"
	grep -Eq '^broken\.ini:13: .*colour' check.err ||
		fail "the error on line 13 does not name colour"
	# Nothing else: every stderr line is one of the errors above.
	! grep -Ev '^broken\.ini:(3|4|8|9|10|12|13): .+; .+' check.err ||
		fail "stderr has lines that are not the expected errors"
	test "$(grep -c . check.err)" -eq 7 ||
		fail "expected 7 error lines, got $(grep -c . check.err)"
}

missing_policy_file() {
	local rc=0
	git reftable policy check nonexistent.ini >check.out 2>check.err || rc=$?
	test "$rc" -eq 1 || fail "policy check of a missing file exited $rc, not 1"
	grep -q 'nonexistent\.ini' check.err ||
		fail "the error does not name the file: $(cat check.err)"
}

issue_scenario() {
	git init -q --ref-format=reftable scenario || fail "git init failed"
	cd scenario || fail "cannot cd to scenario"
	git config gc.reflogExpire "60 days" || fail "git config failed"
	git config "gc.refs/remotes/*.reflogExpire" "7 days" ||
		fail "git config failed"
	cat >.git/reftable-policy.ini <<-'EOF'
	; this repository's policy
	[reflog]
	expire = 45 days

	[reflog "refs/tags/*"]
	protect = true
	EOF

	git reftable policy show >show.out 2>show.err || {
		cat show.out show.err >&2
		fail "policy show exited non-zero"
	}
	local path
	path=$(shown_policy show.out)
	test -n "$path" || fail "first line is not '# policy: <path>': $(head -n 1 show.out)"
	test "$path" -ef .git/reftable-policy.ini ||
		fail "policy show uses '$path', not .git/reftable-policy.ini"

	grep '^\[' show.out >headers
	cat >expect <<-'EOF'
	[compaction]
	[reflog]
	[reflog "refs/tags/*"]
	[git "refs/remotes/*"]
	[orphans]
	[schedule]
	EOF
	expect_same expect headers
	sources_well_formed show.out

	section show.out '[reflog]' >reflog
	expect_line reflog "$(setting expire '45 days' "$path:3")"
	expect_line reflog "$(setting expire-unreachable '30 days' default)"
	section show.out '[reflog "refs/tags/*"]' >rule
	expect_line rule "$(setting protect true "$path:6")"
	# 7 days is a whole week: durations print whole weeks as weeks.
	section show.out '[git "refs/remotes/*"]' >gitrule
	expect_line gitrule \
		"$(setting expire '1 week' 'git config gc.refs/remotes/*.reflogexpire')"

	# A remote-tracking ref: Git's first matching gc.<pattern> entry gives
	# both values, and the one it does not set is never.
	git reftable policy show --ref=refs/remotes/origin/main >ref.out || {
		cat ref.out >&2
		fail "policy show --ref=refs/remotes/origin/main exited non-zero"
	}
	test "$(shown_policy ref.out)" = "$path" ||
		fail "--ref output names another policy: $(head -n 1 ref.out)"
	sed -n '2,$p' ref.out >actual
	{
		echo '# ref refs/remotes/origin/main'
		setting expire '1 week' 'git config gc.refs/remotes/*.reflogexpire'
		echo
		# The entry that left it unset decides it, so it is the source.
		setting expire-unreachable never 'git config gc.refs/remotes/*.reflogexpire'
		echo
		setting max-entries 0 default
		echo
		setting protect false default
		echo
	} >expect
	expect_same expect actual

	# A branch: the file's [reflog] expire, over gc.reflogExpire.
	git reftable policy show --ref=refs/heads/main >ref.out || {
		cat ref.out >&2
		fail "policy show --ref=refs/heads/main exited non-zero"
	}
	sed -n '2,$p' ref.out >actual
	{
		echo '# ref refs/heads/main'
		setting expire '45 days' "$path:3"
		echo
		setting expire-unreachable '30 days' default
		echo
		setting max-entries 0 default
		echo
		setting protect false default
		echo
	} >expect
	expect_same expect actual
}

# Write a valid policy file $1 that names itself in a comment.
write_policy() {
	mkdir -p "$(dirname "$1")"
	printf '; %s\n[schedule]\nclean = never\n' "$1" >"$1"
}

# `policy show` and `policy check` (both without a file) must use $1.
expect_policy() {
	local path
	git reftable "${@:2}" policy show >show.out || fail "policy show failed"
	path=$(shown_policy show.out)
	test -n "$path" || fail "no '# policy: <path>' line: $(head -n 1 show.out)"
	test "$path" -ef "$1" || fail "policy show uses '$path', not '$1'"
	git reftable "${@:2}" policy check >check.out ||
		fail "policy check failed: $(cat check.out)"
	head -n 1 check.out | grep -Fq -- "$path: valid" ||
		fail "policy check said '$(cat check.out)', not '$path: valid'"
}

lookup_order() {
	git init -q --ref-format=reftable lookup || fail "git init failed"
	cd lookup || fail "cannot cd to lookup"
	export XDG_CONFIG_HOME=$TEST_TMP/xdg
	local opt=$TEST_TMP/option.ini cfg=$TEST_TMP/config.ini
	local common=.git/reftable-policy.ini
	local xdg=$XDG_CONFIG_HOME/git-reftable/policy.ini
	write_policy "$opt"
	write_policy "$cfg"
	write_policy "$common"
	write_policy "$xdg"
	git config reftable.policy "$cfg" || fail "git config failed"

	expect_policy "$opt" --policy "$opt"
	expect_policy "$cfg"
	git config --unset reftable.policy || fail "git config --unset failed"
	expect_policy "$common"
	rm "$common"
	expect_policy "$xdg"
	# Without XDG_CONFIG_HOME: $HOME/.config.
	rm "$xdg"
	unset XDG_CONFIG_HOME
	write_policy "$HOME/.config/git-reftable/policy.ini"
	expect_policy "$HOME/.config/git-reftable/policy.ini"
}

no_policy_anywhere() {
	test ! -e /etc/git-reftable/policy.ini ||
		fail "/etc/git-reftable/policy.ini exists on this machine"
	git init -q --ref-format=reftable defaults || fail "git init failed"
	cd defaults || fail "cannot cd to defaults"
	export XDG_CONFIG_HOME=$TEST_TMP/empty-xdg
	git config reftable.geometricFactor 4 || fail "git config failed"
	git config gc.reflogExpireUnreachable "2 weeks" || fail "git config failed"

	git reftable policy check >check.out || fail "policy check exited non-zero"
	grep -q 'no policy file' check.out ||
		fail "policy check said '$(cat check.out)', not 'no policy file'"

	git reftable policy show >show.out || fail "policy show exited non-zero"
	test "$(head -n 1 show.out)" = '# policy: none (built-in defaults)' ||
		fail "first line is '$(head -n 1 show.out)'"
	sources_well_formed show.out
	grep '^\[' show.out >headers
	printf '%s\n' '[compaction]' '[reflog]' '[orphans]' '[schedule]' >expect
	expect_same expect headers
	# The built-in defaults, except the two values Git's config sets.
	grep -v '^[#[]' show.out >actual
	{
		setting geometric-factor 4 'git config reftable.geometricfactor'; echo
		setting max-tables 64 default; echo
		setting tombstone-ratio 0.3 default; echo
		setting background true default; echo
		setting max-bytes-per-run 0 default; echo
		setting expire '90 days' default; echo
		setting expire-unreachable '2 weeks' 'git config gc.reflogexpireunreachable'; echo
		setting max-entries 0 default; echo
		setting grace '1 hour' default; echo
		setting stale-lock '1 hour' default; echo
		setting remove-stale-locks false default; echo
		setting compact hourly default; echo
		setting expire daily default; echo
		setting clean weekly default; echo
	} >expect
	expect_same expect actual

	# refs/stash never expires unless something configures it.
	git reftable policy show --ref=refs/stash >ref.out ||
		fail "policy show --ref=refs/stash exited non-zero"
	sources_well_formed ref.out
	grep -Eq $'^expire = never\t; ' ref.out ||
		fail "refs/stash: $(grep '^expire ' ref.out), not never"
	grep -Eq $'^expire-unreachable = never\t; ' ref.out ||
		fail "refs/stash: $(grep '^expire-unreachable ' ref.out), not never"
}

# README.md's table of keys is the one the schema prints, to the letter.
readme_keys_table() {
	git reftable policy keys >keys.out 2>keys.err ||
		fail "policy keys exited non-zero: $(cat keys.err)"
	test ! -s keys.err || fail "policy keys printed to stderr: $(cat keys.err)"
	head -n 1 keys.out | grep -q '^| section | key |' ||
		fail "policy keys does not start with the table header"
	# Every key of every section is a row.
	test "$(grep -c '^| ' keys.out)" -ge 20 ||
		fail "policy keys prints only $(grep -c '^| ' keys.out) rows"
	awk '/^## Policy$/ { on = 1 } on && /^\| section \| key \|/ { t = 1 }
		t && !/^\|/ { exit } t' "$readme" >readme.table
	test -s readme.table || fail "README.md has no table of keys under ## Policy"
	expect_same keys.out readme.table
}

wrong_usage() {
	local rc=0 args
	for args in 'frobnicate' '' 'show --bogus' 'keys --bogus'; do
		rc=0
		# shellcheck disable=SC2086
		git reftable policy $args >usage.out 2>usage.err || rc=$?
		test "$rc" -eq 2 || fail "policy $args exited $rc, not 2"
		test -s usage.err || fail "policy $args printed no usage hint"
		grep -q '^usage: ' usage.err ||
			fail "policy $args: no 'usage:' line: $(cat usage.err)"
	done
}

# The tests run with GIT_CONFIG_NOSYSTEM=1, where Git's config files are
# known and read without git. In the field Git's system file is unknown,
# and `git config --list` answers: values from an include and from an
# includeIf that only git resolves reach the policy all the same.
config_through_git() {
	git init -q --ref-format=reftable viagit || fail "git init failed"
	cd viagit || fail "cannot cd to viagit"
	export XDG_CONFIG_HOME=$TEST_TMP/empty-xdg
	printf '[gc]\n\treflogExpire = 3 days\n' >"$TEST_TMP/included"
	printf '[reftable]\n\tgeometricFactor = 5\n' >"$TEST_TMP/if-included"
	git config include.path "$TEST_TMP/included"
	git config "includeIf.gitdir:$PWD/.git.path" "$TEST_TMP/if-included"
	(
		unset GIT_CONFIG_NOSYSTEM
		git reftable policy show >show.out
	) || fail "policy show exited non-zero"
	grep -qF "$(setting expire '3 days' 'git config gc.reflogexpire')" \
		show.out || fail "no gc.reflogExpire from the include: $(cat show.out)"
	grep -qF "$(setting geometric-factor 5 'git config reftable.geometricfactor')" \
		show.out || fail "no factor from the includeIf: $(cat show.out)"
}

test_case "every examples/*.ini passes policy check" examples_are_valid
test_case "a malformed policy: exit 1, each error as <file>:<line>" \
	malformed_policy_errors
test_case "policy check of a missing file: exit 1, naming it" missing_policy_file
test_case "policy show: file over gc.reflogExpire, gc.<pattern> entries, per ref" \
	issue_scenario
test_case "lookup: --policy, reftable.policy, \$GIT_COMMON_DIR, XDG, ~/.config" \
	lookup_order
test_case "no policy file: built-in defaults and Git's config" no_policy_anywhere
test_case "Git's config read through git: include and includeIf" config_through_git
test_case "README.md's table of keys is what policy keys prints" \
	readme_keys_table
test_case "wrong usage of policy exits 2 with a usage hint" wrong_usage
