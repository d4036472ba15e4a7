#!/usr/bin/env bash
# t0200: `git reftable compact` and `git reftable clean` on stacks Git wrote.
#
# Git builds long stacks (auto-compaction off) holding branches, lightweight
# and annotated tags, a symref, deletions and reflogs. We compact them
# (--all, --auto, --dry-run; SHA-1 and SHA-256; a linked worktree's own
# stack), then Git must read exactly what it read before, `git refs verify`
# must stay clean, and Git must keep writing to the compacted stack as if it
# had compacted it itself (a copy of the repository that we never touched
# gets the same Git commands and must end up with the same refs and logs).
# Then: a held tables.list.lock or table lock makes compact exit 1 ("busy")
# and change nothing; clean removes only old unlisted tables and temp files,
# keeps young ones, reports stale locks unless told to remove them, and
# never follows a symlink.
. "$(dirname "$0")/../lib.sh"

# Every Git write in this test adds one table: no auto-compaction by Git.
export GIT_TEST_REFTABLE_AUTOCOMPACTION=false

table_re='^0x[0-9a-f]{12}-0x[0-9a-f]{12}-[0-9a-f]{8}\.ref$'

clock=0
tick() {
	clock=$((clock + 1))
	local t="$((1700000000 + clock * 61)) +0$((clock % 10))00"
	export GIT_COMMITTER_DATE="$t" GIT_AUTHOR_DATE="$t"
}

# Git's view of every ref and reflog of the repository in the current
# directory, written to directory $1 (one file per aspect).
#  refs     for-each-ref --include-root-refs: value, name, symref target
#  peeled   show-ref -d (with the ^{} lines of annotated tags)
#  loglist  reflog list, sorted
#  reflogs  reflog show --date=raw of every ref in loglist, plus of refs
#           named in $TEST_TMP/extra-logrefs (deleted ones: Git's error and
#           exit status are recorded too), and `reflog exists` for those
#  dump     our own `dump logs` (full) and `dump refs`
snapshot() {
	local out=$1 ref rc
	mkdir -p "$out"
	git for-each-ref --include-root-refs \
		--format='%(objectname) %(refname) %(symref)' >"$out/refs" ||
		fail "git for-each-ref failed"
	git show-ref -d >"$out/peeled" || fail "git show-ref -d failed"
	git reflog list | LC_ALL=C sort >"$out/loglist" || fail "git reflog list failed"
	: >"$out/reflogs"
	{
		cat "$out/loglist"
		[ ! -f "$TEST_TMP/extra-logrefs" ] || cat "$TEST_TMP/extra-logrefs"
	} | while read -r ref; do
		rc=0
		echo "== $ref" >>"$out/reflogs"
		git reflog show --date=raw --format='%H %gD %gn <%ge> %gs' "$ref" -- \
			>>"$out/reflogs" 2>&1 || rc=$?
		echo "exit $rc" >>"$out/reflogs"
		rc=0
		git reflog exists "$ref" || rc=$?
		echo "exists $rc" >>"$out/reflogs"
	done
	git reftable dump logs >"$out/dump-logs" || fail "git reftable dump logs failed"
	git reftable dump refs >"$out/dump-refs" || fail "git reftable dump refs failed"
}

# Compare two snapshots aspect by aspect.
same_snapshot() {
	local f
	for f in refs peeled loglist reflogs dump-logs dump-refs; do
		expect_same "$1/$f" "$2/$f"
	done
}

# The stack in directory $1 is exactly one table, and no other table file
# (and no temp or lock file) lies in the directory.
single_table() {
	local dir=$1 n name
	n=$(wc -l <"$dir/tables.list")
	[ "$n" -eq 1 ] || { cat "$dir/tables.list" >&2; fail "$dir/tables.list has $n tables, expected 1"; }
	name=$(cat "$dir/tables.list")
	printf '%s\n' "$name" | grep -Eq "$table_re" || fail "tables.list names '$name'"
	[ -f "$dir/$name" ] || fail "listed table $name is missing"
	(cd "$dir" && ls -A) >"$TEST_TMP/dir.ls"
	printf '%s\n' "$name" tables.list | LC_ALL=C sort >"$TEST_TMP/dir.expect"
	LC_ALL=C sort "$TEST_TMP/dir.ls" >"$TEST_TMP/dir.actual"
	expect_same "$TEST_TMP/dir.expect" "$TEST_TMP/dir.actual"
}

