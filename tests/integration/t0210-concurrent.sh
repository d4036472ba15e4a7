#!/usr/bin/env bash
# t0210: our compaction runs while Git writes, and Git loses nothing.
#
# Three Git writer loops run for about 30 seconds, each creating, updating
# and deleting its own branches with `git update-ref` (writers 1 and 2 with
# Git's auto-compaction off, so that the stack grows and we have work;
# writer 3 with Git's auto-compaction on, so that Git's compaction races
# with ours). Each writer logs an update only when update-ref exited 0, and
# logs every failure with its stderr. Meanwhile we run `git reftable compact
# --auto` in a loop, `--all` every few rounds; "busy" exits (1) are allowed,
# nothing else is.
#
# Failures and compaction runs are logged with their times ($EPOCHREALTIME).
#
# Afterwards every update a writer saw succeed must be visible with its
# value (deleted refs absent, and without a reflog), each surviving ref has
# one reflog entry per successful update, no Git command failed, and `git
# refs verify` is clean, before and after a last compaction of everything.
#
# Locks: Git's writers wait up to reftable.lockTimeout for tables.list.lock.
# At its default (100 ms) they occasionally time out on *each other* when
# several write flat out (measured here: 3 of ~4400 updates in 15 s with no
# compaction at all), so zero failures at 100 ms would test Git, not us.
# The test therefore checks the two halves separately: (1) Git's writers
# wait up to RT_GIT_LOCK_TIMEOUT (1 s) and none may fail: a failure means a
# lock was held for a second, a real stall; (2) every hold of
# tables.list.lock by our compaction, as it reports it, stays below Git's
# default timeout of 100 ms, so no Git write with default settings can time
# out because of us.
. "$(dirname "$0")/../lib.sh"

DURATION=${RT_CONCURRENT_SECONDS:-30}
# Pauses (seconds) between a writer's updates and between our runs: short,
# to keep tables.list.lock busy.
WRITER_PAUSE=${RT_WRITER_PAUSE:-0.005}
COMPACT_PAUSE=${RT_COMPACT_PAUSE:-0.02}
GIT_LOCK_TIMEOUT=${RT_GIT_LOCK_TIMEOUT:-1000}
# RT_COMPACTOR=git runs `git pack-refs` instead of us: a baseline for how
# often Git's writers time out against Git's own compaction on this machine.
COMPACTOR=${RT_COMPACTOR:-ours}
W=$TEST_TMP/work

