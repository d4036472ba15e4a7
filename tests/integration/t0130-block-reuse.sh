#!/usr/bin/env bash
# t0130: compaction copies the blocks the merge leaves unchanged, and Git
# reads the result exactly: refs (with --points-at, which goes through the
# obj index), reflogs, `git refs verify`, and Git writes on top of it.
#
# A log block re-encoded because a small table adds a record to it no
# longer fits the block size; when a copied block follows, it comes out
# whole, longer than the block size (as reftable.adoc allows), and Git
# must read it too: the sparse cases make many such blocks.
#
# Git writes the stack: a big table (Git's own `pack-refs` of two rounds
# over many refs, with reflogs), then a few small tables that touch a
# narrow range of names, delete a ref and add one past the end. Ours
# compacts it whole; the output must say blocks were copied.
. "$(dirname "$0")/../lib.sh"

export GIT_TEST_REFTABLE_AUTOCOMPACTION=false

# In <dir>, with `git config` <key>=<value>..., the big table: Git's
# `pack-refs` of two rounds over <refs> refs, with reflogs.
big_table() { # <dir> <object format> <refs> [<key>=<value>...]
	local dir=$1 format=$2 n=$3 c
	shift 3
	git init -q --ref-format=reftable --object-format="$format" \
		--initial-branch=master "$dir"
	cd "$dir"
	git config maintenance.auto false
	git config core.logAllRefUpdates always
	for c in "$@"; do git config "${c%%=*}" "${c#*=}"; done
	git commit -q --allow-empty -m one
	git commit -q --allow-empty -m two
	seq -f "create refs/heads/b%05g HEAD~1" "$n" |
		git update-ref --stdin -m "round one"
	seq -f "update refs/heads/b%05g HEAD" 1 2 "$n" |
		git update-ref --stdin -m "round two"
	git tag -a -m annotated v1 HEAD
	git pack-refs
	[ "$(wc -l <.git/reftable/tables.list)" -eq 1 ] ||
		fail "test setup: pack-refs left more than one table"
}

# The stack described above in <dir>, then `git config` <key>=<value>...
reuse_stack() { # <dir> <object format> <refs> [<key>=<value>...]
	big_table "$@"
	seq -f "update refs/heads/b%05g HEAD~1" 500 510 |
		git update-ref --stdin -m "small one"
	git update-ref -d refs/heads/b00700
	git update-ref -m "small two" refs/heads/b00701 HEAD~1
	git update-ref -m "past the end" refs/heads/zz HEAD
}

# Log blocks of <table> longer than <block size>, "<count> <longest>".
long_log_blocks() { # <table> <block size>
	"$RT_BUILD/tests/rt-dump-blocks" "$1" | awk -v bs="$2" '
		/^[a-z]+:$/ { sec = $1 }
		/length:/ { len = $3 }
		/restarts:/ && sec == "log:" {
			bl = len + 3 * $2 + 2
			if (bl > bs) n++
			if (bl > max) max = bl
		}
		END { print n + 0, max + 0 }'
}

# Everything Git shows of the refs and reflogs, into <file>.
git_view() { # <file>
	{
		git for-each-ref --format='%(refname) %(objectname) %(*objectname)'
		git for-each-ref --points-at=HEAD --format='at-head %(refname)'
		git for-each-ref --points-at=HEAD~1 --format='at-one %(refname)'
		git reflog list
		for r in HEAD refs/heads/master refs/heads/b00001 \
			refs/heads/b00098 refs/heads/b00195 refs/heads/b00500 refs/heads/b00505 refs/heads/b00700 \
			refs/heads/b00701 refs/heads/zz "refs/heads/b$(printf %05d "$N")"; do
			echo "== $r"
			git reflog show --format='%H %gd %gs %ct' "$r" -- 2>&1 || :
		done
	} >"$1"
}