# Names, sizes, mtimes and checksums of everything in directory $1.
dir_state() {
	(cd "$1" && ls -lA --time-style=full-iso && md5sum -- *)
}

# The sizes in file $1 are those of the files tables.list names, in order.
sizes_match_files() {
	(cd .git/reftable && while read -r t; do stat -c %s "$t"; done <tables.list) >"$TEST_TMP/sizes.files"
	expect_same "$TEST_TMP/sizes.files" "$1"
}

# Build the repository $1 with object format $2 as a long stack.
build_repo() {
	local repo=$1 format=$2 i
	git init -q --ref-format=reftable --object-format="$format" "$repo"
	cd "$repo"
	git config advice.nestedTag false
	for i in 1 2 3 4 5; do
		tick
		echo "$i" >>file
		git add file
		git commit -q -m "commit $i"
	done
	tick
	git branch b1 HEAD~1
	git branch b2 HEAD~2
	git branch doomed HEAD~3
	git branch phoenix HEAD~3
	tick
	git tag light HEAD~4
	git tag -a -m "annotated tag" ann HEAD~2
	git tag -a -m "nested" nested ann
	git -c core.logAllRefUpdates=always tag -a -m "logged" logged HEAD~1
	tick
	git update-ref -m "move b1" refs/heads/b1 HEAD
	git update-ref -m "move b1 back" refs/heads/b1 HEAD~3
	git symbolic-ref -m "alias" refs/heads/alias refs/heads/b2
	# 300 refs in one table (several blocks), some of them deleted later.
	tick
	git rev-parse HEAD HEAD~1 HEAD~2 HEAD~3 HEAD~4 >"$TEST_TMP/commits.$format"
	awk 'NR == FNR { c[NR - 1] = $1; next }
		END { for (i = 1; i <= 300; i++) printf "create refs/bulk/r%d %s\n", i, c[i % 5] }' \
		"$TEST_TMP/commits.$format" /dev/null >"$TEST_TMP/bulk.$format"
	git update-ref --stdin <"$TEST_TMP/bulk.$format"
	tick
	git branch -q -D doomed
	git tag -d light >/dev/null
	git update-ref -d refs/bulk/r7
	awk 'NR % 25 == 3 { print "delete " $2 }' "$TEST_TMP/bulk.$format" | git update-ref --stdin
	tick
	git branch -q -D phoenix
	tick
	git branch phoenix HEAD~1
	tick
	git checkout -q b2
	git checkout -q main
	git reset -q --hard HEAD~1
	git reset -q --hard ORIG_HEAD
	for i in 1 2 3 4 5 6 7 8; do
		tick
		git update-ref -m "step $i" refs/heads/b2 "HEAD~$((i % 4))"
	done
	printf '%s\n' refs/heads/doomed refs/tags/light refs/bulk/r7 >"$TEST_TMP/extra-logrefs"
	refs_verify_clean
}

# --- (a) compact --all on a long SHA-1 stack ---------------------------------

a_build() {
	build_repo "$TEST_TMP/a" sha1
	local n
	n=$(wc -l <.git/reftable/tables.list)
	echo "$n tables"
	[ "$n" -ge 30 ] || fail "expected a long stack without auto-compaction, got $n tables"
	grep -q ' refs/tags/ann$' <(git show-ref) || fail "test setup: no annotated tag"
	git reftable stats --json | jq -e '.stacks[0].totals.ref_tombstones > 0' >/dev/null ||
		fail "test setup: no deletion records in the stack"
	snapshot "$TEST_TMP/a.before"
	grep -qx refs/heads/b2 "$TEST_TMP/a.before/loglist" || fail "test setup: b2 has no reflog"
	[ "$(grep -c 'step' "$TEST_TMP/a.before/reflogs")" -eq 8 ] || fail "test setup: b2 reflog incomplete"
	grep -A1 -x '== refs/heads/doomed' "$TEST_TMP/a.before/reflogs" | grep -q fatal ||
		fail "test setup: Git should know no reflog of the deleted branch"
	# A copy we never compact: it gets the same Git commands later.
	cp -a "$TEST_TMP/a" "$TEST_TMP/a.ref"
}

