#!/usr/bin/env bash
# t0430: the command-line contract, for every command.
#
# The commands are read from `git reftable help`, so a command added to
# the table is covered without touching this test. For each: `--help` and
# `-h` exit 0 and print its usage line on stdout; `help <command>` prints
# the same; an unknown option exits 2 with a short hint on stderr (an
# `error:` line and a `usage:` line) and nothing on stdout. Also: no
# command, an unknown command and an unknown global option exit 2;
# `version` and `--version` print the version.
. "$(dirname "$0")/../lib.sh"

# Run in a reftable repository with data: a command that wrongly ran
# instead of refusing its options would show in its exit status.
setup_repo() {
	[ -d repo ] || {
		git init -q --ref-format=reftable repo
		git -C repo commit -q --allow-empty -m one
	}
	cd repo
}

commands() {
	git reftable help | sed -n '/^Commands:$/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p'
}

test_enumerate() {
	setup_repo
	commands >"$TEST_TMP/commands"
	cat "$TEST_TMP/commands"
	# Those DESIGN.md promises on every branch at least.
	for c in stats verify dump compact clean policy version help; do
		grep -qx "$c" "$TEST_TMP/commands" || fail "'$c' missing from help"
	done
}

test_help() {
	local c opt rc
	setup_repo
	for c in $(commands); do
		for opt in --help -h; do
			rc=0
			git reftable "$c" "$opt" >out 2>err || rc=$?
			[ "$rc" -eq 0 ] || fail "'$c $opt' exited $rc"
			head -n 1 out | grep -q "^usage: git reftable $c\b" ||
				fail "'$c $opt' printed no usage line: $(head -n 1 out)"
			[ "$(wc -l <out)" -gt 1 ] || fail "'$c $opt' says nothing more"
			[ ! -s err ] || fail "'$c $opt' wrote to stderr: $(cat err)"
		done
		git reftable help "$c" >via-help || fail "'help $c' failed"
		expect_same out via-help
	done
	# Git's own `git reftable --help` is about the man page (see t0440);
	# these are ours.
	for opt in --help -h; do
		git-reftable "$opt" >out || fail "git-reftable $opt failed"
		grep -q '^usage: git reftable ' out || fail "no usage from $opt"
	done
}

test_unknown_option() {
	local c rc
	setup_repo
	git reftable stats >before.stats
	for c in $(commands); do
		rc=0
		git reftable "$c" --no-such-option >out 2>err || rc=$?
		[ "$rc" -eq 2 ] || fail "'$c --no-such-option' exited $rc, not 2"
		[ ! -s out ] || fail "'$c --no-such-option' printed: $(cat out)"
		[ "$(wc -l <err)" -le 2 ] ||
			fail "'$c --no-such-option': hint longer than a line: $(cat err)"
		grep -q "^usage: git reftable $c\b" err ||
			fail "'$c --no-such-option': no usage hint: $(cat err)"
		grep -q '^error: ' err || fail "'$c --no-such-option': no error line"
	done
	# Nothing ran.
	git reftable stats >after.stats
	expect_same before.stats after.stats
}

test_no_or_unknown_command() {
	local rc=0
	setup_repo
	git reftable >out 2>err || rc=$?
	[ "$rc" -eq 2 ] || fail "no command: exit $rc"
	grep -q '^usage: git reftable ' err || fail "no command: no usage"
	[ ! -s out ] || fail "no command: wrote to stdout"
	rc=0
	git reftable frobnicate >out 2>err || rc=$?
	[ "$rc" -eq 2 ] || fail "unknown command: exit $rc"
	[ "$(wc -l <err)" -eq 1 ] || fail "unknown command: $(cat err)"
	grep -q "'frobnicate' is not a git reftable command" err || fail "unclear: $(cat err)"
	rc=0
	git reftable --frobnicate stats >out 2>err || rc=$?
	[ "$rc" -eq 2 ] || fail "unknown global option: exit $rc"
	[ "$(wc -l <err)" -le 2 ] && grep -q '^usage: git reftable ' err ||
		fail "unknown global option: $(cat err)"
	rc=0
	git reftable -C >out 2>err || rc=$?
	[ "$rc" -eq 2 ] || fail "-C without a path: exit $rc"
	rc=0
	git reftable help frobnicate >out 2>err || rc=$?
	[ "$rc" -eq 2 ] || fail "help for an unknown command: exit $rc"
}

test_version() {
	local v
	setup_repo
	v=$(git reftable version) || fail "version failed"
	echo "$v" | grep -Eqx 'git-reftable version [0-9]+\.[0-9]+\.[0-9]+.*' ||
		fail "odd version: $v"
	[ "$(git-reftable --version)" = "$v" ] || fail "--version differs"
	# Outside any repository too.
	mkdir -p "$TEST_TMP/norepo"
	[ "$(cd "$TEST_TMP/norepo" && git-reftable version)" = "$v" ] ||
		fail "version needs a repository"
}

test_case "commands are listed by 'git reftable help'" test_enumerate
test_case "every command: --help and -h exit 0 with a usage line" test_help
test_case "every command: an unknown option exits 2 with a short hint" test_unknown_option
test_case "no command, unknown command, unknown global option: exit 2" test_no_or_unknown_command
test_case "version and --version print the version" test_version
