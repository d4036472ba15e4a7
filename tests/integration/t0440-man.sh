#!/usr/bin/env bash
# t0440: the man page doc/git-reftable.1.
#
# groff formats it without a single warning (-ww); every command that
# `git reftable help` lists has its section, and every option of every
# command's usage line is described (so a command or option added without
# documentation fails here); `make install` with DESTDIR and PREFIX puts
# program, page and example policies in place, after which Git's own `git reftable --help`
# shows the page; `make uninstall` takes both away again.
. "$(dirname "$0")/../lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
PAGE=$SRC/doc/git-reftable.1
# This test may itself run under make: do not talk to its jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL

commands() {
	git reftable help | sed -n '/^Commands:$/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p'
}

test_groff() {
	groff -man -Tutf8 -ww -z "$PAGE" 2>err || fail "groff failed: $(cat err)"
	[ ! -s err ] || fail "groff warns: $(cat err)"
	# The sections a man page is expected to have.
	for s in NAME SYNOPSIS DESCRIPTION "GLOBAL OPTIONS" COMMANDS "EXIT STATUS" \
		POLICY FILES ENVIRONMENT EXAMPLES "SEE ALSO"; do
		grep -q "^\.SH \"\?$s\"\?$" "$PAGE" || fail "no $s section"
	done
}

test_every_command() {
	local c opt n=0
	for c in $(commands); do
		n=$((n + 1))
		grep -q "^\.SS \"\?$c\b" "$PAGE" || fail "no section for '$c'"
		grep -q "^\.B $c\b" "$PAGE" || fail "'$c' missing from the synopsis"
		# Each --option of the usage line, written \-\-option in roff.
		for opt in $(git reftable help "$c" | head -n 1 | grep -o -- '--[a-z][a-z-]*'); do
			grep -qF -- "$(printf '%s' "$opt" | sed 's/-/\\-/g')" "$PAGE" ||
				fail "'$c $opt' is not in the man page"
		done
	done
	[ "$n" -ge 8 ] || fail "only $n commands listed"
	# The files and variables the brief promises to document.
	for f in 'reftable\-maintenance.state' 'reftable\-run.lock' \
		'reftable\-maintenance.log' 'reftable\-hook.log' \
		GIT_DIR GIT_COMMON_DIR GIT_REFERENCE_BACKEND; do
		grep -qF -- "$f" "$PAGE" || fail "'$f' not documented"
	done
}

test_install() {
	local stage=$TEST_TMP/stage rc
	make -C "$SRC" --no-print-directory BUILD="$RT_BUILD" \
		DESTDIR="$stage" PREFIX=/usr install >make.out 2>&1 ||
		fail "make install failed: $(cat make.out)"
	[ -x "$stage/usr/bin/git-reftable" ] || fail "program not installed"
	[ "$(stat -c %a "$stage/usr/share/man/man1/git-reftable.1")" = 644 ] ||
		fail "man page not installed with mode 644"
	cmp -s "$PAGE" "$stage/usr/share/man/man1/git-reftable.1" ||
		fail "installed page differs"
	# The example policies, as documentation.
	local ex n=0
	for ex in "$SRC"/examples/*.ini; do
		n=$((n + 1))
		cmp -s "$ex" "$stage/usr/share/doc/git-reftable/examples/${ex##*/}" ||
			fail "example ${ex##*/} not installed"
	done
	[ "$n" -ge 3 ] || fail "only $n example policies"

	# Git turns `git reftable --help` into `git help reftable`: man.
	git init -q --ref-format=reftable repo
	(
		cd repo
		export PATH="$stage/usr/bin:$PATH" MANPATH="$stage/usr/share/man" \
			MANPAGER=cat PAGER=cat MANWIDTH=80
		git reftable --help >../help.out 2>../help.err ||
			fail "git reftable --help failed: $(cat ../help.err)"
	)
	grep -q '^GIT-REFTABLE(1)' help.out || fail "not the man page: $(head help.out)"
	grep -q 'git reftable verify \[--json\]' help.out || fail "synopsis missing"

	make -C "$SRC" --no-print-directory BUILD="$RT_BUILD" \
		DESTDIR="$stage" PREFIX=/usr uninstall >make.out 2>&1 ||
		fail "make uninstall failed: $(cat make.out)"
	[ ! -e "$stage/usr/bin/git-reftable" ] || fail "program left behind"
	[ ! -e "$stage/usr/share/man/man1/git-reftable.1" ] || fail "page left behind"
	[ ! -e "$stage/usr/share/doc/git-reftable" ] || fail "examples left behind"
	# Without the page, Git's --help fails: the check above was real.
	rc=0
	(cd repo && PATH="$RT_BUILD:$PATH" MANPATH="$stage/usr/share/man" \
		MANPAGER=cat PAGER=cat git reftable --help) >/dev/null 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || fail "git reftable --help works without the page"
}

test_case "groff formats the page without warnings" test_groff
test_case "every command and option of 'git reftable help' is documented" test_every_command
test_case "make install/uninstall with DESTDIR, PREFIX; git reftable --help" test_install