a_compact_all() {
	cd "$TEST_TMP/a"
	git reftable compact --all >"$TEST_TMP/a.compact.out" 2>&1 || {
		cat "$TEST_TMP/a.compact.out" >&2
		fail "git reftable compact --all exited non-zero"
	}
	cat "$TEST_TMP/a.compact.out"
	grep -Eq '^main: compacted tables 1-[0-9]+ \([0-9]+ tables, [0-9]+ bytes\) into [0-9]+ bytes; 1 table now(;.*)?$' \
		"$TEST_TMP/a.compact.out" || fail "unexpected compact --all report"
	single_table .git/reftable
	git reftable stats --json >"$TEST_TMP/a.stats.json" || fail "git reftable stats --json failed"
	jq -e '.stacks[0].totals | .ref_tombstones == 0 and .log_tombstones == 0' \
		"$TEST_TMP/a.stats.json" >/dev/null || {
		cat "$TEST_TMP/a.stats.json" >&2
		fail "deletion records survived a compaction of the whole stack"
	}
}

a_refs_same() {
	cd "$TEST_TMP/a"
	snapshot "$TEST_TMP/a.after"
	expect_same "$TEST_TMP/a.before/refs" "$TEST_TMP/a.after/refs"
	expect_same "$TEST_TMP/a.before/peeled" "$TEST_TMP/a.after/peeled"
	expect_same "$TEST_TMP/a.before/dump-refs" "$TEST_TMP/a.after/dump-refs"
}

a_logs_same() {
	cd "$TEST_TMP/a"
	expect_same "$TEST_TMP/a.before/loglist" "$TEST_TMP/a.after/loglist"
	expect_same "$TEST_TMP/a.before/reflogs" "$TEST_TMP/a.after/reflogs"
	expect_same "$TEST_TMP/a.before/dump-logs" "$TEST_TMP/a.after/dump-logs"
}

a_verify() {
	cd "$TEST_TMP/a"
	refs_verify_clean
}

# The same Git writes on the compacted repository and on the untouched copy.
git_writes() {
	clock=1000
	tick
	git branch newbranch HEAD~2
	tick
	git update-ref -m "after compaction" refs/heads/b1 HEAD
	tick
	git branch -q -D b2
	git tag -a -m "new annotated" ann2 HEAD~1
	git update-ref -d refs/bulk/r100
	tick
	git branch doomed HEAD # re-create the deleted branch
	git commit -q --allow-empty -m "after compaction"
}

a_git_keeps_writing() {
	local d
	for d in a a.ref; do
		cd "$TEST_TMP/$d"
		git_writes
		refs_verify_clean
	done
	cd "$TEST_TMP/a"
	[ "$(wc -l <.git/reftable/tables.list)" -gt 1 ] || fail "Git did not append tables to the compacted stack"
	snapshot "$TEST_TMP/a.written"
	(cd "$TEST_TMP/a.ref" && snapshot "$TEST_TMP/a.ref.written")
	same_snapshot "$TEST_TMP/a.ref.written" "$TEST_TMP/a.written"
	grep -q ' refs/heads/newbranch ' "$TEST_TMP/a.written/refs" || fail "new branch missing"
	grep -q ' refs/heads/b2 ' "$TEST_TMP/a.written/refs" && fail "deleted branch b2 still listed"
	grep -q 'after compaction' "$TEST_TMP/a.written/reflogs" || fail "new reflog entry missing"
	# b1's reflog: the new entry on top of the three old ones.
	[ "$(git reflog show refs/heads/b1 | wc -l)" -eq 4 ] || fail "b1 reflog should have 4 entries"
}

a_git_pack_refs() {
	local d
	for d in a a.ref; do
		cd "$TEST_TMP/$d"
		git pack-refs --all || fail "git pack-refs failed in $d"
		refs_verify_clean
	done
	cd "$TEST_TMP/a"
	single_table .git/reftable
	snapshot "$TEST_TMP/a.packed"
	(cd "$TEST_TMP/a.ref" && snapshot "$TEST_TMP/a.ref.packed")
	same_snapshot "$TEST_TMP/a.ref.packed" "$TEST_TMP/a.packed"
	same_snapshot "$TEST_TMP/a.written" "$TEST_TMP/a.packed"
	# And we compact Git's packed table again without changing anything.
	git reftable compact --all >/dev/null || fail "compact --all after git pack-refs failed"
	snapshot "$TEST_TMP/a.recompacted"
	same_snapshot "$TEST_TMP/a.packed" "$TEST_TMP/a.recompacted"
}

