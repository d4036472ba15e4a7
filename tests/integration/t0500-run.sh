#!/usr/bin/env bash
# t0500: `git reftable run`, the scheduler's plan carried out.
#
# Git leaves a long non-geometric stack (auto-compaction off) in the main
# repository and in a linked worktree. `run --dry-run` prints the plan and
# changes no file of the git dir; `run --auto` restores the geometric
# sequence in both stacks, Git reads every ref and reflog as before and
# `git refs verify` stays clean; a second `run --auto` plans nothing. With
# the run lock held (by flock(1), as another run would hold it), `run`
# exits 0 at once saying another run is active and changes nothing; a
# tables.list.lock held by "Git" makes compaction busy, exit 0. `--json`
# is one document with the stable fields; `--detach` returns before the
# work starts (its log is a FIFO nobody reads yet) and the work completes.
# `--auto` expires reflogs when its estimate says enough entries are past
# their age, in the same rewrite when the whole stack is compacted anyway;
# schedules are seen in dry runs.
. "$(dirname "$0")/../lib.sh"

export GIT_TEST_REFTABLE_AUTOCOMPACTION=false

# Git's weight of a table: its size less the footer and the header bar one.
overhead=$git_weight_overhead

# Reflog entries must not expire in (a) to (c): expiry is what (d) is
# about.
keep_reflogs() {
	printf '[reflog]\nexpire = never\nexpire-unreachable = never\n' \
		>"$(git rev-parse --git-common-dir)/reftable-policy.ini"
}

# Add $1 tables to the current stack, one ref each, named under $2
# (refs/worktree/ for a worktree's own stack).
many_tables() {
	local i
	for i in $(seq 1 "$1"); do
		git update-ref "${2:-refs/heads}/many-$RANDOM-$i" HEAD
	done
}

# A new repository in $1 (the current directory from then on) whose
# reflogs never expire, with one commit and $2 more tables.
new_repo() {
	git init -q --ref-format=reftable "$1"
	cd "$1"
	keep_reflogs
	git commit -q --allow-empty -m one
	many_tables "$2"
}

# Names, types, modes and checksums of everything under directory $1.
tree_state() {
	(cd "$1" && find . -printf '%y %m %p\n' | LC_ALL=C sort &&
		find . -type f -exec sha256sum {} + | LC_ALL=C sort -k 2)
}

# Git's view of refs and reflogs, into directory $1.
git_view() {
	mkdir -p "$1"
	git for-each-ref --include-root-refs \
		--format='%(objectname) %(refname) %(symref)' >"$1/refs"
	git reflog list | LC_ALL=C sort >"$1/loglist"
	while read -r ref; do
		git reflog show --date=raw --format='%H %gD %gs' "$ref" --
	done <"$1/loglist" >"$1/reflogs"
}

# Wait (up to 30 s) until command "$@" succeeds.
wait_for() {
	local i
	for i in $(seq 1 300); do
		"$@" && return 0
		sleep 0.1
	done
	fail "timed out waiting for: $*"
}

# --- (a) a main and a worktree stack that Git left long --------------------

a_setup() {
	git init -q --ref-format=reftable "$TEST_TMP/a"
	cd "$TEST_TMP/a"
	keep_reflogs
	git commit -q --allow-empty -m one
	git commit -q --allow-empty -m two
	git worktree add -q -b wt-branch ../a-wt HEAD~1
	many_tables 24
	(cd ../a-wt && many_tables 5 refs/worktree)
	[ "$(wc -l <.git/reftable/tables.list)" -ge 25 ] || fail "expected a long stack"
	[ "$(wc -l <.git/worktrees/a-wt/reftable/tables.list)" -ge 5 ] ||
		fail "expected a worktree stack of several tables"
	json_table_sizes main | geometric_holds $overhead && fail "test setup: already geometric"
	git_view "$TEST_TMP/a.before"
	(cd ../a-wt && git_view "$TEST_TMP/a-wt.before")
	refs_verify_clean
}

