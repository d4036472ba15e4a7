#!/usr/bin/env bash
# t0220: `git reftable compact` killed with SIGKILL at random points loses
# nothing, and `git reftable clean` tidies up exactly what it left behind.
#
# Git builds a stack of 31 tables (3000 branches updated in every one, so
# 90000 reflog entries, plus 100 new tags per table) with auto-compaction
# off. Uninterrupted runs of `compact --all` on copies give its duration. Then,
# for each trial, a fresh copy is compacted in the background and killed
# with SIGKILL: a quarter of the trials after a random delay within that
# duration, a quarter within its last quarter, a quarter right after the
# temp table has been renamed into place (tables.list not yet committed), a
# quarter right after tables.list names the new table (old tables being
# unlinked, locks released). Afterwards:
#   - Git reads every ref as before (for-each-ref, sample reflogs), and
#     `git refs verify` is clean, whatever the kill left behind;
#   - with what it left backdated a minute (the smallest ages clean
#     accepts are 10 s), `clean --grace=10 --stale-lock-age=10
#     --remove-stale-locks` removes only
#     files tables.list does not name, and leaves no temp file, no lock and
#     no unlisted table; every listed table still exists; Git still reads
#     every ref;
#   - a new `compact --all` succeeds and the refs are still the same.
# Trials killed mid-run and trials that finished before the kill are both
# fine; the counts (and what the kills left behind) go to the test log.
. "$(dirname "$0")/../lib.sh"

TRIALS=${RT_CRASH_TRIALS:-30}
export GIT_TEST_REFTABLE_AUTOCOMPACTION=false

table_re='^0x[0-9a-f]{12}-0x[0-9a-f]{12}-[0-9a-f]{8}\.ref$'

# Git's view of the repository in the current directory, on stdout.
git_view() {
	git for-each-ref --include-root-refs --format='%(objectname) %(refname) %(symref)' ||
		fail "git for-each-ref failed in $PWD"
	local r
	for r in refs/heads/r0001 refs/heads/r1500 refs/heads/r3000 HEAD; do
		echo "== reflog $r"
		git reflog show --format='%H %gs' "$r" -- || fail "git reflog show $r failed in $PWD"
	done
}

# Exit status and output of `git refs verify` in the current directory.
refs_verify() {
	local rc=0
	git refs verify >"$1" 2>&1 || rc=$?
	echo "exit $rc" >>"$1"
}

# Names of the files in the reftable directory of the current repository.
files() {
	(cd .git/reftable && ls -A) | LC_ALL=C sort
}

build() {
	local t c
	git init -q --ref-format=reftable "$TEST_TMP/base"
	cd "$TEST_TMP/base"
	git commit -q --allow-empty -m one
	git commit -q --allow-empty -m two
	git rev-parse HEAD HEAD~1 >"$TEST_TMP/commits"
	for t in $(seq 1 30); do
		c=$(sed -n "$((t % 2 + 1))p" "$TEST_TMP/commits")
		awk -v c="$c" -v t="$t" 'BEGIN {
			for (i = 1; i <= 3000; i++) printf "update refs/heads/r%04d %s\n", i, c
			for (i = 1; i <= 100; i++) printf "create refs/tags/t%02d-%03d %s\n", t, i, c }' |
			git update-ref -m "round $t" --stdin
	done
	[ "$(wc -l <.git/reftable/tables.list)" -ge 30 ] || fail "test setup: expected >= 30 tables"
	git_view >"$TEST_TMP/view.expect"
	[ "$(grep -c ' refs/' "$TEST_TMP/view.expect")" -ge 6000 ] || fail "test setup: expected >= 6000 refs"
	[ "$(grep -c 'round' "$TEST_TMP/view.expect")" -ge 90 ] || fail "test setup: reflogs missing"
	refs_verify "$TEST_TMP/verify.base"
	echo "exit 0" >"$TEST_TMP/verify.expect"
	expect_same "$TEST_TMP/verify.expect" "$TEST_TMP/verify.base"
	du -sk .git/reftable
}