# --- (b) compact --auto on a stack that is not geometric ----------------------

# One large table, many small ones, then a medium one that breaks the
# sequence, then a few small ones again.
b_build() {
	local i
	git init -q --ref-format=reftable "$TEST_TMP/b"
	cd "$TEST_TMP/b"
	tick
	git commit -q --allow-empty -m one
	tick
	git commit -q --allow-empty -m two
	seq 1 1500 | awk -v c="$(git rev-parse HEAD)" '{ printf "create refs/big/some/longer/name/%05d %s\n", $1, c }' |
		git update-ref --stdin
	git pack-refs --all # one large table at the bottom
	for i in $(seq 1 12); do
		tick
		git branch "small$i"
	done
	seq 1 150 | awk -v c="$(git rev-parse HEAD~1)" '{ printf "create refs/medium/%04d %s\n", $1, c }' |
		git update-ref -m medium --stdin
	for i in 1 2 3; do
		tick
		git update-ref -m "move $i" refs/heads/small1 "HEAD~$((i % 2))"
	done
	json_table_sizes main >"$TEST_TMP/b.sizes.before"
	cat "$TEST_TMP/b.sizes.before"
	sizes_match_files "$TEST_TMP/b.sizes.before"
	[ "$(wc -l <"$TEST_TMP/b.sizes.before")" -ge 15 ] || fail "test setup: stack too short"
	geometric_holds "$git_weight_overhead" <"$TEST_TMP/b.sizes.before" && fail "test setup: the stack is already geometric"
	git reftable stats | grep -q 'compaction: due' || fail "stats does not say compaction is due"
	snapshot "$TEST_TMP/b.before"
}

b_dry_run() {
	cd "$TEST_TMP/b"
	dir_state .git/reftable >"$TEST_TMP/b.state.before"
	git reftable compact --auto --dry-run >"$TEST_TMP/b.dry.out" 2>&1 || {
		cat "$TEST_TMP/b.dry.out" >&2
		fail "compact --auto --dry-run exited non-zero"
	}
	cat "$TEST_TMP/b.dry.out"
	grep -q '^main: would compact tables ' "$TEST_TMP/b.dry.out" || fail "dry run does not say what it would compact"
	git reftable compact --all --dry-run >"$TEST_TMP/b.dry2.out" 2>&1 || fail "compact --all --dry-run exited non-zero"
	dir_state .git/reftable >"$TEST_TMP/b.state.after"
	expect_same "$TEST_TMP/b.state.before" "$TEST_TMP/b.state.after"
}

b_auto() {
	cd "$TEST_TMP/b"
	git reftable compact --auto >"$TEST_TMP/b.auto.out" 2>&1 || {
		cat "$TEST_TMP/b.auto.out" >&2
		fail "compact --auto exited non-zero"
	}
	cat "$TEST_TMP/b.auto.out"
	grep -q '^main: compacted tables ' "$TEST_TMP/b.auto.out" || fail "compact --auto compacted nothing"
	json_table_sizes main >"$TEST_TMP/b.sizes.after"
	cat "$TEST_TMP/b.sizes.after"
	sizes_match_files "$TEST_TMP/b.sizes.after"
	[ "$(wc -l <"$TEST_TMP/b.sizes.after")" -ge 2 ] ||
		fail "compact --auto merged the whole stack; the large oldest table should have stayed"
}

b_geometric() {
	cd "$TEST_TMP/b"
	json_table_sizes main >"$TEST_TMP/b.sizes.after"
	sizes_match_files "$TEST_TMP/b.sizes.after"
	geometric_holds "$git_weight_overhead" <"$TEST_TMP/b.sizes.after" || {
		cat "$TEST_TMP/b.sizes.after" >&2
		fail "the geometric property does not hold after compact --auto"
	}
	git reftable stats | grep -q 'compaction: due' && fail "stats still says compaction is due"
	git reftable compact --auto >"$TEST_TMP/b.auto2.out" 2>&1 || fail "second compact --auto exited non-zero"
	cat "$TEST_TMP/b.auto2.out"
	grep -q '^main: nothing to compact' "$TEST_TMP/b.auto2.out" ||
		fail "second compact --auto did not say nothing to compact"
}