a_dry_run() {
	cd "$TEST_TMP/a"
	tree_state .git >"$TEST_TMP/a.tree.before"
	git reftable run --auto --dry-run >"$TEST_TMP/out" || fail "run --auto --dry-run exited non-zero"
	cat "$TEST_TMP/out"
	grep -q '^main: compact: due: geometric rule violated: table [0-9]* (.*) < 2 x table ' "$TEST_TMP/out" ||
		fail "the plan does not say the geometric rule is violated"
	grep -q '^a-wt: compact: due: ' "$TEST_TMP/out" || fail "no plan for the worktree's stack"
	grep -q '^main: clean: skipped: nothing to clean$' "$TEST_TMP/out" || fail "clean: unexpected plan"
	grep -q '^main: expire: skipped: the policy keeps every reflog entry' "$TEST_TMP/out" ||
		fail "expire: unexpected plan"
	grep -q 'tasks due (dry run: nothing changed)$' "$TEST_TMP/out" || fail "no dry-run summary"
	# Also a plain dry run (every task) and one in JSON.
	git reftable run --dry-run >/dev/null || fail "run --dry-run exited non-zero"
	git reftable run --dry-run --json >"$TEST_TMP/dry.json" || fail "run --dry-run --json failed"
	jq -e '.dry_run == true and .status == "ok"' "$TEST_TMP/dry.json" >/dev/null ||
		fail "dry-run JSON header"
	json_task_is "$TEST_TMP/dry.json" '.status == "due"' compact || fail "dry-run JSON: compact not due"
	tree_state .git >"$TEST_TMP/a.tree.after"
	expect_same "$TEST_TMP/a.tree.before" "$TEST_TMP/a.tree.after"
}

a_run_auto() {
	cd "$TEST_TMP/a"
	git reftable run --auto --json >"$TEST_TMP/run.json" 2>"$TEST_TMP/run.err" ||
		fail "run --auto exited non-zero: $(cat "$TEST_TMP/run.err")"
	cat "$TEST_TMP/run.json"
	# One JSON document on one line: an object with the stable fields.
	[ "$(wc -l <"$TEST_TMP/run.json")" -eq 1 ] || fail "--json printed more than one line"
	jq -e '(keys_unsorted | .[0:5]) == ["git_dir", "trigger", "dry_run", "status", "stacks"] and
		(.git_dir | type) == "string" and .trigger == "auto" and .dry_run == false and
		.status == "ok" and .stacks[0].name == "main"' "$TEST_TMP/run.json" >/dev/null ||
		fail "unexpected JSON document"
	json_task_is "$TEST_TMP/run.json" '.status == "done" and
		(.reason | startswith("geometric rule violated")) and
		(.result | startswith("compacted tables ")) and
		(.duration_ms | type) == "number" and .bytes_rewritten > 0 and
		(.tables_before | type) == "number" and (.tables_after | type) == "number"' compact ||
		fail "no done compaction with its figures"
	jq -e '[.stacks[].name] | index("a-wt") != null' "$TEST_TMP/run.json" >/dev/null ||
		fail "no report for the worktree's stack"
	[ "$(jq '[.stacks[].tasks[] | select(.task == "compact" and .status == "done")] | length' \
		"$TEST_TMP/run.json")" -eq 2 ] || fail "expected both stacks compacted"
	json_table_sizes main | geometric_holds $overhead || fail "main: not geometric after run --auto"
	json_table_sizes a-wt | geometric_holds $overhead || fail "worktree: not geometric after run --auto"
	git reftable stats --json | jq -e 'all(.stacks[]; .compaction.due == false)' >/dev/null ||
		fail "stats still says compaction is due"
	git_view "$TEST_TMP/a.after"
	(cd ../a-wt && git_view "$TEST_TMP/a-wt.after")
	for f in refs loglist reflogs; do
		expect_same "$TEST_TMP/a.before/$f" "$TEST_TMP/a.after/$f"
		expect_same "$TEST_TMP/a-wt.before/$f" "$TEST_TMP/a-wt.after/$f"
	done
	refs_verify_clean
	(cd ../a-wt && refs_verify_clean)
	grep -A2 -x '\[compact\]' .git/reftable-maintenance.state | grep -qx 'outcome = done' ||
		fail "the state file does not record the compaction"
}

