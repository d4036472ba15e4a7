#!/usr/bin/env bash
# t0420: finding the repository and its stacks exactly where Git does.
#
# Each case compares our view with Git's under the same directory and
# environment: `dump refs` against `git for-each-ref`, and the stack
# directories `stats --json` reports against where Git writes its tables.
# Cases: a bare repository; a linked worktree (its own stack is listed,
# compacted by `compact --all`, and Git still reads it); extensions.refStorage
# = reftable://<path> with a relative and an absolute path, including a
# linked worktree (Git 2.55 puts its stack at <path>/worktrees/<id>/reftable
# and resolves a relative path against the common dir, not the worktree's
# $GIT_DIR); GIT_REFERENCE_BACKEND overriding the config; -C, GIT_DIR
# (relative and absolute), GIT_COMMON_DIR; a files repository and invalid
# storage values (exit 1, as Git refuses them).
. "$(dirname "$0")/../lib.sh"

export GIT_TEST_REFTABLE_AUTOCOMPACTION=false

# Refs under refs/heads and refs/tags, ours and Git's, must be the same.
same_refs() {
	git reftable dump refs >"$TEST_TMP/ours" || fail "dump refs failed"
	grep ' refs/\(heads\|tags\)/' "$TEST_TMP/ours" >"$TEST_TMP/ours.ht" || :
	git for-each-ref --format='%(objectname) %(refname)' refs/heads refs/tags \
		>"$TEST_TMP/theirs" || fail "for-each-ref failed"
	[ -s "$TEST_TMP/theirs" ] || fail "Git sees no refs"
	expect_same "$TEST_TMP/theirs" "$TEST_TMP/ours.ht"
}

# "<name> <path>" of every stack we find, one per line.
stacks() {
	git reftable stats --json | jq -r '.stacks[] | "\(.name) \(.path)"'
}