b_refs_same() {
	cd "$TEST_TMP/b"
	snapshot "$TEST_TMP/b.after"
	same_snapshot "$TEST_TMP/b.before" "$TEST_TMP/b.after"
	refs_verify_clean
}

# --- (c) SHA-256 ----------------------------------------------------------------

c_build() {
	build_repo "$TEST_TMP/c" sha256
	[ "$(git rev-parse --show-object-format)" = sha256 ] || fail "test setup: not a SHA-256 repository"
	snapshot "$TEST_TMP/c.before"
}

c_compact() {
	cd "$TEST_TMP/c"
	git reftable compact --all || fail "compact --all exited non-zero"
	single_table .git/reftable
	git reftable stats | grep -q 'hash sha256' || fail "stats does not report a sha256 stack"
	snapshot "$TEST_TMP/c.after"
	same_snapshot "$TEST_TMP/c.before" "$TEST_TMP/c.after"
	refs_verify_clean
	tick
	git branch after-compaction HEAD~1 || fail "Git cannot write to the compacted SHA-256 stack"
	[ "$(git rev-parse after-compaction)" = "$(git rev-parse HEAD~1)" ] || fail "new branch has the wrong value"
	refs_verify_clean
}

# --- (d) a linked worktree has its own stack --------------------------------

d_build() {
	local i
	git init -q --ref-format=reftable "$TEST_TMP/d"
	cd "$TEST_TMP/d"
	for i in 1 2 3; do
		tick
		git commit -q --allow-empty -m "c$i"
	done
	tick
	git worktree add -q -b wtbranch "$TEST_TMP/d-wt" HEAD~1
	cd "$TEST_TMP/d-wt"
	for i in 1 2 3 4 5 6; do
		tick
		git commit -q --allow-empty -m "wt $i"
	done
	git update-ref refs/worktree/private HEAD~2
	git update-ref refs/bisect/bad HEAD~1
	git checkout -q --detach HEAD~1
	git checkout -q wtbranch
	local id
	id=$(basename "$(git rev-parse --git-dir)")
	echo "$id" >"$TEST_TMP/d.id"
	[ -f "$TEST_TMP/d/.git/worktrees/$id/reftable/tables.list" ] || fail "test setup: worktree has no reftable stack"
	[ "$(wc -l <"$TEST_TMP/d/.git/worktrees/$id/reftable/tables.list")" -ge 3 ] ||
		fail "test setup: worktree stack is short"
	git rev-parse HEAD >"$TEST_TMP/d.wt.head"
	git rev-parse refs/worktree/private refs/bisect/bad >>"$TEST_TMP/d.wt.head"
	snapshot "$TEST_TMP/d.wt.before"
	cd "$TEST_TMP/d"
	snapshot "$TEST_TMP/d.before"
}

d_compact() {
	local id
	id=$(cat "$TEST_TMP/d.id")
	cd "$TEST_TMP/d"
	git reftable compact --all >"$TEST_TMP/d.out" 2>&1 || {
		cat "$TEST_TMP/d.out" >&2
		fail "compact --all exited non-zero"
	}
	cat "$TEST_TMP/d.out"
	grep -q '^main: compacted' "$TEST_TMP/d.out" || fail "main stack not compacted"
	[ "$(grep -c ': compacted' "$TEST_TMP/d.out")" -eq 2 ] || fail "expected two stacks compacted"
	single_table .git/reftable
	single_table ".git/worktrees/$id/reftable"
}

d_reads_back() {
	cd "$TEST_TMP/d-wt"
	git rev-parse HEAD refs/worktree/private refs/bisect/bad >"$TEST_TMP/d.wt.head.after" ||
		fail "git rev-parse in the worktree failed"
	expect_same "$TEST_TMP/d.wt.head" "$TEST_TMP/d.wt.head.after"
	[ "$(git -C "$TEST_TMP/d-wt" rev-parse HEAD)" = "$(head -1 "$TEST_TMP/d.wt.head")" ] ||
		fail "git -C <worktree> rev-parse HEAD changed"
	[ "$(git symbolic-ref HEAD)" = refs/heads/wtbranch ] || fail "worktree HEAD no longer points at wtbranch"
	snapshot "$TEST_TMP/d.wt.after"
	same_snapshot "$TEST_TMP/d.wt.before" "$TEST_TMP/d.wt.after"
	refs_verify_clean
	cd "$TEST_TMP/d"
	snapshot "$TEST_TMP/d.after"
	same_snapshot "$TEST_TMP/d.before" "$TEST_TMP/d.after"
	refs_verify_clean
}

