#!/usr/bin/env bash
# t0120: the tables we write are laid out as Git lays them out, where
# Git's own tests look (t0613: each block's length and restart count).
#
# Git builds a stack (auto-compaction off) of refs, tags, reflogs and a
# deletion; a copy is compacted by `git pack-refs`, the other by our
# `compact --all`, under the same reftable.blockSize, restartInterval and
# indexObjects. The two tables must list the same blocks with the same
# restart points (rt-dump-blocks prints them as Git's
# `test-tool dump-reftable -b` does). Without reflogs nothing is deflated
# and the tables must be the same bytes; log blocks differ only in their
# zlib level. Our side runs with --no-reuse: copied blocks keep their
# source's boundaries, and t0130 checks those tables.
. "$(dirname "$0")/../lib.sh"

export GIT_TEST_REFTABLE_AUTOCOMPACTION=false
DUMP=$RT_BUILD/tests/rt-dump-blocks

# A stack in <dir> from several Git writes: <n> branches, annotated tags,
# commits, <n> remote-tracking refs, a deleted branch; reflogs unless
# NOLOG is set. Then `git config` for each <key>=<value>.
git_stack() { # <dir> <object format> <n> [<key>=<value>...]
	local dir=$1 format=$2 n=$3 i c
	shift 3
	git init -q --ref-format=reftable --object-format="$format" \
		--initial-branch=master "$dir"
	cd "$dir"
	# No detached `maintenance run --auto` compacting behind our back.
	git config maintenance.auto false
	[ -z "${NOLOG:-}" ] || git config core.logAllRefUpdates false
	git commit -q --allow-empty -m initial
	git tag initial
	seq -f "update refs/heads/branch-%g HEAD" "$n" | git update-ref --stdin
	for i in 1 2 3; do
		git tag -a -m "t$i" "t$i"
		git commit -q --allow-empty -m "c$i"
		git branch "x$i"
	done
	seq -f "update refs/remotes/origin/r%g HEAD~2" "$n" | git update-ref --stdin
	git update-ref -d refs/heads/branch-7
	for c in "$@"; do git config "${c%%=*}" "${c#*=}"; done
	[ "$(wc -l <.git/reftable/tables.list)" -gt 5 ] || fail "test setup: stack too short: $(cat .git/reftable/tables.list)"
}

# The only table of the stack in <dir>.
only_table() {
	[ "$(wc -l <"$1/.git/reftable/tables.list")" -eq 1 ] ||
		fail "$1: more than one table after compaction"
	echo "$1/.git/reftable/$(cat "$1/.git/reftable/tables.list")"
}

# Compact copies of the stack in $PWD with Git and with us; compare the
# block layouts, and the bytes when <bytes> is "same-bytes".
compare_with_git() { # <name> [same-bytes]
	local here=$PWD ours theirs
	cp -a "$here" "$TEST_TMP/$1.git"
	cp -a "$here" "$TEST_TMP/$1.ours"
	git -C "$TEST_TMP/$1.git" pack-refs
	# The encoder's layout: no source block copied as it is (t0130).
	(cd "$TEST_TMP/$1.ours" && git reftable compact --all --no-reuse \
		>/dev/null) || fail "$1: compact --all --no-reuse failed"
	theirs=$(only_table "$TEST_TMP/$1.git")
	ours=$(only_table "$TEST_TMP/$1.ours")
	"$DUMP" "$theirs" >"$TEST_TMP/$1.git.blocks"
	"$DUMP" "$ours" >"$TEST_TMP/$1.ours.blocks"
	grep -q restarts "$TEST_TMP/$1.git.blocks" || fail "$1: no blocks listed"
	expect_same "$TEST_TMP/$1.git.blocks" "$TEST_TMP/$1.ours.blocks"
	if [ "${2:-}" = same-bytes ]; then
		cmp "$theirs" "$ours" || fail "$1: not the bytes Git wrote"
	fi
	(cd "$TEST_TMP/$1.ours" && refs_verify_clean)
}

test_default_sha1() {
	git_stack "$TEST_TMP/a" sha1 200
	compare_with_git a
}

test_default_sha256() {
	git_stack "$TEST_TMP/b" sha256 200
	compare_with_git b
}

# Small blocks: many ref blocks, a ref index in levels, obj blocks.
test_small_blocks_no_logs() {
	NOLOG=1 git_stack "$TEST_TMP/c" sha1 300 reftable.blockSize=100
	compare_with_git c same-bytes
	grep -q '^obj:' "$TEST_TMP/c.ours.blocks" || fail "no obj blocks"
	grep -q '^idx:' "$TEST_TMP/c.ours.blocks" || fail "no ref index"
}

test_small_blocks_no_objects() {
	NOLOG=1 git_stack "$TEST_TMP/d" sha256 300 reftable.blockSize=100 \
		reftable.indexObjects=false
	compare_with_git d same-bytes
	! grep -q '^obj:' "$TEST_TMP/d.ours.blocks" || fail "obj blocks written"
}

test_restart_every_record() {
	git_stack "$TEST_TMP/e" sha1 50 reftable.restartInterval=1
	compare_with_git e
}

test_odd_interval_and_size() {
	git_stack "$TEST_TMP/f" sha1 300 reftable.blockSize=300 \
		reftable.restartInterval=3
	compare_with_git f
	grep -q 'block_size: 300' "$TEST_TMP/f.ours.blocks" ||
		fail "the header does not say block_size 300"
}

test_case "default options, SHA-1: Git's blocks and restarts" test_default_sha1
test_case "default options, SHA-256: Git's blocks and restarts" test_default_sha256
test_case "blockSize 100, no reflogs: Git's table byte for byte" test_small_blocks_no_logs
test_case "indexObjects false, SHA-256: Git's table byte for byte" test_small_blocks_no_objects
test_case "restartInterval 1: a restart at every record, as Git" test_restart_every_record
test_case "blockSize 300, restartInterval 3: Git's layout" test_odd_interval_and_size