a_second_run() {
	cd "$TEST_TMP/a"
	tree_state .git >"$TEST_TMP/a.tree.before"
	git reftable run --auto >"$TEST_TMP/out" || fail "second run --auto exited non-zero"
	cat "$TEST_TMP/out"
	grep -qx 'nothing to do' "$TEST_TMP/out" || fail "the second run planned something"
	grep -q ': due\|: done' "$TEST_TMP/out" && fail "the second run did something"
	tree_state .git >"$TEST_TMP/a.tree.after"
	expect_same "$TEST_TMP/a.tree.before" "$TEST_TMP/a.tree.after"
}

a_schedule() {
	cd "$TEST_TMP/a"
	many_tables 3
	# Compaction ran just now: an hourly run skips it although it is needed.
	git reftable run --schedule=hourly --dry-run >"$TEST_TMP/out" || fail "run --schedule exited non-zero"
	cat "$TEST_TMP/out"
	grep -q '^main: compact: skipped: schedule hourly: last ran [0-9]* s ago, not yet due' "$TEST_TMP/out" ||
		fail "hourly: compaction should not be due yet"
	grep -q '^main: clean: skipped: schedule hourly: \[schedule\] clean is weekly$' "$TEST_TMP/out" ||
		fail "hourly: clean is weekly"
	# A manual run of the compaction only.
	git reftable run --task=compact >"$TEST_TMP/out" || fail "run --task=compact exited non-zero"
	grep -q '^main: clean: skipped: not requested (--task)$' "$TEST_TMP/out" || fail "clean was not left out"
	grep -q '^main: compact: done: requested; geometric rule violated' "$TEST_TMP/out" ||
		fail "compaction did not run: $(cat "$TEST_TMP/out")"
	refs_verify_clean
}

# --- (b) the run lock and busy stacks --------------------------------------

b_setup() {
	new_repo "$TEST_TMP/b" 6
}

b_run_lock_held() {
	cd "$TEST_TMP/b"
	local lock=.git/reftable-run.lock rc=0
	# Another run holds the lock: this shell takes it, as our runs do,
	# with flock(1) on fd 9 (closed for the commands it runs).
	exec 9>>"$lock"
	flock -n 9 || fail "test setup: cannot take the run lock"
	cp .git/reftable/tables.list "$TEST_TMP/list.before"
	timeout 10 git reftable run --auto >"$TEST_TMP/out" 2>"$TEST_TMP/err" 9>&- || rc=$?
	cat "$TEST_TMP/out" "$TEST_TMP/err"
	[ "$rc" -eq 0 ] || fail "run with the lock held exited $rc"
	grep -q 'another git reftable run.* is active; not running' "$TEST_TMP/err" ||
		fail "no 'another run is active' message"
	[ ! -s "$TEST_TMP/out" ] || fail "a busy run printed a report"
	timeout 10 git reftable run --auto --json >"$TEST_TMP/out" 2>/dev/null 9>&- || rc=$?
	[ "$rc" -eq 0 ] || fail "run --json with the lock held exited $rc"
	jq -e '.status == "busy" and (.reason | startswith("another git reftable run"))' \
		"$TEST_TMP/out" >/dev/null || fail "JSON of a busy run: $(cat "$TEST_TMP/out")"
	exec 9>&-
	expect_same "$TEST_TMP/list.before" .git/reftable/tables.list
	[ ! -e .git/reftable-maintenance.state ] || fail "a busy run wrote the state file"
	# Released: the next run works.
	git reftable run --auto >"$TEST_TMP/out" || fail "run after the lock was released failed"
	grep -q '^main: compact: done' "$TEST_TMP/out" || fail "run after release did not compact"
}

b_two_runs() {
	cd "$TEST_TMP/b"
	local rc1=0 rc2=0 p1
	many_tables 6
	# Two runs at once: one compacts; the other finds the lock taken (and
	# exits 0 at once) or, if it came second, nothing left to do.
	git reftable run --auto >"$TEST_TMP/r1.out" 2>"$TEST_TMP/r1.err" &
	p1=$!
	git reftable run --auto >"$TEST_TMP/r2.out" 2>"$TEST_TMP/r2.err" || rc2=$?
	wait "$p1" || rc1=$?
	cat "$TEST_TMP"/r[12].*
	[ "$rc1" -eq 0 ] && [ "$rc2" -eq 0 ] || fail "exit codes $rc1 and $rc2"
	[ "$(cat "$TEST_TMP/r1.out" "$TEST_TMP/r2.out" | grep -c '^main: compact: done')" -eq 1 ] ||
		fail "expected exactly one compaction"
	json_table_sizes main | geometric_holds $overhead || fail "not geometric after the two runs"
	refs_verify_clean
}