# Writer $1: until $2 (epoch seconds), create refs/heads/w<k>-<n> at a
# commit, every third round move the previous ref to another commit, every
# fifth round delete one of its own older refs. Logs, one line each:
#   set <ref> <oid>      update-ref exited 0
#   del <ref>            update-ref -d exited 0
#   FAIL <command...>    followed by its stderr, indented
writer() {
	local k=$1 end=$2 n=0 ref oid rc victim
	local -a commits
	local -A alive=()
	mapfile -t commits <"$W/commits"
	local log=$W/writer$k.log
	: >"$log"
	while [ "$(date +%s)" -lt "$end" ]; do
		sleep "$WRITER_PAUSE"
		n=$((n + 1))
		ref=refs/heads/w$k-$n
		oid=${commits[$((n % ${#commits[@]}))]}
		rc=0
		git update-ref -m "w$k create $n" "$ref" "$oid" 2>"$W/writer$k.err" || rc=$?
		if [ "$rc" -eq 0 ]; then
			echo "set $ref $oid" >>"$log"
			alive[$ref]=1
		else
			{ echo "FAIL update-ref $ref $oid (exit $rc) at $EPOCHREALTIME"; sed 's/^/    /' "$W/writer$k.err"; } >>"$log"
		fi
		if [ $((n % 3)) -eq 0 ] && [ -n "${alive[refs/heads/w$k-$((n - 1))]:-}" ]; then
			ref=refs/heads/w$k-$((n - 1))
			oid=${commits[$(((n + 2) % ${#commits[@]}))]}
			rc=0
			git update-ref -m "w$k move $((n - 1))" "$ref" "$oid" 2>"$W/writer$k.err" || rc=$?
			if [ "$rc" -eq 0 ]; then
				echo "set $ref $oid" >>"$log"
			else
				{ echo "FAIL update-ref $ref $oid (exit $rc) at $EPOCHREALTIME"; sed 's/^/    /' "$W/writer$k.err"; } >>"$log"
			fi
		fi
		if [ $((n % 5)) -eq 0 ] && [ -n "${alive[refs/heads/w$k-$((n - 4))]:-}" ]; then
			victim=refs/heads/w$k-$((n - 4))
			rc=0
			git update-ref -d "$victim" 2>"$W/writer$k.err" || rc=$?
			if [ "$rc" -eq 0 ]; then
				echo "del $victim" >>"$log"
				unset "alive[$victim]"
			else
				{ echo "FAIL update-ref -d $victim (exit $rc) at $EPOCHREALTIME"; sed 's/^/    /' "$W/writer$k.err"; } >>"$log"
			fi
		fi
	done
}

setup_repo() {
	mkdir -p "$W"
	git init -q --ref-format=reftable "$TEST_TMP/repo"
	cd "$TEST_TMP/repo"
	git config reftable.lockTimeout "$GIT_LOCK_TIMEOUT"
	local i
	for i in 1 2 3 4 5 6 7; do
		git commit -q --allow-empty -m "c$i"
	done
	git rev-list HEAD >"$W/commits"
	[ "$(wc -l <"$W/commits")" -eq 7 ] || fail "test setup: expected 7 commits"
	[ "$(git config reftable.lockTimeout)" = "$GIT_LOCK_TIMEOUT" ] ||
		fail "test setup: lockTimeout not set"
}

run_concurrently() {
	cd "$TEST_TMP/repo"
	local end pids=() k start
	start=$(date +%s)
	end=$((start + DURATION))
	(export GIT_TEST_REFTABLE_AUTOCOMPACTION=false; writer 1 "$end") &
	pids+=($!)
	(export GIT_TEST_REFTABLE_AUTOCOMPACTION=false; writer 2 "$end") &
	pids+=($!)
	(writer 3 "$end") &
	pids+=($!)
	(
		# Signal the compactor when all writers are done.
		for k in "${pids[@]}"; do
			while kill -0 "$k" 2>/dev/null; do sleep 0.2; done
		done
	) &
	local watcher=$!
	# Our side: compact until the writers are gone; one log line per run:
	#   <mode> <exit> <output>
	(
		i=0
		: >"$W/compactor.log"
		while kill -0 "$watcher" 2>/dev/null; do
			i=$((i + 1))
			mode=--auto
			[ $((i % 4)) -eq 0 ] && mode=--all
			rc=0
			t0=$EPOCHREALTIME
			if [ "$COMPACTOR" = git ]; then
				# Diagnosis only: Git's own compaction as the baseline.
				git pack-refs $mode >"$W/compact.out" 2>&1 || rc=$?
				[ "$rc" -ne 0 ] || echo "main: compacted tables (git pack-refs)" >>"$W/compact.out"
			else
				git reftable compact $mode >"$W/compact.out" 2>&1 || rc=$?
			fi
			echo "$mode $rc $(tr '\n' ' ' <"$W/compact.out")[$t0 - $EPOCHREALTIME]" >>"$W/compactor.log"
			sleep "$COMPACT_PAUSE"
		done
	) &
	local comp=$!
	for k in "${pids[@]}"; do
		wait "$k" || fail "writer (pid $k) exited with $?"
	done
	wait "$watcher"
	wait "$comp" || fail "compaction loop exited with $?"
	{
		echo "ran $(($(date +%s) - start)) s; Git writes: $(cat "$W"/writer*.log | grep -c '^set '), deletions: $(cat "$W"/writer*.log | grep -c '^del '), failures: $(cat "$W"/writer*.log | grep -c '^FAIL')"
		echo "our runs: $(wc -l <"$W/compactor.log"), compactions done: $(grep -c ': compacted tables' "$W/compactor.log"), busy exits: $(grep -c '^--a[a-z]* 1 .*busy' "$W/compactor.log")"
		grep -o 'held [0-9.]* ms at most' "$W/compactor.log" | awk '$2 > m { m = $2 } $2 >= 100 { n++ }
			END { print "our longest tables.list.lock hold: " m + 0 " ms; holds >= 100 ms: " n + 0 }'
		echo "tables now: $(wc -l <.git/reftable/tables.list)"
	} | tee "$TEST_TMP/summary"
}

# Progress, not speed (a loaded machine makes fewer updates in the same
# time): every writer got through many updates, and none was starved
# while the others ran, i.e. each made at least a quarter of the most.
writers_did_work() {
	local k sets min= max=0
	for k in 1 2 3; do
		sets=$(grep -c '^set ' "$W/writer$k.log" || true)
		echo "writer $k: $sets successful updates, $(grep -c '^del ' "$W/writer$k.log" || true) deletions"
		[ "$sets" -ge 20 ] || fail "writer $k made only $sets updates"
		[ -n "$min" ] && [ "$min" -le "$sets" ] || min=$sets
		[ "$max" -ge "$sets" ] || max=$sets
	done
	[ $((min * 4)) -ge "$max" ] ||
		fail "a writer was starved: $min updates against $max"
}

we_compacted() {
	local ndone busy
	ndone=$(grep -c ': compacted tables' "$W/compactor.log" || true)
	busy=$(awk '$2 == 1' "$W/compactor.log" | grep -c 'busy' || true)
	echo "our compactions done: $ndone, busy exits: $busy, runs: $(wc -l <"$W/compactor.log")"
	awk '$2 != 0 && !($2 == 1 && /busy/)' "$W/compactor.log" >"$W/compactor.bad"
	if [ -s "$W/compactor.bad" ]; then
		head -n 20 "$W/compactor.bad" >&2
		fail "$(wc -l <"$W/compactor.bad") compaction runs failed other than busy"
	fi
	[ "$ndone" -ge 5 ] || fail "only $ndone compactions actually compacted something"
	grep -q '^--all 0 .*compacted' "$W/compactor.log" || fail "no compact --all succeeded during the writes"
}

no_git_failures() {
	cat "$W"/writer*.log | grep -A3 '^FAIL' >"$W/failures" || true
	local n locks
	n=$(grep -c '^FAIL' "$W/failures" || true)
	locks=$(grep -ciE 'cannot lock|unable to create|lock' "$W/failures" || true)
	echo "Git failures: $n (lock related lines: $locks)"
	if [ "$n" -gt 0 ]; then
		head -n 40 "$W/failures" >&2
		fail "$n Git updates failed ($locks lines mention locks)"
	fi
}

# Every hold our compaction reports must be below Git's default timeout.
short_lock_holds() {
	local holds max
	holds=$(grep -c 'held [0-9.]* ms at most' "$W/compactor.log" || true)
	max=$(grep -o 'held [0-9.]* ms at most' "$W/compactor.log" |
		awk '$2 > m { m = $2 } END { print m + 0 }')
	echo "compactions reporting a hold: $holds; longest hold: $max ms"
	[ "$holds" -ge 5 ] || fail "only $holds compactions reported a hold time"
	awk -v m="$max" 'BEGIN { exit !(m < 100) }' ||
		fail "tables.list.lock held $max ms, not below Git's 100 ms"
}

# The refs Git shows must be what the writers' logs say: the last `set` of
# each ref, minus those whose last operation was `del`. Refs touched by a
# failed command are left out (their state is unknown; counted above).
expected_state() {
	cat "$W"/writer*.log | awk '
		$1 == "FAIL" { bad[$3 == "-d" ? $4 : $3] = 1; next }
		/^ / { next }
		$1 == "set" { v[$2] = $3; sets[$2]++ }
		$1 == "del" { delete v[$2]; dead[$2] = 1 }
		END {
			for (r in v) if (!(r in bad)) print r, v[r] > "'"$W"'/expect.refs.unsorted"
			for (r in dead) if (!(r in bad) && !(r in v)) print r > "'"$W"'/expect.dead.unsorted"
			for (r in v) if (!(r in bad)) print r, sets[r] > "'"$W"'/expect.logcounts.unsorted"
			for (r in bad) print r > "'"$W"'/unknown.unsorted"
		}'
	touch "$W/expect.dead.unsorted" "$W/unknown.unsorted"
	LC_ALL=C sort "$W/expect.refs.unsorted" >"$W/expect.refs"
	LC_ALL=C sort "$W/expect.dead.unsorted" >"$W/expect.dead"
	LC_ALL=C sort "$W/expect.logcounts.unsorted" >"$W/expect.logcounts"
	LC_ALL=C sort "$W/unknown.unsorted" >"$W/unknown"
}

check_refs() {
	cd "$TEST_TMP/repo"
	expected_state
	git for-each-ref --format='%(refname) %(objectname)' 'refs/heads/w*' |
		LC_ALL=C join -v1 - "$W/unknown" >"$W/actual.refs" || fail "git for-each-ref failed"
	echo "$(wc -l <"$W/expect.refs") refs expected, $(wc -l <"$W/expect.dead") deleted"
	[ "$(wc -l <"$W/expect.dead")" -ge 10 ] || fail "test setup: too few deletions"
	expect_same "$W/expect.refs" "$W/actual.refs"
	# Deleted refs: absent and without reflog.
	git reflog list | LC_ALL=C sort >"$W/reflog.list"
	LC_ALL=C comm -12 "$W/expect.dead" "$W/reflog.list" >"$W/dead.with.log"
	[ ! -s "$W/dead.with.log" ] || { head "$W/dead.with.log" >&2; fail "deleted refs still have reflogs"; }
}

check_reflogs() {
	cd "$TEST_TMP/repo"
	expected_state
	# Reflog entry counts per surviving ref, from our dump (one line per
	# entry), cross-checked against git reflog show for a sample.
	git reftable dump logs >"$W/dump.logs" || fail "git reftable dump logs failed"
	awk -F'\t' '$1 ~ /^refs\/heads\/w/ { c[$1]++ } END { for (r in c) print r, c[r] }' "$W/dump.logs" |
		LC_ALL=C sort | LC_ALL=C join -v1 - "$W/unknown" >"$W/actual.logcounts"
	expect_same "$W/expect.logcounts" "$W/actual.logcounts"
	local ref count
	awk 'NR % 97 == 1' "$W/expect.logcounts" | while read -r ref count; do
		[ "$(git reflog show "$ref" -- | wc -l)" -eq "$count" ] ||
			fail "git reflog show $ref has not $count entries"
	done
}

verify_clean() {
	cd "$TEST_TMP/repo"
	git refs verify >"$W/verify.out" 2>&1 || { cat "$W/verify.out" >&2; fail "git refs verify exited non-zero"; }
	[ ! -s "$W/verify.out" ] || { cat "$W/verify.out" >&2; fail "git refs verify printed something"; }
	# No leftovers of anybody's compaction: only listed tables, no locks, no temp files.
	(cd .git/reftable && ls -A) | LC_ALL=C sort >"$W/dir.ls"
	{ echo tables.list; cat .git/reftable/tables.list; } | LC_ALL=C sort >"$W/dir.expect"
	expect_same "$W/dir.expect" "$W/dir.ls"
}

final_compact() {
	cd "$TEST_TMP/repo"
	git reftable compact --all || fail "final compact --all failed"
	[ "$(wc -l <.git/reftable/tables.list)" -eq 1 ] || fail "more than one table after compact --all"
}

test_case "setup: a SHA-1 repository, Git writers wait ${GIT_LOCK_TIMEOUT} ms for locks" setup_repo
test_case "3 Git writers for ${DURATION}s while we compact (--auto, every 4th --all)" run_concurrently
# The counts as TAP comments, shown by `RT_VERBOSE=1 make check`.
[ ! -f "$TEST_TMP/summary" ] || sed 's/^/# /' "$TEST_TMP/summary"
test_case "each writer made progress" writers_did_work
test_case "our compaction compacted repeatedly; its only failures were busy exits" we_compacted
test_case "no Git update failed (none waited ${GIT_LOCK_TIMEOUT} ms for a lock)" no_git_failures
test_case "our tables.list.lock holds all stayed below Git's default 100 ms timeout" short_lock_holds
test_case "every successful update is visible with its value; deleted refs are gone" check_refs
test_case "each surviving ref has one reflog entry per successful update" check_reflogs
test_case "git refs verify clean; no stray tables, locks or temp files" verify_clean
test_case "a final compact --all leaves one table" final_compact
test_case "after the final compaction: refs unchanged" check_refs
test_case "after the final compaction: reflogs unchanged" check_reflogs
test_case "after the final compaction: git refs verify clean" verify_clean
