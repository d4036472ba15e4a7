#!/usr/bin/env bash
# t0810: live locks are never taken for stale; a lock left by a dead
# process is cleared quickly; one held too long fails `run`.
#
# Liveness by evidence: a lock or temp file that a live process holds open
# (here a background subshell with `exec 9>file`, whose sleep keeps the
# descriptor) is never stale nor removed, whatever its age: the files are
# backdated two hours to make age say "stale". Ages below 10 seconds are
# refused, on the command line and in the policy.
#
# Case 1 (refs lost): besides the deterministic checks, three
# `git update-ref` loops write for about 15 s while `clean` runs in a loop
# with the smallest ages it accepts, --remove-stale-locks and a 1 ms lock
# timeout (so that it often finds Git's lock taken), and another
# loop backdates Git's live tables.list.lock by an hour whenever it sees
# one (a writer that looks stuck by age alone). Afterwards every update a
# writer saw succeed is there, `git refs verify` is clean and tables.list
# names only tables that exist, and no update failed.
#
# Case 2 (Git told committed updates failed): a temp table held open is
# kept by `clean --grace=<smallest>`; and Git's own auto-compaction beside
# a clean loop with the smallest grace never reports "transaction
# failure".
#
# Case 9 (a killed holder blocks Git): tables.list.lock left by a process
# killed with SIGKILL (backdated 30 s, far below the stale-lock age) is
# cleared by `run --auto` (a warning on stderr) and by the hook's detached
# work (a warning in reftable-hook.log), and Git writes again; one held by
# a live process past the stale-lock age makes `run` exit 1, with the
# failure in --json and in `stats --prometheus`.
. "$(dirname "$0")/../lib.sh"

STRESS=${RT_LIVE_LOCKS_SECONDS:-15}
W=$TEST_TMP/work
holders=()

# Stop the background holders this script started, by their pids.
stop_holders() {
	local p
	for p in "${holders[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	holders=()
}
trap 'stop_holders; rm -rf "$TEST_TMP"' EXIT

new_repo() {
	rm -rf "$1"
	git init -q --ref-format=reftable "$1"
	git -C "$1" commit -q --allow-empty -m one
	git -C "$1" commit -q --allow-empty -m two
}

# Hold file $1 open (created if missing) in a background process for up to
# $2 seconds, then backdate it by $3; the holder's pid in $W/holder.pid.
hold_open() {
	local file=$1 secs=$2 back=$3
	(exec 9>>"$file" && exec sleep "$secs") &
	echo $! >"$W/holder.pid"
	holders+=($!)
	trap stop_holders EXIT # test_case's subshell: no holder outlives it
	# Until the holder has it open.
	local i
	for i in $(seq 100); do
		[ -e "$file" ] && ls -l "/proc/$!/fd" 2>/dev/null | grep -qF "$(basename "$file")" && break
		sleep 0.05
	done
	touch -d "$back" "$file"
}

# The smallest age `clean` accepts: the documented minimum, 10 seconds
# (cli_minimum checks that less is refused). Not a fallback to some larger
# age: the stress cases would then pass without clean touching anything.
smallest_age() {
	git reftable clean --dry-run --grace=10 --stale-lock-age=10 >/dev/null 2>&1 ||
		fail "clean refuses the minimum ages (10 s)"
	echo 10
}

setup() {
	mkdir -p "$W"
	new_repo "$W/r"
}

# --- refused ages ---

cli_minimum() {
	cd "$W/r"
	local opt rc
	for opt in --stale-lock-age=0s --stale-lock-age=9 --grace=0s --grace=9s; do
		rc=0
		git reftable clean --remove-stale-locks "$opt" >out 2>err || rc=$?
		[ "$rc" -ne 0 ] || { cat out err >&2; fail "clean $opt was accepted"; }
		grep -q "below the minimum of 10 seconds" err || { cat err >&2; fail "clean $opt: no clear error"; }
	done
	git reftable clean --dry-run --grace=10 --stale-lock-age=10s >out 2>&1 ||
		{ cat out >&2; fail "clean with the minimum ages refused"; }
}

policy_minimum() {
	cd "$W/r"
	local key rc
	for key in 'stale-lock = 0s' 'grace = 0s' 'stale-lock = 5 seconds'; do
		printf '[orphans]\n%s\n' "$key" >"$W/bad.ini"
		rc=0
		git reftable policy check "$W/bad.ini" >out 2>&1 || rc=$?
		[ "$rc" -ne 0 ] || { cat out >&2; fail "policy check accepted '$key'"; }
		grep -q 'at least 10 seconds' out || { cat out >&2; fail "policy '$key': no clear error"; }
		rc=0
		git -c reftable.policy="$W/bad.ini" reftable clean --remove-stale-locks >out 2>&1 || rc=$?
		[ "$rc" -ne 0 ] || { cat out >&2; fail "clean ran with policy '$key'"; }
	done
	printf '[orphans]\nstale-lock = 10s\ngrace = 10 seconds\n' >"$W/ok.ini"
	git reftable policy check "$W/ok.ini" >out 2>&1 || { cat out >&2; fail "policy with the minimum ages refused"; }
}

