#!/usr/bin/env bash
# t0900: `git reftable fleet run` over a fleet of bare repositories.
#
# The fleet is FLEET_REPOS (default 300, a multiple of ten) small reftable
# repositories, a tenth of them with a long non-geometric stack, in
# groups of ten ($F/r1.git ... $F/r10.git, then $F/g2/r1.git ...: one cp a
# group, as starting processes is the set-up's cost), plus one broken (a
# truncated table), one
# busy (its run lock held, as another run holds it) and one on the files
# backend. One fleet run maintains every healthy repository, names the
# broken one and exits 1; the busy one is left alone, the files one is
# skipped. --quiet prints only the broken one's lines; --json lines parse
# with jq, one per repository; the --metrics file passes `promtool check
# metrics` with every repository labelled. A truncated table never makes
# JSON partial nor Prometheus headers-only (stats, run), nor does a
# repository on another ref backend leave stdout empty. A hanging
# repository is killed at --timeout and the others are still maintained.
# Repositories with the most tables go first; `schedule run-registered`
# is an alias of `fleet run --registered`, and scheduled runs are logged.
# With plain --auto, a repository with nothing due by the hook's cheap
# rules gets no run at all.
. "$(dirname "$0")/../lib.sh"

export GIT_TEST_REFTABLE_AUTOCOMPACTION=false
N=${FLEET_REPOS:-300}
[ $((N % 10)) -eq 0 ] && [ "$N" -ge 10 ] || { echo "FLEET_REPOS=$N: not a multiple of ten" >&2; exit 1; }
F=$TEST_TMP/fleet

# $F: the fleet, bare repositories copied from a template with one commit.
make_fleet() {
	local i
	git init -q --ref-format=reftable "$TEST_TMP/src"
	git -C "$TEST_TMP/src" commit -q --allow-empty -m one
	git clone -q --bare --ref-format=reftable "$TEST_TMP/src" "$TEST_TMP/template.git"
	git -C "$TEST_TMP/template.git" config core.logAllRefUpdates true
	# One table: nothing due in a copy.
	git -C "$TEST_TMP/template.git" pack-refs --all
	# A tenth need work (the first of each group): 7 more tables in a
	# row, one ref each.
	cp -r "$TEST_TMP/template.git" "$TEST_TMP/due.git"
	for b in 1 2 3 4 5 6 7; do
		git -C "$TEST_TMP/due.git" branch "b$b" main
	done
	mkdir -p "$TEST_TMP/group" "$F"
	cp -r "$TEST_TMP/due.git" "$TEST_TMP/group/r1.git"
	for ((i = 2; i <= 10; i++)); do
		cp -r "$TEST_TMP/template.git" "$TEST_TMP/group/r$i.git"
	done
	cp -r "$TEST_TMP/group/." "$F/"
	for ((i = 2; i <= N / 10; i++)); do
		cp -r "$TEST_TMP/group" "$F/g$i"
	done
	cp -r "$TEST_TMP/template.git" "$F/broken.git"
	git -C "$F/broken.git" branch more main
	truncate -s 40 "$(ls "$F"/broken.git/reftable/*.ref | tail -n 1)"
	cp -r "$TEST_TMP/due.git" "$F/busy.git"
	git init -q --bare --ref-format=files "$F/files.git"
}

tables() { # <git dir>
	wc -l <"$1/reftable/tables.list"
}

# Fleet runs with busy.git's run lock held by this shell on fd 9.
with_busy() {
	local rc=0
	exec 9>>"$F/busy.git/reftable-run.lock"
	flock -n 9 || fail "test setup: cannot take the run lock"
	timeout 300 "$@" 9>&- || rc=$?
	exec 9>&-
	return $rc
}