b_stack_busy() {
	cd "$TEST_TMP/b"
	local rc=0
	many_tables 4
	# "Git" holds tables.list.lock: the compaction is busy, not failed.
	: >.git/reftable/tables.list.lock
	cp .git/reftable/tables.list "$TEST_TMP/list.before"
	git reftable run --auto --json >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	rm -f .git/reftable/tables.list.lock
	cat "$TEST_TMP/out" "$TEST_TMP/err"
	[ "$rc" -eq 0 ] || fail "a busy stack made run exit $rc"
	json_task_is "$TEST_TMP/out" '.status == "busy" and
		(.reason | startswith("geometric rule violated")) and (.result | startswith("busy: "))' \
		compact || fail "compaction not reported busy"
	expect_same "$TEST_TMP/list.before" .git/reftable/tables.list
	grep -A2 -x '\[compact\]' .git/reftable-maintenance.state | grep -qx 'outcome = busy' ||
		fail "the state file does not say busy"
}

# max-bytes-per-run: a stack too large for one run is compacted in steps,
# each within the budget.
b_budget() {
	new_repo "$TEST_TMP/g" 12
	printf '[compaction]\nmax-bytes-per-run = 1k\n' >>.git/reftable-policy.ini
	git_view "$TEST_TMP/g.before"
	local n0 n1 n2 bytes
	n0=$(wc -l <.git/reftable/tables.list)
	git reftable run --auto --json >"$TEST_TMP/out" || fail "run 1 failed"
	cat "$TEST_TMP/out"
	json_task_is "$TEST_TMP/out" '.status == "done" and (.reason | test(
		"^geometric rule violated.*exceed the budget left \\(1024 bytes\\): compacting tables [0-9]+-[0-9]+ \\([0-9]+ tables, [^)]*\\) now, the rest in later runs$"))' \
		compact || fail "run 1: no partial compaction"
	bytes=$(jq '.stacks[0].tasks[] | select(.task == "compact") | .bytes_rewritten' "$TEST_TMP/out")
	[ "$bytes" -gt 0 ] && [ "$bytes" -le 1024 ] || fail "run 1 rewrote $bytes bytes"
	n1=$(wc -l <.git/reftable/tables.list)
	[ "$n1" -lt "$n0" ] || fail "run 1: $n0 tables before, $n1 after"
	git reftable run --auto >"$TEST_TMP/out" || fail "run 2 failed"
	grep -q '^main: compact: done: ' "$TEST_TMP/out" || fail "run 2 did not go on"
	n2=$(wc -l <.git/reftable/tables.list)
	[ "$n2" -lt "$n1" ] || fail "run 2: $n1 tables before, $n2 after"
	# Without the cap, one run finishes the job.
	sed -i '/max-bytes-per-run/d' .git/reftable-policy.ini
	git reftable run --auto >/dev/null || fail "run without budget failed"
	json_table_sizes main | geometric_holds $overhead || fail "not geometric in the end"
	git_view "$TEST_TMP/g.after"
	for f in refs loglist reflogs; do
		expect_same "$TEST_TMP/g.before/$f" "$TEST_TMP/g.after/$f"
	done
	refs_verify_clean
}

# --- (c) --detach ---------------------------------------------------------

c_detach() {
	new_repo "$TEST_TMP/c" 8
	cp .git/reftable/tables.list "$TEST_TMP/list.before"
	# The child waits for tables.list.lock, which we hold (open, as a live
	# writer does), for as long as it takes: so the parent has returned
	# before any work was done. (A FIFO as the log no longer holds it: a
	# FIFO log is refused.)
	git config reftable.lockTimeout -1
	exec 9>.git/reftable/tables.list.lock
	git reftable run --auto --detach >"$TEST_TMP/out" 2>"$TEST_TMP/err" ||
		fail "run --detach exited non-zero: $(cat "$TEST_TMP/err")"
	grep -q '^running in the background (pid [0-9]*); log: .*reftable-maintenance.log$' "$TEST_TMP/err" ||
		fail "no background message: $(cat "$TEST_TMP/err")"
	[ ! -s "$TEST_TMP/out" ] || fail "the parent printed a report"
	expect_same "$TEST_TMP/list.before" .git/reftable/tables.list
	rm .git/reftable/tables.list.lock
	exec 9>&-
	wait_for grep -q '^[0-9-]*T[0-9:]*Z main: compact: done' .git/reftable-maintenance.log
	cat .git/reftable-maintenance.log
	grep -q '^[0-9-]*T[0-9:]*Z --- git reftable run, pid [0-9]*$' .git/reftable-maintenance.log ||
		fail "no log header"
	wait_for test -s .git/reftable-maintenance.state
	git config --unset reftable.lockTimeout
	json_table_sizes main | geometric_holds $overhead || fail "not geometric after the detached run"
	refs_verify_clean
}