# --- case 1: a held lock is never stale ---

held_locks_kept() {
	cd "$W/r"
	local dir=.git/reftable t min list_pid table_pid
	min=$(smallest_age)
	t=$(head -n 1 "$dir/tables.list")
	hold_open "$dir/tables.list.lock" 120 '2 hours ago'
	list_pid=$(cat "$W/holder.pid")
	git -c reftable.lockTimeout=200 reftable clean --remove-stale-locks \
		--stale-lock-age="$min" --grace="$min" >out 2>&1 || true
	cat out
	[ -e "$dir/tables.list.lock" ] || fail "clean removed tables.list.lock held open by pid $list_pid"
	grep -q "kept lock tables.list.lock (age [0-9]* s): held open by a live process (pid $list_pid)" out ||
		fail "clean did not say tables.list.lock is held by pid $list_pid"
	git reftable verify >out 2>&1 || true
	grep -q "tables.list.lock: live lock (age [0-9]* s, held open by pid $list_pid)" out ||
		{ cat out >&2; fail "verify calls the held lock stale"; }

	# Its holder gone, the same lock is left by a dead process: removed.
	# A table lock held open stays; an unheld one two hours old goes.
	kill "$list_pid"
	wait "$list_pid" 2>/dev/null || true
	hold_open "$dir/$t.lock" 120 '2 hours ago'
	table_pid=$(cat "$W/holder.pid")
	: >"$dir/stranger.lock"
	touch -d '2 hours ago' "$dir/stranger.lock"
	git reftable clean --remove-stale-locks --stale-lock-age="$min" --grace="$min" >out 2>&1 ||
		{ cat out >&2; fail "clean exited non-zero"; }
	cat out
	[ ! -e "$dir/tables.list.lock" ] || fail "tables.list.lock left by a dead process not removed"
	[ -e "$dir/$t.lock" ] || fail "clean removed $t.lock, held open by pid $table_pid"
	grep -q "kept lock $t.lock (age [0-9]* s): held open by a live process (pid $table_pid)" out ||
		fail "clean did not say $t.lock is held by pid $table_pid"
	[ ! -e "$dir/stranger.lock" ] || fail "an unheld lock two hours old was not removed"
	stop_holders
	rm -f "$dir/$t.lock"
}

# Writer $1: until $2 (epoch seconds), create refs/heads/w$1-<n>; logs
# "<ref> <oid>" when update-ref exited 0, FAIL lines with stderr otherwise.
writer() {
	local k=$1 end=$2 n=0 oid log=$W/writer$1.log
	oid=$(git rev-parse HEAD)
	: >"$log"
	while [ "$(date +%s)" -lt "$end" ]; do
		n=$((n + 1))
		if git -c reftable.lockTimeout=3000 update-ref "refs/heads/w$k-$n" "$oid" 2>"$W/w$k.err"; then
			echo "refs/heads/w$k-$n $oid" >>"$log"
		else
			{ echo "FAIL refs/heads/w$k-$n"; sed 's/^/  /' "$W/w$k.err"; } >>"$log"
		fi
	done
}

# Until $1: backdate Git's tables.list.lock by an hour whenever it is there.
backdater() {
	local end=$1
	while [ "$(date +%s)" -lt "$end" ]; do
		touch -c -d '1 hour ago' "$W/s/.git/reftable/tables.list.lock" 2>/dev/null || true
		sleep 0.01
	done
}

# Until $1: clean with the smallest ages, logging each run's output. Its
# lock timeout of 1 ms makes it find tables.list.lock taken (by a writer)
# as often as can be, and judge it.
cleaner() {
	local end=$1 min=$2
	: >"$W/clean.log"
	while [ "$(date +%s)" -lt "$end" ]; do
		git -c reftable.lockTimeout=1 reftable clean --remove-stale-locks \
			--stale-lock-age="$min" --grace="$min" >>"$W/clean.log" 2>&1 || true
	done
}