d_from_worktree() {
	cd "$TEST_TMP/d-wt"
	tick
	git commit -q --allow-empty -m "wt more"
	git reftable compact --all >"$TEST_TMP/d.out2" 2>&1 || {
		cat "$TEST_TMP/d.out2" >&2
		fail "compact --all from inside the worktree exited non-zero"
	}
	cat "$TEST_TMP/d.out2"
	git reftable compact --all >"$TEST_TMP/d.out3" 2>&1 || fail "second compact --all failed"
	[ "$(grep -c 'nothing to compact' "$TEST_TMP/d.out3")" -eq 2 ] || {
		cat "$TEST_TMP/d.out3" >&2
		fail "a second compact --all should find nothing to do in both stacks"
	}
	git log -1 --format=%s | grep -qx "wt more" || fail "worktree HEAD lost its new commit"
	refs_verify_clean
}

# --- (e) busy -------------------------------------------------------------------

e_list_lock() {
	local rc=0 dir=$TEST_TMP/a/.git/reftable
	cd "$TEST_TMP/a"
	tick
	git branch e1 || fail "git branch e1 failed"
	git branch e2 || fail "git branch e2 failed"
	dir_state "$dir" >"$TEST_TMP/e.before"
	: >"$dir/tables.list.lock"
	git reftable compact --all >"$TEST_TMP/e.out" 2>&1 || rc=$?
	rm -f "$dir/tables.list.lock"
	cat "$TEST_TMP/e.out"
	[ "$rc" -eq 1 ] || fail "compact --all with tables.list.lock held exited $rc, expected 1"
	grep -q 'busy' "$TEST_TMP/e.out" || fail "message does not mention busy"
	# The lock file itself was ours: compare the directory without it.
	dir_state "$dir" >"$TEST_TMP/e.after"
	expect_same "$TEST_TMP/e.before" "$TEST_TMP/e.after"
}

e_table_lock() {
	local rc=0 dir=$TEST_TMP/a/.git/reftable t
	cd "$TEST_TMP/a"
	[ "$(wc -l <"$dir/tables.list")" -ge 3 ] || fail "test setup: need a stack of several tables"
	t=$(sed -n 2p "$dir/tables.list")
	dir_state "$dir" >"$TEST_TMP/e2.before"
	: >"$dir/$t.lock"
	git reftable compact --all >"$TEST_TMP/e2.out" 2>&1 || rc=$?
	rm -f "$dir/$t.lock"
	cat "$TEST_TMP/e2.out"
	[ "$rc" -eq 1 ] || fail "compact --all with a table lock held exited $rc, expected 1"
	grep -q 'busy' "$TEST_TMP/e2.out" || fail "message does not mention busy"
	dir_state "$dir" >"$TEST_TMP/e2.after"
	expect_same "$TEST_TMP/e2.before" "$TEST_TMP/e2.after"
	git reftable compact --all >/dev/null || fail "compact --all after the lock is gone failed"
	single_table "$dir"
	refs_verify_clean
}

# --- (f) clean ------------------------------------------------------------------

f_setup() {
	local dir=$TEST_TMP/a/.git/reftable t
	cd "$TEST_TMP/a"
	tick
	git branch f1
	tick
	git branch f2
	[ "$(wc -l <"$dir/tables.list")" -ge 2 ] || fail "test setup: need at least two tables"
	snapshot "$TEST_TMP/f.before"
	cp "$dir/tables.list" "$TEST_TMP/f.list"
	t=$(head -n 1 "$dir/tables.list")
	(cd "$dir" && xargs md5sum <tables.list) >"$TEST_TMP/f.listed.md5"
	cp "$dir/$t" "$dir/0x000000000001-0x000000000001-deadbeef.ref"          # old orphan
	: >"$dir/0x000000000001-0x000000000002-12345678.temp.abcdef"              # old temp file
	: >"$dir/$t.lock"                                                        # stale table lock
	cp "$dir/$t" "$dir/0x000000000001-0x000000000001-cafef00d.ref"          # fresh orphan
	cp "$dir/$t" "$dir/0x0000ffffffff-0x0000ffffffff-0000beef.ref"          # beyond the stack
	echo "precious, outside the stack" >"$TEST_TMP/outside-target"
	ln -s "$TEST_TMP/outside-target" "$dir/0x000000000001-0x000000000001-0badf00d.ref"
	touch -d '2 hours ago' "$dir/0x000000000001-0x000000000001-deadbeef.ref" \
		"$dir/0x000000000001-0x000000000002-12345678.temp.abcdef" "$dir/$t.lock" \
		"$dir/0x0000ffffffff-0x0000ffffffff-0000beef.ref" "$TEST_TMP/outside-target"
	touch -h -d '2 hours ago' "$dir/0x000000000001-0x000000000001-0badf00d.ref"
	echo "$t.lock" >"$TEST_TMP/f.lockname"
}