# --- (d) the expiry estimate of --auto --------------------------------------

# A new repository in $1 (the current directory from then on) with $2 refs
# created in one table, their reflog entries dated 2023 (lib.sh's dates)
# and so past the policy's 30-day expiry.
old_reflogs_repo() {
	git init -q --ref-format=reftable "$1"
	cd "$1"
	git commit -q --allow-empty -m one
	seq 1 "$2" | sed "s|.*|create refs/heads/old-& $(git rev-parse HEAD)|" |
		git update-ref --stdin
	printf '[reflog]\nexpire = 30 days\nexpire-unreachable = 30 days\n' >.git/reftable-policy.ini
}

d_estimate() {
	old_reflogs_repo "$TEST_TMP/d" 150
	git reftable run --auto --dry-run >"$TEST_TMP/out" || fail "dry run failed"
	cat "$TEST_TMP/out"
	grep -q '^main: expire: due: about 15[12] reflog entries are past expiry (threshold 100)$' "$TEST_TMP/out" ||
		fail "no expiry estimate"
	# Protected reflogs are not counted.
	printf 'protect = refs/heads/*\n' >>.git/reftable-policy.ini
	git reftable run --auto --dry-run >"$TEST_TMP/out" || fail "dry run failed"
	grep -q '^main: expire: skipped: about [0-9] reflog entr.* below the threshold 100$' "$TEST_TMP/out" ||
		fail "protected reflogs counted: $(grep expire "$TEST_TMP/out")"
}

d_expire() {
	cd "$TEST_TMP/d"
	sed -i '/^protect/d' .git/reftable-policy.ini
	git for-each-ref >"$TEST_TMP/d.refs.before"
	git reftable run --auto --json >"$TEST_TMP/out" || fail "run --auto failed"
	cat "$TEST_TMP/out"
	[ "$(wc -l <"$TEST_TMP/out")" -eq 1 ] || fail "more than the JSON document on stdout"
	json_task_is "$TEST_TMP/out" '.status == "done" and
		(.reason | test("^about 15[12] reflog entries are past expiry \\(threshold 100\\)$")) and
		(.result | test("^expired 15[12] of 15[12] entries"))' expire || fail "expiry not done"
	# Every entry was expired; the reflogs still exist (placeholders).
	[ -z "$(git reflog show refs/heads/old-7)" ] || fail "old-7 still has entries"
	git reflog exists refs/heads/old-7 || fail "old-7's reflog is gone"
	git for-each-ref >"$TEST_TMP/d.refs.after"
	expect_same "$TEST_TMP/d.refs.before" "$TEST_TMP/d.refs.after"
	refs_verify_clean
	grep -A2 -x '\[expire\]' .git/reftable-maintenance.state | grep -qx 'outcome = done' ||
		fail "the state file does not record the expiry"
	git reftable run --auto >"$TEST_TMP/out" || fail "second run failed"
	grep -q '^main: expire: skipped: about 0 reflog entries' "$TEST_TMP/out" ||
		fail "expiry due again: $(cat "$TEST_TMP/out")"
}