stress_no_ref_lost() {
	new_repo "$W/s"
	cd "$W/s"
	local min end k
	min=$(smallest_age)
	echo "smallest ages clean accepts: $min s"
	end=$(($(date +%s) + STRESS))
	for k in 1 2 3; do writer "$k" "$end" & done
	backdater "$end" &
	cleaner "$end" "$min" &
	wait
	cat "$W"/writer*.log | grep -v '^FAIL\|^  ' >"$W/expect" || true
	echo "$(wc -l <"$W/expect") updates succeeded; $(cat "$W"/writer*.log | grep -c '^FAIL') failed"
	grep -h -A3 '^FAIL' "$W"/writer*.log | head -n 20 || true
	echo "clean found Git's tables.list.lock taken and held $(grep -c 'kept lock tables.list.lock' "$W/clean.log") times"
	[ -s "$W/expect" ] || fail "no update succeeded"
	local name missing=0
	while read -r name; do
		[ -f ".git/reftable/$name" ] || { echo "tables.list names missing $name" >&2; missing=1; }
	done <.git/reftable/tables.list
	[ "$missing" -eq 0 ] || fail "tables.list names tables that do not exist"
	git for-each-ref --format='%(refname) %(objectname)' 'refs/heads/w*' | sort >"$W/have"
	sort "$W/expect" >"$W/want"
	LC_ALL=C comm -23 "$W/want" "$W/have" >"$W/lost"
	[ ! -s "$W/lost" ] || { head "$W/lost" >&2; fail "$(wc -l <"$W/lost") refs lost"; }
	git rev-parse --verify -q refs/heads/main >/dev/null || fail "main is gone"
	refs_verify_clean
	# Harm is what counts: an update Git was told failed (its lock taken
	# away before its rename), beyond the refs checked above. A lock
	# that clean removed without harm (Git had closed it and was about to
	# unlink it, or a 250 ms settle saw it unheld all along) is reported.
	local failed
	failed=$(cat "$W"/writer*.log | grep -c '^FAIL' || :)
	[ "$failed" -eq 0 ] || fail "$failed updates failed beside clean"
	echo "clean removed tables.list.lock $(grep -c 'removed stale lock tables.list.lock' "$W/clean.log" || :) times"
}

# --- case 2: a temp table held open is kept ---

held_temp_kept() {
	cd "$W/r"
	local dir=.git/reftable min held=0x000000000001-0x000000000002-12345678.temp.Ab12Cd
	local unheld=0x000000000001-0x000000000002-87654321.temp.Zz99Yy
	min=$(smallest_age)
	hold_open "$dir/$held" 120 '2 hours ago'
	: >"$dir/$unheld"
	touch -d '2 hours ago' "$dir/$unheld"
	git reftable clean --grace="$min" --stale-lock-age="$min" >out 2>&1 || true
	cat out
	[ -e "$dir/$held" ] || fail "clean --grace=$min removed a temp table held open by a live process"
	[ ! -e "$dir/$unheld" ] || fail "an unheld temp file two hours old was not removed"
	stop_holders
	rm -f "$dir/$held"
}

stress_no_transaction_failure() {
	new_repo "$W/c"
	cd "$W/c"
	local min end k
	min=$(smallest_age)
	end=$(($(date +%s) + STRESS))
	# Git's auto-compaction on (the default): its temp tables come and go.
	for k in 1 2 3; do writer "$k" "$end" & done
	while [ "$(date +%s)" -lt "$end" ]; do
		git reftable clean --grace="$min" --stale-lock-age="$min" >>"$W/clean2.log" 2>&1 || true
	done
	wait
	echo "$(cat "$W"/writer*.log | grep -vc '^FAIL\|^  ') updates succeeded"
	if grep -h -B1 'transaction failure' "$W"/writer*.log >"$W/tf"; then
		head "$W/tf" >&2
		fail "Git reported $(grep -c 'transaction failure' "$W/tf") transaction failures beside clean --grace=$min"
	fi
	refs_verify_clean
}

# --- case 9: a dead holder's lock is cleared; a stuck one fails run ---

# A tables.list.lock whose holder was killed with SIGKILL, backdated $1.
killed_holder_lock() {
	local dir=$1 back=$2 pid
	(exec 9>"$dir/tables.list.lock" && exec sleep 600) &
	pid=$!
	local i
	for i in $(seq 100); do
		ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'tables.list.lock' && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	[ -e "$dir/tables.list.lock" ] || fail "test setup: no lock left by the killed holder"
	touch -d "$back" "$dir/tables.list.lock"
}