test_fleet() {
	local rc=0 r before
	make_fleet
	cp "$F/busy.git/reftable/tables.list" "$TEST_TMP/busy.before"
	before=$(tables "$F/r1.git")
	[ "$before" -ge 8 ] || fail "test setup: r1 has $before tables"
	with_busy git reftable fleet run --scan="$F" --auto --jobs=2 \
		--metrics="$TEST_TMP/fleet.prom" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	cat "$TEST_TMP/err"
	[ "$rc" -eq 1 ] || fail "fleet run with a broken repository exited $rc, not 1"
	grep -q "^$F/broken.git: .*too small to be a reftable" "$TEST_TMP/err" ||
		fail "the broken repository is not named with its error"
	grep -q "^$F/broken.git: failed (exit 1)" "$TEST_TMP/err" ||
		fail "no failure line for the broken repository"
	grep -q "^$F/busy.git: .*not running (try later)" "$TEST_TMP/err" ||
		fail "the busy repository is not reported busy"
	grep -q "^$F/files.git: skipped: its refs are not in reftable" "$TEST_TMP/err" ||
		fail "the files-backend repository is not reported as skipped"
	grep -q "^fleet: $((N + 3)) repositories in .*: $(((N + 9) / 10)) done, $((N - (N + 9) / 10)) nothing due, 0 due (dry run), 1 busy, 1 failed, 0 timed out, 1 skipped$" \
		"$TEST_TMP/err" || fail "no summary with the counts"
	# Every line of the report names its repository.
	! grep -Ev "^$F/(g[0-9]+/)?[a-z0-9]+\.git: " "$TEST_TMP/out" || fail "a line names no repository"
	# The others are maintained, the busy one untouched.
	for r in "$F/r1.git" "$F"/g*/r1.git; do
		[ "$(tables "$r")" -lt "$before" ] || fail "$r: not compacted"
		git -C "$r" for-each-ref --format='%(refname)' | grep -q refs/heads/b7 ||
			fail "$r: a ref lost"
	done
	expect_same "$TEST_TMP/busy.before" "$F/busy.git/reftable/tables.list"
	# The metrics: valid, every reftable repository labelled.
	promtool check metrics <"$TEST_TMP/fleet.prom" || fail "promtool rejects the metrics file"
	[ "$(grep -c '^# HELP git_reftable_tables ' "$TEST_TMP/fleet.prom")" -eq 1 ] ||
		fail "not one HELP line for git_reftable_tables"
	[ "$(sed -n 's/^git_reftable_fleet_outcome{repo="\([^"]*\)".*/\1/p' "$TEST_TMP/fleet.prom" |
		sort -u | wc -l)" -eq $((N + 2)) ] || fail "not every repository in the metrics"
	grep -q "^git_reftable_stack_readable{repo=\"$F/broken.git\",stack=\"main\"} 0$" \
		"$TEST_TMP/fleet.prom" || fail "the broken repository's stack is not unreadable"
	grep -q "^git_reftable_fleet_outcome{repo=\"$F/broken.git\",outcome=\"failed\"} 1$" \
		"$TEST_TMP/fleet.prom" || fail "the broken repository's outcome is not failed"
	grep -q "^git_reftable_tables{repo=\"$F/r1.git\",stack=\"main\"} [1-7]$" \
		"$TEST_TMP/fleet.prom" || fail "r1.git's tables after the run are not in the metrics"
	grep -q "^git_reftable_task_last_outcome{repo=\"$F/r1.git\",task=\"compact\",outcome=\"done\"} 1$" \
		"$TEST_TMP/fleet.prom" || fail "r1.git's last compaction is not in the metrics"
	! ls "$TEST_TMP"/fleet.prom.* 2>/dev/null || fail "a temp file left beside the metrics"
}

# The gauges of the reftable repositories of a metrics file but those of
# the fleet run itself and of broken.git (run again each time), sorted
# (samples come in the order the repositories finished).
gauges() { # <metrics file>
	grep -v -e '^#' -e '^git_reftable_fleet_' -e "repo=\"$F/broken.git\"" "$1" | sort
}

# A second metrics run with nothing due starts no run and no stats in the
# healthy repositories: their gauges are those their last `stats
# --prometheus --keep` left in the git dir, the same values; a change
# (a new table) makes the repository's gauges true again.
test_metrics_kept() {
	local rc=0 r2=$F/r2.git
	with_busy git reftable fleet run --scan="$F" --auto --json \
		--metrics="$TEST_TMP/fleet2.prom" >"$TEST_TMP/out" 2>/dev/null || rc=$?
	[ "$rc" -eq 1 ] || fail "the second metrics run exited $rc, not 1"
	[ "$(jq -s '[.[] | select(.ran == false and .outcome == "nothing_due")] | length' \
		"$TEST_TMP/out")" -eq "$N" ] ||
		fail "not $N repositories left alone: $(jq -c 'select(.ran != false) | .repo' "$TEST_TMP/out" | head)"
	jq -se --arg b "$F/busy.git" --arg x "$F/broken.git" \
		'[.[] | select(.repo == $b or .repo == $x) | has("run")] == [true, true]' \
		"$TEST_TMP/out" >/dev/null || fail "busy.git or broken.git was not run"
	promtool check metrics <"$TEST_TMP/fleet2.prom" || fail "promtool rejects the second metrics file"
	[ "$(sed -n 's/^git_reftable_fleet_outcome{repo="\([^"]*\)".*/\1/p' "$TEST_TMP/fleet2.prom" |
		sort -u | wc -l)" -eq $((N + 2)) ] || fail "not every repository in the second metrics"
	gauges "$TEST_TMP/fleet.prom" >"$TEST_TMP/gauges1"
	gauges "$TEST_TMP/fleet2.prom" >"$TEST_TMP/gauges2"
	[ "$(grep -c '^git_reftable_tables{' "$TEST_TMP/gauges2")" -eq $((N + 1)) ] ||
		fail "not every healthy repository's tables in the second metrics"
	expect_same "$TEST_TMP/gauges1" "$TEST_TMP/gauges2"
	# What was kept is the repository's own (core.sharedRepository).
	git -C "$r2" config core.sharedRepository group
	git -C "$r2" branch kept-change main
	rc=0
	with_busy git reftable fleet run --scan="$F" --auto --json \
		--metrics="$TEST_TMP/fleet3.prom" >"$TEST_TMP/out" 2>/dev/null || rc=$?
	[ "$rc" -eq 1 ] || fail "the third metrics run exited $rc, not 1"
	jq -se --arg r "$r2" '[.[] | select(.repo == $r)] | .[0] | has("run")' \
		"$TEST_TMP/out" >/dev/null || fail "r2.git changed but was not run"
	(cd "$r2" && git reftable stats --prometheus) | grep -v '^#' >"$TEST_TMP/r2.want"
	grep "repo=\"$r2\"" "$TEST_TMP/fleet3.prom" | grep -v '^git_reftable_fleet_' >"$TEST_TMP/r2.got"
	expect_same "$TEST_TMP/r2.want" "$TEST_TMP/r2.got"
	[ "$(stat -c %a "$r2/reftable-metrics.prom")" = "$(stat -c %a "$r2/reftable-maintenance.state")" ] &&
		[ -n "$(find "$r2/reftable-metrics.prom" -perm -g+w)" ] ||
		fail "the kept metrics' mode: $(stat -c %a "$r2/reftable-metrics.prom")"
}

test_quiet_json() {
	local rc=0 n
	# Nothing is due any more but in broken.git and busy.git.
	with_busy git reftable fleet run --scan="$F" --auto --quiet \
		>"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	cat "$TEST_TMP/out" "$TEST_TMP/err"
	[ "$rc" -eq 1 ] || fail "fleet run --quiet exited $rc, not 1"
	[ ! -s "$TEST_TMP/out" ] || fail "--quiet printed a report"
	! grep -v "^$F/broken.git: " "$TEST_TMP/err" || fail "--quiet printed more than the problem"
	[ -s "$TEST_TMP/err" ] || fail "--quiet did not name the broken repository"
	rc=0
	with_busy git reftable fleet run --scan="$F" --auto --json \
		>"$TEST_TMP/out" 2>/dev/null || rc=$?
	[ "$rc" -eq 1 ] || fail "fleet run --json exited $rc, not 1"
	n=$(wc -l <"$TEST_TMP/out")
	[ "$n" -eq $((N + 3)) ] || fail "$n JSON lines for $((N + 3)) repositories"
	# One jq for all (one per line costs seconds): as many values as
	# lines, each an object naming its repository and outcome.
	[ "$(jq -s length "$TEST_TMP/out")" -eq "$n" ] || fail "not one JSON value per line"
	jq -se 'all(.[]; type == "object" and (.repo | type == "string") and
		(.outcome | type == "string"))' "$TEST_TMP/out" >/dev/null ||
		fail "not a JSON object per line: $(cat "$TEST_TMP/out")"
	jq -se --arg r "$F/broken.git" '[.[] | select(.repo == $r)] | length == 1 and
		.[0].outcome == "failed" and .[0].exit == 1 and
		(.[0].error | test("too small to be a reftable")) and
		.[0].run.status == "failed"' "$TEST_TMP/out" >/dev/null ||
		fail "the broken repository's JSON line"
	jq -se --arg r "$F/busy.git" '[.[] | select(.repo == $r)] | .[0].outcome == "busy" and
		.[0].run.status == "busy"' "$TEST_TMP/out" >/dev/null || fail "the busy repository's JSON line"
	jq -se --arg r "$F/files.git" '[.[] | select(.repo == $r)] | .[0].outcome == "skipped"' \
		"$TEST_TMP/out" >/dev/null || fail "the files repository's JSON line"
	[ "$(jq -s '[.[] | select(.outcome == "nothing_due")] | length' "$TEST_TMP/out")" -eq "$N" ] ||
		fail "not $N repositories with nothing due"
}

# A truncated table: stats and run still print whole JSON documents and
# Prometheus samples, with the error, and exit 1.
test_broken_whole() {
	local rc c
	cd "$F/broken.git"
	rc=0
	git reftable stats --json >"$TEST_TMP/stats.json" || rc=$?
	[ "$rc" -eq 1 ] || fail "stats --json exited $rc"
	jq -e '.stacks | length == 1 and (.[0].error | test("too small to be a reftable"))' \
		"$TEST_TMP/stats.json" >/dev/null || fail "stats --json: $(cat "$TEST_TMP/stats.json")"
	rc=0
	git reftable run --json >"$TEST_TMP/run.json" || rc=$?
	[ "$rc" -eq 1 ] || fail "run --json exited $rc"
	jq -e '.status == "failed" and (.error | test("too small to be a reftable"))' \
		"$TEST_TMP/run.json" >/dev/null || fail "run --json: $(cat "$TEST_TMP/run.json")"
	rc=0
	git reftable stats --prometheus >"$TEST_TMP/stats.prom" || rc=$?
	[ "$rc" -eq 1 ] || fail "stats --prometheus exited $rc"
	grep -q '^git_reftable_stack_readable{repo=".*",stack="main"} 0$' "$TEST_TMP/stats.prom" ||
		fail "stats --prometheus: no sample for the broken stack"
	promtool check metrics <"$TEST_TMP/stats.prom" || fail "promtool rejects stats --prometheus"
	# Not a reftable repository at all: still one document with the error.
	cd "$F/files.git"
	for c in "stats --json" "verify --json" "run --json"; do
		rc=0
		# shellcheck disable=SC2086
		git reftable $c >"$TEST_TMP/out.json" 2>/dev/null || rc=$?
		[ "$rc" -eq 1 ] || fail "$c in a files repository exited $rc"
		jq -e '.error | test("does not use the reftable ref backend")' \
			"$TEST_TMP/out.json" >/dev/null || fail "$c: $(cat "$TEST_TMP/out.json")"
	done
}

# A repository whose run hangs (its config includes a FIFO nobody writes)
# is killed at the timeout, whatever it started; the others go on. A
# fleet run stopped by SIGTERM kills the runs at work.
test_timeout() {
	local rc=0 start pid i
	mkfifo "$TEST_TMP/hang"
	mkdir -p "$TEST_TMP/t"
	cp -r "$TEST_TMP/template.git" "$TEST_TMP/t/hang.git"
	git -C "$TEST_TMP/t/hang.git" config include.path "$TEST_TMP/hang"
	cp -r "$F/busy.git" "$TEST_TMP/t/ok.git"
	start=$(date +%s)
	printf '%s\n' "$TEST_TMP/t/hang.git" "# a comment" "" "$TEST_TMP/t/ok.git" |
		timeout 120 git reftable fleet run --repos-from=- --auto --timeout=2 --jobs=1 \
			>"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	cat "$TEST_TMP/out" "$TEST_TMP/err"
	[ "$rc" -eq 1 ] || fail "fleet run with a hanging repository exited $rc, not 1"
	grep -q "^$TEST_TMP/t/hang.git: timed out after [0-9]* ms; killed$" "$TEST_TMP/err" ||
		fail "no timeout line"
	grep -q "^$TEST_TMP/t/ok.git: main: compact: done" "$TEST_TMP/out" ||
		fail "the repository after the hanging one was not maintained"
	# Generous: 2 s timeout, far below the 120 s guard.
	[ $(($(date +%s) - start)) -lt 60 ] || fail "the timeout did not stop the run"
	! pgrep -f "$TEST_TMP/t/hang.git" >/dev/null || fail "a process of the killed run is left"
	# Stopped (a service stop, Ctrl-C): the runs at work are killed too.
	# The program itself, as the schedule entries start it: git would
	# die of the signal before us.
	git-reftable fleet run --repos-from=- --timeout=never \
		<<<"$TEST_TMP/t/hang.git" >"$TEST_TMP/out" 2>"$TEST_TMP/err" &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		pgrep -f "$TEST_TMP/t/hang.git" >/dev/null && break
		sleep 0.1
	done
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	cat "$TEST_TMP/err"
	[ "$rc" -eq 1 ] || fail "fleet run stopped by SIGTERM exited $rc, not 1"
	grep -q "^error: interrupted (Terminated): the runs at work were killed" "$TEST_TMP/err" ||
		fail "no message about the interruption"
	sleep 0.5
	! pgrep -f "$TEST_TMP/t/hang.git" >/dev/null || fail "a run is left after SIGTERM"
}

# Most tables first: with one job, the order of the JSON lines.
test_need_first() {
	mkdir -p "$TEST_TMP/o"
	cp -r "$TEST_TMP/template.git" "$TEST_TMP/o/a.git"
	cp -r "$TEST_TMP/template.git" "$TEST_TMP/o/b.git"
	cp -r "$TEST_TMP/template.git" "$TEST_TMP/o/c.git"
	git -C "$TEST_TMP/o/b.git" branch x main
	git -C "$TEST_TMP/o/b.git" branch y main
	git -C "$TEST_TMP/o/c.git" branch x main
	git reftable fleet run --scan="$TEST_TMP/o" --jobs=1 --dry-run --json >"$TEST_TMP/out"
	[ "$(jq -r '.repo' "$TEST_TMP/out" | xargs -n1 basename | tr '\n' ' ')" = "b.git c.git a.git " ] ||
		fail "not ordered by need: $(jq -r .repo "$TEST_TMP/out")"
	# The root given may be a symlink (only what is below is not followed).
	ln -s "$TEST_TMP/o" "$TEST_TMP/o-link"
	git reftable fleet run --scan="$TEST_TMP/o-link" --jobs=1 --dry-run --json >"$TEST_TMP/out"
	[ "$(jq -r '.repo' "$TEST_TMP/out" | wc -l)" -eq 3 ] ||
		fail "a symlinked --scan root: $(wc -l <"$TEST_TMP/out") repositories, not 3"
}

# The registered repositories, through the old entries' command too.
test_registered_alias() {
	git config --global --add reftable-maintenance.repo "$F/r1.git"
	git config --global --add reftable-maintenance.repo "$TEST_TMP/gone"
	git -C "$F/r1.git" branch after-alias main
	git reftable schedule run-registered --schedule=daily >"$TEST_TMP/out" 2>"$TEST_TMP/err" ||
		{ cat "$TEST_TMP/err"; fail "run-registered failed"; }
	cat "$TEST_TMP/out" "$TEST_TMP/err"
	grep -q "^$TEST_TMP/gone: skipped: no repository there" "$TEST_TMP/err" ||
		fail "the missing repository is not reported"
	grep -q "^fleet: 2 repositories" "$TEST_TMP/err" || fail "run-registered is not a fleet run"
	# A scheduled run's report is in the repository's log.
	grep -q "^[0-9-]*T[0-9:]*Z fleet run --schedule=daily: main: expire: done" \
		"$F/r1.git/reftable-maintenance.log" || fail "the scheduled run is not in the log"
	git reftable fleet run --quiet --schedule=daily >"$TEST_TMP/out" 2>"$TEST_TMP/err" ||
		fail "fleet run --registered failed"
	[ ! -s "$TEST_TMP/out" ] || fail "--quiet printed a report"
}

# fleet run --auto starts no run in a repository with nothing due by the
# hook's cheap rules (its state file and log untouched), and still runs
# in one that is due, one never looked at, and one with a stray file.
test_not_due_not_visited() {
	local d=$TEST_TMP/nd
	mkdir -p "$d"
	for r in idle due stray; do
		cp -r "$TEST_TMP/template.git" "$d/$r.git"
	done
	# The first run looks at each and records it in the state file.
	git reftable fleet run --scan="$d" --auto --json >"$TEST_TMP/out" ||
		fail "first fleet run failed"
	for r in idle due stray; do
		[ -f "$d/$r.git/reftable-maintenance.state" ] || fail "$r.git: never looked at"
	done
	for b in 1 2 3 4 5 6 7; do
		git -C "$d/due.git" branch "b$b" main
	done
	: >"$d/stray.git/reftable/stray.lock"
	cp -r "$TEST_TMP/template.git" "$d/fresh.git"
	# An old mtime: a rewrite within the second would show too.
	touch -d '2 hours ago' "$d/idle.git/reftable-maintenance.state"
	cp -p "$d/idle.git/reftable-maintenance.state" "$TEST_TMP/idle.state"
	git reftable fleet run --scan="$d" --auto --json >"$TEST_TMP/out" ||
		fail "second fleet run failed"
	cat "$TEST_TMP/out"
	jq -se --arg r "$d/idle.git" '[.[] | select(.repo == $r)] | length == 1 and
		.[0].outcome == "nothing_due" and .[0].ran == false and (.[0] | has("run") | not)' \
		"$TEST_TMP/out" >/dev/null || fail "idle.git: not left alone"
	[ "$(stat -c %Y "$d/idle.git/reftable-maintenance.state")" = \
		"$(stat -c %Y "$TEST_TMP/idle.state")" ] || fail "idle.git: its state file was written"
	expect_same "$TEST_TMP/idle.state" "$d/idle.git/reftable-maintenance.state"
	jq -se --arg r "$d/due.git" '[.[] | select(.repo == $r)] | .[0].outcome == "done" and
		.[0].run.status == "ok"' "$TEST_TMP/out" >/dev/null || fail "due.git: not maintained"
	[ "$(tables "$d/due.git")" -lt 8 ] || fail "due.git: not compacted"
	for r in fresh stray; do
		jq -se --arg r "$d/$r.git" '[.[] | select(.repo == $r)] | (.[0] | has("run"))' \
			"$TEST_TMP/out" >/dev/null || fail "$r.git: not run"
	done
	[ -f "$d/fresh.git/reftable-maintenance.state" ] || fail "fresh.git: not looked at"
	# Not plain --auto: every repository is run.
	git reftable fleet run --scan="$d" --auto --dry-run --json >"$TEST_TMP/out" ||
		fail "dry run failed"
	[ "$(jq -s '[.[] | select(has("run"))] | length' "$TEST_TMP/out")" -eq 4 ] ||
		fail "a dry run left a repository alone"
}

test_usage() {
	local a rc
	for a in "" "run --jobs=0" "run --jobs=2x" "run --timeout=0" "run --timeout=soon" \
		"run --detach" "run --schedule=monthly" "run --task=gc" "walk"; do
		rc=0
		# shellcheck disable=SC2086
		git reftable fleet $a --repos-from=/dev/null >/dev/null 2>"$TEST_TMP/err" || rc=$?
		[ "$rc" -eq 2 ] || fail "'fleet $a' exited $rc, not 2"
		grep -q "^usage: git reftable fleet run" "$TEST_TMP/err" || fail "'fleet $a': no usage"
	done
	git reftable fleet run --repos-from=/dev/null --timeout=30m --jobs=3 ||
		fail "an empty list is not a failure"
}

test_case "a fleet: the broken one named, the others maintained, metrics valid" test_fleet
test_case "a metrics run with nothing due reuses each repository's kept metrics" \
	test_metrics_kept
test_case "--quiet prints only the problem; --json lines parse" test_quiet_json
test_case "a truncated table: whole JSON, Prometheus samples" test_broken_whole
test_case "a hanging repository is killed at --timeout" test_timeout
test_case "repositories with the most tables first; a symlinked --scan root" test_need_first
test_case "schedule run-registered is fleet run --registered" test_registered_alias
test_case "fleet run --auto leaves repositories with nothing due alone" \
	test_not_due_not_visited
test_case "usage errors exit 2" test_usage