# Deletions above tombstone-ratio: the whole stack is rewritten, and the
# expired entries are dropped in the same rewrite.
d_whole_with_expiry() {
	old_reflogs_repo "$TEST_TMP/d2" 40
	seq 1 30 | sed 's|.*|delete refs/heads/old-&|' | git update-ref --stdin
	git for-each-ref >"$TEST_TMP/d2.refs.before"
	git reftable run --auto --json >"$TEST_TMP/out" || fail "run --auto failed"
	cat "$TEST_TMP/out"
	json_task_is "$TEST_TMP/out" '.status == "done" and
		(.reason | endswith("the whole-stack compaction drops the expired entries")) and
		(.result | startswith("expired 12 of 12 entries"))' expire ||
		fail "expiry not folded into the compaction"
	json_task_is "$TEST_TMP/out" '.status == "done" and
		(.reason | test("^deletion records are [0-9]+% of all records.*whole stack")) and
		(.duration_ms | type) == "number" and .bytes_rewritten > 0 and
		.tables_before == 3 and .tables_after == 1' compact || fail "no whole-stack compaction"
	git reftable stats --json | jq -e '.stacks[0].totals ==
		{"refs": 12, "logs": 12, "ref_tombstones": 0, "log_tombstones": 0}' >/dev/null ||
		fail "deletions or expired entries left: $(git reftable stats)"
	git for-each-ref >"$TEST_TMP/d2.refs.after"
	expect_same "$TEST_TMP/d2.refs.before" "$TEST_TMP/d2.refs.after"
	git reflog exists refs/heads/old-35 || fail "old-35's reflog is gone"
	refs_verify_clean
}

# --- (e) wrong usage, bad policy, not reftable ------------------------------

e_errors() {
	cd "$TEST_TMP/a"
	local args rc
	for args in '--auto --schedule=daily' '--schedule=monthly' '--task=gc' \
		'--dry-run --detach' '--bogus'; do
		rc=0
		# shellcheck disable=SC2086
		git reftable run $args >/dev/null 2>"$TEST_TMP/err" || rc=$?
		[ "$rc" -eq 2 ] || fail "run $args exited $rc, not 2"
		grep -q '^usage: git reftable run ' "$TEST_TMP/err" || fail "run $args: no usage hint"
	done
	git reftable run --help | grep -q 'max-bytes-per-run' || fail "run --help lacks the budget"
	rc=0
	git reftable --policy "$TEST_TMP/bad.ini" run --auto 2>"$TEST_TMP/err" || rc=$?
	[ "$rc" -eq 1 ] || fail "an unreadable policy: exit $rc"
	printf '[compaction]\nmax-bytes-per-run = lots\n' >"$TEST_TMP/bad.ini"
	rc=0
	git reftable --policy "$TEST_TMP/bad.ini" run --auto 2>"$TEST_TMP/err" || rc=$?
	[ "$rc" -eq 1 ] || fail "a bad policy: exit $rc"
	grep -q "bad value 'lots' for max-bytes-per-run" "$TEST_TMP/err" || fail "no policy error"
	grep -q 'not running: the policy' "$TEST_TMP/err" || fail "no 'not running'"
	git init -q --ref-format=files "$TEST_TMP/files"
	rc=0
	(cd "$TEST_TMP/files" && git reftable run --auto) 2>"$TEST_TMP/err" || rc=$?
	[ "$rc" -eq 1 ] || fail "a files repository: exit $rc"
	[ ! -e "$TEST_TMP/files/.git/reftable-run.lock" ] || fail "touched a files repository"
}

test_case "a: Git leaves a long main and worktree stack" a_setup
test_case "a: run --dry-run prints the plan with reasons and changes no file" a_dry_run
test_case "a: run --auto restores the geometric sequence; Git reads the same refs" a_run_auto
test_case "a: a second run --auto plans nothing and changes nothing" a_second_run
test_case "a: --schedule=hourly skips what ran just now; --task=compact runs it" a_schedule
test_case "b: a stack of several tables" b_setup
test_case "b: run lock held: run exits 0 at once, changes nothing" b_run_lock_held
test_case "b: two runs at once: both exit 0, the stack ends geometric" b_two_runs
test_case "b: tables.list.lock held: compaction busy, exit 0, state busy" b_stack_busy
test_case "b: max-bytes-per-run: compacted in steps within the budget" b_budget
test_case "c: --detach returns before the work; the work completes" c_detach
test_case "d: --auto estimates expirable reflog entries (protect honoured)" d_estimate
test_case "d: --auto expires when the estimate says so; Git still reads the refs" d_expire
test_case "d: whole-stack compaction and expiry in one rewrite" d_whole_with_expiry
test_case "e: usage errors exit 2; bad policy and files backend exit 1" e_errors