# Three uninterrupted runs on copies: the median duration bounds the kill
# delays.
measure() {
	local start end ms r
	for r in 1 2 3; do
		rm -rf "$TEST_TMP/measure"
		cp -a "$TEST_TMP/base" "$TEST_TMP/measure"
		cd "$TEST_TMP/measure"
		start=$(date +%s%N)
		git-reftable compact --all >"$TEST_TMP/measure.out" 2>&1 || { cat "$TEST_TMP/measure.out"; fail "compact --all failed"; }
		end=$(date +%s%N)
		ms=$(((end - start) / 1000000))
		cat "$TEST_TMP/measure.out"
		echo "compact --all took $ms ms"
		echo "$ms" >>"$TEST_TMP/durations"
		[ "$(wc -l <.git/reftable/tables.list)" -eq 1 ] || fail "measured run did not leave one table"
		git_view >"$TEST_TMP/view.measure"
		expect_same "$TEST_TMP/view.expect" "$TEST_TMP/view.measure"
		cd "$TEST_TMP"
	done
	rm -rf "$TEST_TMP/measure"
	ms=$(sort -n "$TEST_TMP/durations" | sed -n 2p)
	[ "$ms" -ge 20 ] || fail "test setup: compaction too fast ($ms ms) to be interrupted"
	echo "$ms" >"$TEST_TMP/duration"
}