# Compact the stack in $PWD; Git must see what it saw before. With
# "patched", the blocks are small enough that the updated refs lie in ref
# blocks other than the file's first, which can be copied.
compact_and_compare() { # [patched]
	local out
	git_view "$TEST_TMP/before"
	# The logs merged on a thread of their own give the very table that
	# merging them after the refs gives.
	rm -rf "$TEST_TMP/inline" && cp -a . "$TEST_TMP/inline"
	GIT_TEST_REFTABLE_LOGS_APART=false git -C "$TEST_TMP/inline" \
		reftable compact --all >/dev/null || fail "inline compact failed"
	out=$(GIT_TEST_REFTABLE_LOGS_APART=true git reftable compact --all) ||
		fail "compact --all failed"
	echo "$out"
	cmp "$TEST_TMP"/inline/.git/reftable/*.ref .git/reftable/*.ref ||
		fail "the logs merged apart gave another table"
	case $out in
	*"blocks copied unchanged"*) ;;
	*) fail "no block was copied: $out" ;;
	esac
	# Most log blocks of Git's big table overlap no small table's keys:
	# they are copied without being inflated.
	case $out in
	*"(0 without inflating them)"*) fail "every block was read: $out" ;;
	*" without inflating them)"*) ;;
	*) fail "no count of blocks copied unread: $out" ;;
	esac
	# The first small table updates refs of the big table: their ref
	# blocks are copied with the new values written over the old.
	case ${1-}:$out in
	:* | *" copied with updated refs written in"*) ;;
	*) fail "no ref block copied with updated refs: $out" ;;
	esac
	[ "$(wc -l <.git/reftable/tables.list)" -eq 1 ] ||
		fail "more than one table after compact --all"
	LONG=$(long_log_blocks ".git/reftable/$(cat .git/reftable/tables.list)" \
		"$(git config reftable.blockSize || echo 4096)")
	echo "log blocks longer than the block size, longest: $LONG"
	git_view "$TEST_TMP/after"
	expect_same "$TEST_TMP/before" "$TEST_TMP/after"
	refs_verify_clean
	git reftable verify >/dev/null || fail "git reftable verify failed"
	# Git goes on writing and compacting on top of the copied blocks,
	# at its defaults (auto-compaction on).
	env -u GIT_TEST_REFTABLE_AUTOCOMPACTION git update-ref -m after \
		refs/heads/b00002 HEAD
	env -u GIT_TEST_REFTABLE_AUTOCOMPACTION git pack-refs
	[ "$(git rev-parse refs/heads/b00002)" = "$(git rev-parse HEAD)" ] ||
		fail "Git's update after the compaction was lost"
	[ "$(git reflog show refs/heads/b00002 | wc -l)" -eq 2 ] ||
		fail "b00002 does not have its 2 reflog entries"
	refs_verify_clean
}

N=1500

test_sha1_small_blocks() {
	reuse_stack "$TEST_TMP/a" sha1 "$N" reftable.blockSize=1024
	compact_and_compare patched
}

test_sha256_default_blocks() {
	reuse_stack "$TEST_TMP/b" sha256 "$N"
	compact_and_compare patched
}

test_sha1_large_blocks() {
	reuse_stack "$TEST_TMP/c" sha1 "$N" reftable.blockSize=32768 \
		reftable.restartInterval=5
	compact_and_compare
}

test_sha256_no_obj_index() {
	reuse_stack "$TEST_TMP/d" sha256 "$N" reftable.blockSize=2048 \
		reftable.indexObjects=false
	compact_and_compare patched
}

# Besides the stack above, every 97th ref updated: many touched blocks,
# each followed by an untouched one, come out stretched (and no longer
# than 1.5 times the block size).
test_sparse_stretched() { # <dir> <format> <block size>
	reuse_stack "$1" "$2" "$N" reftable.blockSize="$3"
	seq -f "update refs/heads/b%05g HEAD~1" 1 97 "$N" |
		git update-ref --stdin -m "sparse"
	compact_and_compare
	set -- $LONG "$3"
	[ "$1" -ge 3 ] ||
		fail "expected at least 3 stretched log blocks, got $1"
	[ "$2" -le $(($3 * 3 / 2)) ] ||
		fail "a log block of $2 bytes, over 1.5 x $3"
}

test_sha1_sparse_stretched() {
	test_sparse_stretched "$TEST_TMP/e" sha1 4096
}

test_sha256_sparse_stretched() {
	test_sparse_stretched "$TEST_TMP/f" sha256 1024
}

# Half the branches deleted in one push, a third of those created again
# in the next, and `compact --auto` merging just those two tables (the
# oldest stays, so the deletion records are kept). A deleted ref set
# again replaces a deletion record in the copied block; the deletion is
# shorter than the prefix its key shares, which once failed the
# compaction ("block changed while compacting").
test_deleted_then_set() {
	local out
	big_table "$TEST_TMP/g" sha1 "$N" reftable.blockSize=1024
	seq -f "delete refs/heads/b%05g" 2 2 "$N" | git update-ref --stdin
	seq -f "update refs/heads/b%05g HEAD" 2 6 "$N" |
		git update-ref --stdin -m "set again"
	git_view "$TEST_TMP/before"
	out=$(git reftable compact --auto) || fail "compact --auto failed"
	echo "$out"
	case $out in
	*"compacted tables 2-3 "*) ;;
	*) fail "expected the two newest tables compacted: $out" ;;
	esac
	git_view "$TEST_TMP/after"
	expect_same "$TEST_TMP/before" "$TEST_TMP/after"
	refs_verify_clean
	git reftable verify >/dev/null || fail "git reftable verify failed"
}

test_case "SHA-1, blockSize 1024: copied blocks, Git reads all" test_sha1_small_blocks
test_case "SHA-256, default blocks: copied blocks, Git reads all" test_sha256_default_blocks
test_case "SHA-1, blockSize 32768: copied blocks, Git reads all" test_sha1_large_blocks
test_case "SHA-256, no obj index: copied blocks, Git reads all" test_sha256_no_obj_index
test_case "SHA-1 sparse updates: stretched log blocks, Git reads all" test_sha1_sparse_stretched
test_case "SHA-256 sparse, blockSize 1024: stretched log blocks, Git reads all" test_sha256_sparse_stretched
test_case "refs deleted then set again: the pair compacted, Git reads all" test_deleted_then_set