# The stacks must be exactly $@ (pairs of name and path), in that order.
expect_stacks() {
	local want=
	while [ $# -gt 0 ]; do
		want+="$1 $(realpath -m "$2")"$'\n'
		shift 2
	done
	printf '%s' "$want" >"$TEST_TMP/stacks.want"
	stacks >"$TEST_TMP/stacks.got" || fail "stats --json failed"
	expect_same "$TEST_TMP/stacks.want" "$TEST_TMP/stacks.got"
}

# A few commits, branches and tags in the repository at $1.
populate() {
	git -C "$1" config maintenance.auto false
	git -C "$1" commit -q --allow-empty -m one
	git -C "$1" branch topic
	git -C "$1" tag -a -m v1 v1
	git -C "$1" commit -q --allow-empty -m two
	git -C "$1" tag light
}

ntables() {
	wc -l <"$1/tables.list"
}

test_bare() {
	git init -q --ref-format=reftable src
	populate src
	git clone -q --bare --ref-format=reftable src bare.git
	git -C bare.git config maintenance.auto false
	git -C bare.git branch extra main
	git -C bare.git branch extra2 main
	(cd bare.git && same_refs && expect_stacks main "$PWD/reftable")
	# From a directory inside the bare repository, and with -C.
	(cd bare.git/refs && expect_stacks main ../reftable)
	if expect_stacks main bare.git/reftable 2>/dev/null; then
		fail "found a repository outside of one"
	fi
	git reftable -C bare.git compact --all >/dev/null
	[ "$(ntables bare.git/reftable)" -eq 1 ] || fail "not compacted"
	(cd bare.git && same_refs)
	git -C bare.git refs verify
}

test_worktree() {
	git init -q --ref-format=reftable main
	populate main
	git -C main worktree add -q ../wt topic
	# Worktree refs (its HEAD, refs/worktree/*) go to its own stack.
	for i in 1 2 3; do
		git -C wt commit -q --allow-empty -m "wt $i"
		git -C wt update-ref refs/worktree/mark$i HEAD
	done
	[ "$(ntables main/.git/worktrees/wt/reftable)" -gt 3 ] ||
		fail "expected several worktree tables"
	git -C wt rev-parse HEAD refs/worktree/mark2 >before
	(cd main && expect_stacks main .git/reftable wt .git/worktrees/wt/reftable)
	# The same stacks from inside the linked worktree.
	(cd wt && expect_stacks main ../main/.git/reftable \
		wt ../main/.git/worktrees/wt/reftable && same_refs)
	(cd main && git reftable compact --all >/dev/null)
	[ "$(ntables main/.git/worktrees/wt/reftable)" -eq 1 ] ||
		fail "worktree stack not compacted"
	[ "$(ntables main/.git/reftable)" -eq 1 ] || fail "main stack not compacted"
	git -C wt rev-parse HEAD refs/worktree/mark2 >after
	expect_same before after
	(cd wt && same_refs)
	git -C wt refs verify
}

# extensions.refStorage = reftable://$1, made by git init (the directory
# must exist beforehand, Git does not create it).
test_alternate_dir() {
	local payload=$1 repo=$2 dir
	case $payload in
	/*) dir=$payload ;;
	*) dir=$TEST_TMP/$repo/.git/$payload ;;
	esac
	mkdir -p "$dir"
	GIT_REFERENCE_BACKEND="reftable://$payload" git init -q "$repo"
	[ "$(git -C "$repo" config extensions.refStorage)" = "reftable://$payload" ] ||
		fail "Git did not record the storage"
	populate "$repo"
	[ ! -e "$repo/.git/reftable" ] || fail "Git wrote to .git/reftable"
	[ "$(ntables "$dir/reftable")" -gt 3 ] || fail "no tables in $dir"
	(cd "$repo" && same_refs && expect_stacks main "$dir/reftable")

	git -C "$repo" worktree add -q ../"$repo-wt" topic
	git -C "$repo-wt" commit -q --allow-empty -m "in wt"
	git -C "$repo-wt" update-ref refs/worktree/x HEAD
	[ -f "$dir/worktrees/$repo-wt/reftable/tables.list" ] ||
		fail "Git keeps the worktree stack elsewhere"
	(cd "$repo-wt" && same_refs &&
		expect_stacks main "$dir/reftable" \
			"$repo-wt" "$dir/worktrees/$repo-wt/reftable")
	git -C "$repo-wt" rev-parse HEAD refs/worktree/x >before
	(cd "$repo-wt" && git reftable compact --all >/dev/null)
	[ "$(ntables "$dir/reftable")" -eq 1 ] || fail "main stack not compacted"
	[ "$(ntables "$dir/worktrees/$repo-wt/reftable")" -eq 1 ] ||
		fail "worktree stack not compacted"
	git -C "$repo-wt" rev-parse HEAD refs/worktree/x >after
	expect_same before after
	(cd "$repo" && same_refs && git reftable verify >/dev/null)
	git -C "$repo" refs verify

	# Git leaves <path>/worktrees/<id> behind on removal; it is no stack.
	git -C "$repo" worktree remove "../$repo-wt"
	[ -d "$dir/worktrees/$repo-wt/reftable" ] || fail "Git removed it after all"
	(cd "$repo" && expect_stacks main "$dir/reftable")
}

test_relative() {
	test_alternate_dir refstore rel
}

test_absolute() {
	test_alternate_dir "$TEST_TMP/elsewhere/refs" abs
}

test_env() {
	git init -q --ref-format=reftable plain
	populate plain
	# A second stack elsewhere that only the environment names.
	mkdir -p alt
	GIT_REFERENCE_BACKEND="reftable://$TEST_TMP/alt" git init -q other
	populate other
	git -C other branch only-in-alt
	(
		cd plain
		export GIT_REFERENCE_BACKEND="reftable://$TEST_TMP/alt"
		same_refs
		grep -q ' refs/heads/only-in-alt$' "$TEST_TMP/ours" ||
			fail "did not read the stack the environment names"
		expect_stacks main "$TEST_TMP/alt/reftable"
		# Relative to plain/.git, as Git resolves it.
		export GIT_REFERENCE_BACKEND="reftable://../../alt"
		same_refs
		expect_stacks main "$TEST_TMP/alt/reftable"
	)
	# "files" in the environment wins over the config's reftable.
	rc=0
	(cd plain && GIT_REFERENCE_BACKEND=files git rev-parse --show-ref-format) >fmt
	[ "$(cat fmt)" = files ] || fail "Git does not agree"
	(cd plain && GIT_REFERENCE_BACKEND=files git reftable stats) 2>err || rc=$?
	[ "$rc" -eq 1 ] && grep -q 'does not use the reftable ref backend' err ||
		fail "files from the environment not honoured ($rc)"
	# Values Git refuses, we refuse too.
	for v in "" bogus REFTABLE "Reftable://x"; do
		rc=0
		(cd plain && GIT_REFERENCE_BACKEND=$v git rev-parse 2>/dev/null) && fail "Git accepts '$v'"
		(cd plain && GIT_REFERENCE_BACKEND=$v git reftable stats) >/dev/null 2>err || rc=$?
		[ "$rc" -eq 1 ] || fail "exit $rc for GIT_REFERENCE_BACKEND='$v'"
		grep -q "unknown ref storage format" err || fail "unclear: $(cat err)"
	done
}

test_git_dir() {
	git init -q --ref-format=reftable top
	populate top
	git -C top worktree add -q ../tw topic
	git -C tw commit -q --allow-empty -m wt
	mkdir outside
	(cd outside && GIT_DIR=../top/.git same_refs)
	(cd outside && GIT_DIR=../top/.git expect_stacks main ../top/.git/reftable \
		tw ../top/.git/worktrees/tw/reftable)
	(cd outside && GIT_DIR=$TEST_TMP/top/.git same_refs)
	# -C first, then a relative GIT_DIR from there (as Git does).
	(cd / && GIT_DIR=.git git -C "$TEST_TMP/top" reftable dump refs) >c.out
	(cd top && git reftable dump refs) >plain.out
	expect_same plain.out c.out
	git reftable -C top/sub dump refs 2>/dev/null && fail "-C to a missing dir worked"
	mkdir top/sub
	git reftable -C top/sub dump refs >sub.out
	expect_same plain.out sub.out
	# A linked worktree named by GIT_DIR and GIT_COMMON_DIR.
	(
		cd outside
		export GIT_DIR=$TEST_TMP/top/.git/worktrees/tw GIT_COMMON_DIR=$TEST_TMP/top/.git
		same_refs
		expect_stacks main ../top/.git/reftable tw ../top/.git/worktrees/tw/reftable
	)
}

# GIT_COMMON_DIR naming another repository: Git's ref backend still
# reads the stack of $GIT_DIR (it ignores GIT_COMMON_DIR); so do we.
test_common_dir_mismatch() {
	for r in A B; do
		git init -q --ref-format=reftable $r
		populate $r
		git -C $r branch only-$r
	done
	(
		export GIT_DIR=$TEST_TMP/A/.git GIT_COMMON_DIR=$TEST_TMP/B/.git
		git for-each-ref --format='%(refname)' | grep -q only-A ||
			fail "Git changed: it reads B's refs"
		same_refs
		expect_stacks main "$TEST_TMP/A/.git/reftable"
	)
}

test_files_and_invalid() {
	local cmd rc
	git init -q --ref-format=files f
	populate f
	for cmd in stats verify "dump refs" "dump logs" compact clean; do
		rc=0
		(cd f && git reftable $cmd) >out 2>err || rc=$?
		[ "$rc" -eq 1 ] || fail "'$cmd' exited $rc in a files repository"
		grep -q "does not use the reftable ref backend" err ||
			fail "'$cmd' did not say so: $(cat err)"
		[ ! -s out ] || fail "'$cmd' printed a report"
	done
	[ ! -e f/.git/reftable ] || fail "something created a reftable directory"

	mkdir nowhere
	rc=0
	(cd nowhere && git reftable stats) 2>err || rc=$?
	[ "$rc" -eq 1 ] && grep -q "not a git repository" err || fail "outside a repository: $rc"

	git init -q --ref-format=reftable bad
	populate bad
	sed -i 's/refstorage = reftable/refstorage = Reftable/' bad/.git/config
	! git -C bad rev-parse HEAD 2>/dev/null || fail "Git accepts Reftable"
	# Git itself stops before running `git reftable`: call us directly.
	rc=0
	git-reftable -C bad stats 2>err || rc=$?
	[ "$rc" -eq 1 ] && grep -q "unknown ref storage format 'Reftable'" err ||
		fail "accepted 'Reftable': $rc $(cat err)"
	sed -i 's/Reftable/reftable/; s/repositoryformatversion = 1/repositoryformatversion = 0/' \
		bad/.git/config
	! git -C bad rev-parse HEAD 2>/dev/null || fail "Git accepts version 0"
	rc=0
	git-reftable -C bad stats 2>err || rc=$?
	[ "$rc" -eq 1 ] && grep -q "repositoryFormatVersion" err ||
		fail "accepted version 0: $rc $(cat err)"
}

test_case "bare repository: found from inside and with -C; compacted" test_bare
test_case "linked worktree: its stack listed and compacted, from either side" test_worktree
test_case "extensions.refStorage = reftable://<relative path>" test_relative
test_case "extensions.refStorage = reftable://<absolute path>" test_absolute
test_case "GIT_REFERENCE_BACKEND overrides the config, as for Git" test_env
test_case "-C, GIT_DIR (relative, absolute), GIT_COMMON_DIR" test_git_dir
test_case "GIT_COMMON_DIR naming another repository: refs of GIT_DIR" test_common_dir_mismatch
test_case "files repository and invalid storage: said plainly, exit 1" test_files_and_invalid
