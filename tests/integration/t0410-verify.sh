#!/usr/bin/env bash
# t0410: `git reftable verify` on stacks Git wrote.
#
# Clean: SHA-1 and SHA-256 repositories with a long stack (Git's
# auto-compaction off), small blocks (multi-level indexes, obj blocks),
# annotated tags, deletions, reflogs and a linked worktree; also a stack
# compacted by us, and a stack that Git keeps writing (and compacting)
# while verify runs. Damaged: a truncated table, a flipped bit in a footer,
# a listed table gone, a bad name in tables.list; each is reported with
# the file (and offset or line) and exit 1. Leftovers are notes: exit 0.
. "$(dirname "$0")/../lib.sh"

export GIT_TEST_REFTABLE_AUTOCOMPACTION=false

# A repository in $1 with a stack of many tables, format $2.
make_repo() {
	git init -q --ref-format=reftable --object-format="$2" "$1"
	(
		cd "$1"
		git config reftable.blockSize 512
		# No `git maintenance run --auto` (it would compact).
		git config maintenance.auto false
		git commit -q --allow-empty -m one
		for i in $(seq 1 40); do
			git branch "b$i"
		done
		printf 'create refs/tags/v%d HEAD\n' $(seq 1 300) |
			git update-ref --stdin
		git tag -a -m annotated t1
		git commit -q --allow-empty -m two
		git branch -D b3 b4 >/dev/null
		git update-ref -m moved refs/heads/b5 HEAD
		git symbolic-ref refs/heads/link refs/heads/main
	)
}

# The table listed on line $1 of tables.list.
listed() {
	sed -n "${1}p" .git/reftable/tables.list
}

# verify must fail (exit 1) and name $1 in its report; prints the report.
expect_problem() {
	local rc=0
	git reftable verify >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	cat "$TEST_TMP/out" "$TEST_TMP/err"
	[ "$rc" -eq 1 ] || fail "verify exited $rc, not 1"
	grep -q "problem: .*$1" "$TEST_TMP/out" || fail "no problem naming $1"
	grep -q '^error: ' "$TEST_TMP/err" || fail "no error on stderr"
	rc=0
	git reftable verify --json >"$TEST_TMP/json" || rc=$?
	[ "$rc" -eq 1 ] || fail "verify --json exited $rc, not 1"
	jq -e '.ok == false and .problems >= 1' "$TEST_TMP/json" >/dev/null ||
		fail "--json does not report the problem"
}

test_clean() {
	local fmt n
	for fmt in sha1 sha256; do
		make_repo "r-$fmt" "$fmt"
		cd "r-$fmt"
		git worktree add -q ../wt-$fmt b1
		git -C ../wt-$fmt commit -q --allow-empty -m in-worktree
		n=$(wc -l <.git/reftable/tables.list)
		[ "$n" -gt 40 ] || fail "expected a long stack, got $n tables"
		git reftable verify >out
		cat out
		grep -q "^verify: 2 stacks, $((n + $(wc -l <.git/worktrees/wt-$fmt/reftable/tables.list))) tables, 0 problems, 0 notes$" out ||
			fail "not clean"
		# Tables of every shape were read: obj and index records too.
		git reftable verify --json >json
		jq -e --arg h "$fmt" '.ok and .problems == 0 and
			(.stacks | length) == 2 and
			([.stacks[].tables[] | select(.hash != $h)] | length) == 0 and
			([.stacks[].tables[].index_records] | add) > 0 and
			([.stacks[].tables[].objs] | add) > 0' json >/dev/null ||
			fail "JSON report wrong: $(cat json)"
		# Compacted by us, it is still clean.
		git reftable compact --all >/dev/null
		git reftable verify >out
		grep -q ", 0 problems" out || fail "not clean after compact"
		cd ..
	done
}

test_truncated() {
	make_repo trunc sha1
	cd trunc
	t=$(listed 3)
	truncate -s -7 ".git/reftable/$t"
	expect_problem "$t: offset [0-9]"
}

test_footer_bit() {
	make_repo footer sha256
	cd footer
	t=$(listed 2)
	size=$(stat -c %s ".git/reftable/$t")
	# A byte inside the footer's section offsets, one bit flipped.
	pos=$((size - 40))
	byte=$(od -An -tu1 -j "$pos" -N1 ".git/reftable/$t" | tr -d ' ')
	printf "$(printf '\\%03o' $((byte ^ 4)))" |
		dd of=".git/reftable/$t" bs=1 seek="$pos" conv=notrunc 2>/dev/null
	expect_problem "$t: offset [0-9]*: footer"
}

test_missing() {
	make_repo missing sha1
	cd missing
	t=$(listed 5)
	rm ".git/reftable/$t"
	expect_problem "$t: listed in tables.list but missing"
	# Git agrees that the stack is broken: it cannot resolve HEAD.
	! git rev-parse -q --verify HEAD >/dev/null 2>&1 ||
		fail "git reads a broken stack"
}

test_bad_name() {
	make_repo badname sha1
	cd badname
	sed -i '4s|.*|../../config|' .git/reftable/tables.list
	expect_problem "tables.list:4: this line (12 bytes) is not a table name"
}

test_notes() {
	make_repo notes sha1
	cd notes
	cp ".git/reftable/$(listed 1)" .git/reftable/0x0000000000ff-0x0000000000ff-12345678.ref
	: >.git/reftable/0x000000000100-0x000000000100-abcdef01.temp.q1w2e3
	: >.git/reftable/tables.list.lock
	touch -d '3 hours ago' .git/reftable/tables.list.lock
	git reftable verify >out
	cat out
	grep -q "note: .*0x0000000000ff-0x0000000000ff-12345678.ref: orphan table" out ||
		fail "orphan not noted"
	grep -q "note: .*abcdef01.temp.q1w2e3: temp file" out || fail "temp not noted"
	grep -q "note: .*tables.list.lock: stale lock" out || fail "lock not noted"
	grep -q ", 0 problems, 3 notes$" out || fail "wrong summary"
}

# Git writes (auto-compaction on: tables come and go) while we verify.
test_concurrent() {
	make_repo busy sha1
	cd busy
	(
		unset GIT_TEST_REFTABLE_AUTOCOMPACTION
		for i in $(seq 1 150); do
			git update-ref "refs/heads/c$i" HEAD
		done
		: >writer.done
	) &
	runs=0
	while [ ! -e writer.done ] || [ "$runs" -lt 3 ]; do
		git reftable verify >out 2>&1 || {
			cat out
			fail "verify failed while Git was writing"
		}
		runs=$((runs + 1))
	done
	wait
	echo "$runs verify runs"
	git reftable verify | grep -q ', 0 problems, 0 notes$' || fail "not clean at the end"
}

test_files_repo() {
	git init -q --ref-format=files f
	rc=0
	git -C f reftable verify 2>err || rc=$?
	cat err
	[ "$rc" -eq 1 ] || fail "exit $rc on a files repository"
	grep -q "does not use the reftable ref backend" err || fail "no clear message"
}

test_case "Git-written stacks verify clean (SHA-1, SHA-256, worktree, compacted)" test_clean
test_case "truncated table: file and offset, exit 1" test_truncated
test_case "flipped footer bit: file and offset, exit 1" test_footer_bit
test_case "listed table missing: file named, exit 1" test_missing
test_case "bad name in tables.list: line named, exit 1" test_bad_name
test_case "orphan, temp file and stale lock are notes, exit 0" test_notes
test_case "verify while Git writes and compacts: never a problem" test_concurrent
test_case "files repository: said plainly, exit 1" test_files_repo