dead_lock_cleared_by_run() {
	cd "$W/r"
	local dir=.git/reftable rc start
	killed_holder_lock "$dir" '30 seconds ago'
	rc=0
	git update-ref refs/heads/blocked HEAD 2>/dev/null || rc=$?
	[ "$rc" -ne 0 ] || fail "test setup: Git wrote despite tables.list.lock"
	start=$(date +%s)
	rc=0
	git reftable run --auto >out 2>err || rc=$?
	cat out err
	[ "$rc" -eq 0 ] || fail "run --auto exited $rc"
	[ ! -e "$dir/tables.list.lock" ] || fail "run --auto left the dead process's tables.list.lock (30 s old)"
	[ $(($(date +%s) - start)) -lt 60 ] || fail "run --auto took over a minute"
	grep -q "warning: main: removed tables.list.lock left by a dead process" err ||
		fail "run --auto did not warn that it removed the lock"
	git update-ref refs/heads/after-run HEAD || fail "Git cannot write after run cleared the lock"
}

dead_lock_cleared_by_hook() {
	new_repo "$W/h"
	cd "$W/h"
	local dir=.git/reftable i
	git reftable install --hooks=config >/dev/null
	git worktree add -q --detach "$W/h-wt"
	killed_holder_lock "$dir" '30 seconds ago'
	: >.git/reftable-hook.log
	# A detached worktree's commit moves only its own HEAD, in its own
	# stack: Git writes it and runs post-commit, whose detached work
	# looks at every stack.
	git -C "$W/h-wt" commit -q --allow-empty -m x || fail "worktree commit failed"
	for i in $(seq 300); do
		[ -e "$dir/tables.list.lock" ] || break
		sleep 0.1
	done
	cat .git/reftable-hook.log
	[ ! -e "$dir/tables.list.lock" ] || fail "the hook's work left the dead process's tables.list.lock"
	# The warning goes to the hook log, or to the maintenance log when
	# the run the hook starts (for clean and expire) gets there first.
	for i in $(seq 100); do
		cat .git/reftable-hook.log .git/reftable-maintenance.log 2>/dev/null |
			grep -q "warning: main: removed tables.list.lock left by a dead process" && break
		sleep 0.1
	done
	cat .git/reftable-hook.log .git/reftable-maintenance.log 2>/dev/null |
		grep -q "warning: main: removed tables.list.lock left by a dead process" ||
		fail "no warning in the hook or maintenance log"
	git update-ref refs/heads/after-hook HEAD || fail "Git cannot write after the hook cleared the lock"
}

stuck_lock_fails_run() {
	cd "$W/r"
	local dir=.git/reftable rc pid
	hold_open "$dir/tables.list.lock" 120 '2 hours ago'
	pid=$(cat "$W/holder.pid")
	rc=0
	git -c reftable.lockTimeout=100 reftable run --auto --json >out.json 2>err || rc=$?
	cat out.json err
	[ "$rc" -ne 0 ] || fail "run --auto exited 0 with tables.list.lock held for two hours"
	jq -e '.status == "failed"' out.json >/dev/null || fail "JSON status is not failed"
	jq -e --argjson pid "$pid" '.stacks[0].list_lock.state == "stuck" and
		.stacks[0].list_lock.holder_pid == $pid and
		.stacks[0].list_lock.age_seconds >= 7200 and
		(.stacks[0].error | test("held open by a live process"))' out.json >/dev/null ||
		fail "JSON does not show the stuck lock and its holder $pid"
	[ -e "$dir/tables.list.lock" ] || fail "run removed a lock a live process holds"
	git reftable stats --prometheus >prom
	grep -Eq '^git_reftable_list_lock_age_seconds\{.*stack="main"\} (7[2-9][0-9]{2}|[89][0-9]{3})$' prom ||
		{ cat prom >&2; fail "no lock-age gauge of two hours"; }
	grep -q '^git_reftable_list_lock_held{.*stack="main"} 1$' prom || fail "gauge does not say the lock is held"
	stop_holders
	rm -f "$dir/tables.list.lock"
}

test_case "setup" setup
test_case "clean refuses --stale-lock-age and --grace below 10 s, with a clear error" cli_minimum
test_case "the policy refuses [orphans] stale-lock and grace below 10 s" policy_minimum
test_case "case 1: locks held open by a live process are kept, however old; an unheld old one goes" held_locks_kept
test_case "case 1: clean at its smallest ages beside three writers loses no ref" stress_no_ref_lost
test_case "case 2: a temp table held open is kept by clean --grace=<smallest>" held_temp_kept
test_case "case 2: Git's auto-compaction beside clean reports no transaction failure" stress_no_transaction_failure
test_case "case 9: run --auto clears a killed holder's tables.list.lock at once, with a warning" dead_lock_cleared_by_run
test_case "case 9: the hook's detached work clears it too, with a warning in its log" dead_lock_cleared_by_hook
test_case "case 9: a lock held past the stale-lock age fails run (exit, JSON, gauge)" stuck_lock_fails_run