f_dry_run() {
	local dir=$TEST_TMP/a/.git/reftable
	cd "$TEST_TMP/a"
	dir_state "$dir" >"$TEST_TMP/f.state.before"
	git reftable clean --dry-run >"$TEST_TMP/f.dry.out" 2>&1 || {
		cat "$TEST_TMP/f.dry.out" >&2
		fail "clean --dry-run exited non-zero"
	}
	cat "$TEST_TMP/f.dry.out"
	grep -q 'deadbeef.*dry run' "$TEST_TMP/f.dry.out" || fail "dry run does not name the orphan"
	grep -q '12345678.temp.abcdef.*dry run' "$TEST_TMP/f.dry.out" || fail "dry run does not name the temp file"
	grep -q 'removed' "$TEST_TMP/f.dry.out" && fail "dry run claims to have removed something"
	dir_state "$dir" >"$TEST_TMP/f.state.after"
	expect_same "$TEST_TMP/f.state.before" "$TEST_TMP/f.state.after"
}

f_clean() {
	local dir=$TEST_TMP/a/.git/reftable lock
	lock=$(cat "$TEST_TMP/f.lockname")
	cd "$TEST_TMP/a"
	git reftable clean >"$TEST_TMP/f.out" 2>&1 || {
		cat "$TEST_TMP/f.out" >&2
		fail "clean exited non-zero"
	}
	cat "$TEST_TMP/f.out"
	grep -qx 'main: removed orphan table 0x000000000001-0x000000000001-deadbeef.ref (age [0-9]* s)' "$TEST_TMP/f.out" ||
		fail "old orphan not reported removed"
	grep -qx 'main: removed temp file 0x000000000001-0x000000000002-12345678.temp.abcdef (age [0-9]* s)' "$TEST_TMP/f.out" ||
		fail "old temp file not reported removed"
	[ ! -e "$dir/0x000000000001-0x000000000001-deadbeef.ref" ] || fail "old orphan still there"
	[ ! -e "$dir/0x000000000001-0x000000000002-12345678.temp.abcdef" ] || fail "old temp file still there"
	grep -q "^main: kept stale lock $lock (age [0-9]* s): " "$TEST_TMP/f.out" || fail "stale lock not reported as kept"
	[ -e "$dir/$lock" ] || fail "stale lock removed without --remove-stale-locks"
}

f_fresh_and_foreign_kept() {
	local dir=$TEST_TMP/a/.git/reftable
	cd "$TEST_TMP/a"
	[ -f "$dir/0x000000000001-0x000000000001-cafef00d.ref" ] || fail "fresh orphan removed despite the grace period"
	grep -q '^main: kept orphan table 0x000000000001-0x000000000001-cafef00d.ref (age [0-9]* s): .*grace' "$TEST_TMP/f.out" ||
		fail "fresh orphan not reported as kept for the grace period"
	[ -f "$dir/0x0000ffffffff-0x0000ffffffff-0000beef.ref" ] ||
		fail "orphan with an update index beyond the stack's removed"
}

f_symlink() {
	local dir=$TEST_TMP/a/.git/reftable
	cd "$TEST_TMP/a"
	# The smallest ages clean accepts; the fresh orphan made old enough.
	touch -d '1 minute ago' "$dir/0x000000000001-0x000000000001-cafef00d.ref"
	git reftable clean --grace=10 --stale-lock-age=10 >"$TEST_TMP/f.sym.out" 2>&1 || {
		cat "$TEST_TMP/f.sym.out" >&2
		fail "clean --grace=10 exited non-zero"
	}
	cat "$TEST_TMP/f.sym.out"
	[ -f "$TEST_TMP/outside-target" ] || fail "the symlink's target outside the stack was removed"
	[ "$(cat "$TEST_TMP/outside-target")" = "precious, outside the stack" ] || fail "the symlink's target was changed"
	[ ! -e "$dir/0x000000000001-0x000000000001-cafef00d.ref" ] || fail "orphan not removed with --grace=10"
}