# All trials. Each leaves its evidence in $TEST_TMP/trial.<n>/; the checks
# below read it. Only the last trial's repository is kept.
run_trials() {
	local dur n delay pid rc d seen first orig
	dur=$(cat "$TEST_TMP/duration")
	for n in $(seq 1 "$TRIALS"); do
		d=$TEST_TMP/trial.$n
		mkdir -p "$d"
		rm -rf "$TEST_TMP/repo"
		cp -a "$TEST_TMP/base" "$TEST_TMP/repo"
		cd "$TEST_TMP/repo"
		files >"$d/files.orig"
		# The dashed form: `git reftable` would run it as a child of git,
		# and SIGKILL would only hit git.
		git-reftable compact --all >"$d/compact.out" 2>&1 &
		pid=$!
		case $((n % 4)) in
		1) # anywhere in the run
			delay=$((RANDOM % dur))
			sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
			;;
		2) # in its last quarter
			delay=$((dur * 3 / 4 + RANDOM % (dur / 4 + 1)))
			sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
			;;
		3) # as soon as the temp table is gone (renamed into place)
			delay=rename
			seen=
			while kill -0 "$pid" 2>/dev/null; do
				set -- .git/reftable/*.temp.*
				if [ -e "$1" ]; then
					seen=1
				elif [ -n "$seen" ]; then
					break
				fi
			done
			;;
		0) # as soon as tables.list names the new table
			delay=commit
			read -r first <.git/reftable/tables.list
			orig=$first
			while kill -0 "$pid" 2>/dev/null; do
				read -r first <.git/reftable/tables.list || true
				[ "$first" = "$orig" ] || break
			done
			;;
		esac
		kill -9 "$pid" 2>/dev/null || true
		rc=0
		{ wait "$pid"; } 2>/dev/null || rc=$? # no "Killed" note from bash
		case $delay in
		[0-9]*) echo "$delay ms" ;;
		*) echo "at $delay" ;;
		esac >"$d/delay"
		echo "$rc" >"$d/killed.rc"

		# What the kill left behind.
		files >"$d/files.killed"
		cp .git/reftable/tables.list "$d/list.killed"
		git_view >"$d/view.killed" 2>&1 || true
		refs_verify "$d/verify.killed"

		# Clean up after it.
		rc=0
		touch -d '1 minute ago' .git/reftable/*
		git reftable clean --grace=10 --stale-lock-age=10 --remove-stale-locks >"$d/clean.out" 2>&1 || rc=$?
		echo "$rc" >"$d/clean.rc"
		files >"$d/files.cleaned"
		cp .git/reftable/tables.list "$d/list.cleaned"
		git_view >"$d/view.cleaned" 2>&1 || true
		refs_verify "$d/verify.cleaned"

		# Compact for real.
		rc=0
		git reftable compact --all >"$d/compact2.out" 2>&1 || rc=$?
		echo "$rc" >"$d/compact2.rc"
		files >"$d/files.final"
		cp .git/reftable/tables.list "$d/list.final"
		git_view >"$d/view.final" 2>&1 || true
		refs_verify "$d/verify.final"
		cd "$TEST_TMP"
	done
	summary
}

summary() {
	local n d killed=0 finished=0 other=0 rc
	local lock=0 tlock=0 temp=0 unlisted=0 committed=0
	for n in $(seq 1 "$TRIALS"); do
		d=$TEST_TMP/trial.$n
		rc=$(cat "$d/killed.rc")
		case $rc in
		137) killed=$((killed + 1)) ;;
		0) finished=$((finished + 1)) ;;
		*) other=$((other + 1)) ;;
		esac
		grep -qx tables.list.lock "$d/files.killed" && lock=$((lock + 1))
		grep -q '\.ref\.lock$' "$d/files.killed" && tlock=$((tlock + 1))
		grep -q '\.temp\.' "$d/files.killed" && temp=$((temp + 1))
		grep -E "$table_re" "$d/files.killed" | LC_ALL=C sort | LC_ALL=C comm -23 - <(LC_ALL=C sort "$d/list.killed") | grep -q . &&
			unlisted=$((unlisted + 1))
		[ "$rc" -eq 137 ] && [ "$(wc -l <"$d/list.killed")" -eq 1 ] && committed=$((committed + 1))
		echo "trial $n: delay $(cat "$d/delay"), exit $rc, tables listed $(wc -l <"$d/list.killed"), files $(wc -l <"$d/files.killed")"
	done
	{
		echo "trials: $TRIALS; killed mid-run: $killed; finished before the kill: $finished; other exit: $other"
		echo "left behind by the kill: tables.list.lock in $lock, table locks in $tlock, temp files in $temp, unlisted tables in $unlisted; killed after committing the new list: $committed"
	} | tee "$TEST_TMP/summary"
	[ "$other" -eq 0 ] || fail "$other trials ended with neither SIGKILL nor success"
	[ "$killed" -ge 1 ] || fail "no trial was killed mid-run"
}

# Run check function $1 on every trial; report all failing trials.
each_trial() {
	local n bad=0 rc
	for n in $(seq 1 "$TRIALS"); do
		# Not in a condition: errexit must stay on inside the subshell.
		set +e
		(
			set -e
			"$1" "$TEST_TMP/trial.$n"
		)
		rc=$?
		set -e
		if [ "$rc" -ne 0 ]; then
			echo "  ^ trial $n (delay $(cat "$TEST_TMP/trial.$n/delay"), exit $(cat "$TEST_TMP/trial.$n/killed.rc"))" >&2
			bad=$((bad + 1))
		fi
	done
	[ "$bad" -eq 0 ] || fail "$bad of $TRIALS trials failed"
}

killed_reads_same() { expect_same "$TEST_TMP/view.expect" "$1/view.killed"; }
killed_verify_clean() { expect_same "$TEST_TMP/verify.expect" "$1/verify.killed"; }

clean_succeeded() {
	[ "$(cat "$1/clean.rc")" -eq 0 ] || { cat "$1/clean.out" >&2; fail "clean exited $(cat "$1/clean.rc")"; }
	# clean never changes tables.list.
	expect_same "$1/list.killed" "$1/list.cleaned"
}

clean_removed_only_unlisted() {
	LC_ALL=C comm -23 "$1/files.killed" "$1/files.cleaned" >"$1/removed"
	LC_ALL=C sort "$1/list.killed" >"$1/list.sorted"
	LC_ALL=C comm -12 "$1/removed" "$1/list.sorted" >"$1/removed.listed"
	[ ! -s "$1/removed.listed" ] || { cat "$1/removed.listed" >&2; fail "clean removed listed tables"; }
	grep -qx tables.list "$1/removed" && fail "clean removed tables.list"
	# What it says it removed is what is gone.
	sed -n 's/^main: removed [a-z ]* \([^ ]*\) (age [0-9]* s)$/\1/p' "$1/clean.out" | LC_ALL=C sort >"$1/removed.reported"
	expect_same "$1/removed" "$1/removed.reported"
}

clean_left_nothing() {
	local name
	grep -E '\.temp\.|\.lock$' "$1/files.cleaned" >&2 && fail "temp or lock files remain after clean"
	while read -r name; do
		[ -n "$name" ] || continue
		grep -qxF "$name" "$1/files.cleaned" || fail "listed table $name is missing"
	done <"$1/list.cleaned"
	{ echo tables.list; cat "$1/list.cleaned"; } | LC_ALL=C sort >"$1/expect.files"
	expect_same "$1/expect.files" "$1/files.cleaned"
}

cleaned_reads_same() {
	expect_same "$TEST_TMP/view.expect" "$1/view.cleaned"
	expect_same "$TEST_TMP/verify.expect" "$1/verify.cleaned"
}

final_compact_ok() {
	[ "$(cat "$1/compact2.rc")" -eq 0 ] || { cat "$1/compact2.out" >&2; fail "compact --all after clean exited $(cat "$1/compact2.rc")"; }
	[ "$(wc -l <"$1/list.final")" -eq 1 ] || fail "compact --all after clean left $(wc -l <"$1/list.final") tables"
	{ echo tables.list; cat "$1/list.final"; } | LC_ALL=C sort >"$1/expect.final"
	expect_same "$1/expect.final" "$1/files.final"
	expect_same "$TEST_TMP/view.expect" "$1/view.final"
	expect_same "$TEST_TMP/verify.expect" "$1/verify.final"
}

all_killed_reads_same() { each_trial killed_reads_same; }
all_killed_verify_clean() { each_trial killed_verify_clean; }
all_clean_succeeded() { each_trial clean_succeeded; }
all_clean_removed_only_unlisted() { each_trial clean_removed_only_unlisted; }
all_clean_left_nothing() { each_trial clean_left_nothing; }
all_cleaned_reads_same() { each_trial cleaned_reads_same; }
all_final_compact_ok() { each_trial final_compact_ok; }

test_case "Git builds 31 tables: 3000 branches updated in each (90000 reflog entries), 3000 tags" build
test_case "uninterrupted compact --all (3 runs) gives the kill window and the same refs" measure
test_case "$TRIALS trials: compact --all killed with SIGKILL after a random delay, then clean, then compact" run_trials
# The counts as TAP comments, shown by `RT_VERBOSE=1 make check`.
[ ! -f "$TEST_TMP/summary" ] || sed 's/^/# /' "$TEST_TMP/summary"
test_case "after the kill: Git reads every ref and sample reflogs as before (all trials)" \
	all_killed_reads_same
test_case "after the kill: git refs verify is clean (all trials)" all_killed_verify_clean
test_case "clean exits 0 and leaves tables.list alone (all trials)" all_clean_succeeded
test_case "clean removed only files tables.list does not name, and reported each (all trials)" \
	all_clean_removed_only_unlisted
test_case "after clean: no temp file, no lock, no unlisted table; every listed table exists (all trials)" \
	all_clean_left_nothing
test_case "after clean: Git reads every ref as before; git refs verify clean (all trials)" \
	all_cleaned_reads_same
test_case "then compact --all succeeds: one table, same refs, verify clean (all trials)" \
	all_final_compact_ok