f_remove_stale_locks() {
	local dir=$TEST_TMP/a/.git/reftable lock
	lock=$(cat "$TEST_TMP/f.lockname")
	cd "$TEST_TMP/a"
	git reftable clean --remove-stale-locks >"$TEST_TMP/f.lock.out" 2>&1 || {
		cat "$TEST_TMP/f.lock.out" >&2
		fail "clean --remove-stale-locks exited non-zero"
	}
	cat "$TEST_TMP/f.lock.out"
	grep -qx "main: removed stale lock $lock (age [0-9]* s)" "$TEST_TMP/f.lock.out" || fail "stale lock not reported removed"
	[ ! -e "$dir/$lock" ] || fail "stale lock still there"
	# A fresh lock is not stale.
	: >"$dir/$lock"
	git reftable clean --remove-stale-locks >"$TEST_TMP/f.lock2.out" 2>&1 || fail "clean exited non-zero"
	[ -e "$dir/$lock" ] || fail "a fresh lock was removed"
	rm -f "$dir/$lock"
}

f_listed_untouched() {
	local dir=$TEST_TMP/a/.git/reftable
	cd "$TEST_TMP/a"
	expect_same "$TEST_TMP/f.list" "$dir/tables.list"
	(cd "$dir" && xargs md5sum <tables.list) >"$TEST_TMP/f.listed.md5.after"
	expect_same "$TEST_TMP/f.listed.md5" "$TEST_TMP/f.listed.md5.after"
	snapshot "$TEST_TMP/f.after"
	same_snapshot "$TEST_TMP/f.before" "$TEST_TMP/f.after"
	refs_verify_clean
}

test_case "a: Git builds a long SHA-1 stack (branches, tags, symref, deletions, reflogs)" a_build
test_case "a: compact --all leaves exactly one table and no other file" a_compact_all
test_case "a: Git reads the same refs (for-each-ref --include-root-refs, show-ref -d, dump refs)" a_refs_same
test_case "a: Git reads the same reflogs (reflog list/show/exists incl. deleted refs, dump logs)" a_logs_same
test_case "a: git refs verify is clean after compact --all" a_verify
test_case "a: Git writes on the compacted stack exactly as on an uncompacted copy" a_git_keeps_writing
test_case "a: git pack-refs on both gives the same refs and reflogs; compact --all keeps them" a_git_pack_refs
test_case "b: Git builds a stack that is not geometric" b_build
test_case "b: compact --auto --dry-run (and --all --dry-run) changes no file" b_dry_run
test_case "b: compact --auto compacts a segment, not the large oldest table" b_auto
test_case "b: after compact --auto the stack is geometric; a second --auto has nothing to do" b_geometric
test_case "b: Git reads the same refs and reflogs after compact --auto" b_refs_same
test_case "c: Git builds a long SHA-256 stack" c_build
test_case "c: SHA-256: compact --all, Git reads back the same refs and reflogs and writes on" c_compact
test_case "d: Git builds a repository with a linked worktree (own stack)" d_build
test_case "d: compact --all compacts the main and the worktree stack" d_compact
test_case "d: Git reads the same refs in the worktree (rev-parse HEAD) and the main repo" d_reads_back
test_case "d: compact from inside the worktree handles both stacks" d_from_worktree
test_case "e: tables.list.lock held: compact --all exits 1 (busy), changes nothing" e_list_lock
test_case "e: a table lock held: compact --all exits 1 (busy), changes nothing" e_table_lock
test_case "f: set up orphan, temp file, stale lock, fresh orphan, symlink" f_setup
test_case "f: clean --dry-run removes nothing" f_dry_run
test_case "f: clean removes old orphan and temp file, keeps and reports the stale lock" f_clean
test_case "f: clean keeps a fresh orphan (grace) and one beyond the stack's update index" f_fresh_and_foreign_kept
test_case "f: clean never follows a symlink named like a table" f_symlink
test_case "f: clean --remove-stale-locks removes the stale lock, not a fresh one" f_remove_stale_locks
test_case "f: listed tables untouched; Git reads the same refs and reflogs" f_listed_untouched
