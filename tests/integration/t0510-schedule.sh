#!/usr/bin/env bash
# git reftable schedule start|stop|list, with crontab and systemd user
# timers as backends. Fake `crontab` and `systemctl` commands come first on
# PATH: the fake crontab keeps the table in a file, the fake systemctl
# only logs its arguments. Nothing real is ever scheduled.
. "$(dirname "$0")/../lib.sh"

FAKE=$TEST_TMP/fake
export FAKE_TAB=$TEST_TMP/crontab.tab FAKE_LOG=$TEST_TMP/fake.log
mkdir -p "$FAKE"
# FAKE_FAIL=<word>: the fake exits 1 when its arguments contain <word>.
cat >"$FAKE/crontab" <<'EOF'
#!/bin/sh
echo "crontab $*" >>"$FAKE_LOG"
case " $* " in *" ${FAKE_FAIL:-none} "*)
	echo "crontab: simulated failure" >&2; exit 1 ;;
esac
case "$*" in
-l) if [ -f "$FAKE_TAB" ]; then cat "$FAKE_TAB"
    else echo "no crontab for tester" >&2; exit 1; fi ;;
-r) rm "$FAKE_TAB" ;;
-) cat >"$FAKE_TAB" ;;
*) echo "fake crontab: unexpected arguments: $*" >&2; exit 2 ;;
esac
EOF
cat >"$FAKE/systemctl" <<'EOF'
#!/bin/sh
echo "systemctl $*" >>"$FAKE_LOG"
case " $* " in *" ${FAKE_FAIL:-none} "*)
	echo "systemctl: simulated failure" >&2; exit 1 ;;
esac
EOF
chmod +x "$FAKE/crontab" "$FAKE/systemctl"
PATH=$FAKE:$PATH

# Guards: the tests must reach neither the real scheduler nor the real home.
case "$HOME:$XDG_CONFIG_HOME" in
"$TEST_TMP"/home:"$TEST_TMP"/home/.config) ;;
*) echo "not ok - test setup: HOME or XDG_CONFIG_HOME is not private"; exit 1 ;;
esac
if [ "$(command -v crontab)" != "$FAKE/crontab" ] ||
	[ "$(command -v systemctl)" != "$FAKE/systemctl" ]; then
	echo "not ok - test setup: the fake crontab/systemctl are not first on PATH"
	exit 1
fi

UNITS=$XDG_CONFIG_HOME/systemd/user
PROG=$(realpath "$RT_BUILD/git-reftable")
# git-reftable is run directly here, so git is found in $TEST_TMP/bin.
JOBPATH=$TEST_TMP/bin:$(dirname "$PROG"):/usr/local/bin:/usr/bin:/bin
TIMERS='git-reftable@hourly.timer git-reftable@daily.timer git-reftable@weekly.timer'

# A clean slate: no table, no registrations, no unit files, an empty log.
reset_state() {
	rm -rf "$FAKE_TAB" "$FAKE_LOG" "$XDG_CONFIG_HOME/systemd" r1 r2 r3
	: >"$FAKE_LOG"
	git config --global --unset-all reftable-maintenance.repo || :
	for r in r1 r2 r3; do git init -q --ref-format=reftable $r; done
}

registered() {
	git config --global --get-all reftable-maintenance.repo || :
}

# The minute the crontab block uses; fails unless it is 0..59.
cron_minute() {
	local m
	m=$(sed -n 's/^\([0-9][0-9]*\) 1-23 \* \* \* .*/\1/p' "$FAKE_TAB")
	[ -n "$m" ] && [ "$m" -ge 0 ] && [ "$m" -le 59 ] ||
		fail "no hourly line with a minute 0..59 in the crontab"
	echo "$m"
}

expected_block() {
	cat <<EOF
# BEGIN GIT-REFTABLE SCHEDULE
# Installed by 'git reftable schedule start' and removed by
# 'git reftable schedule stop'; edits in this block are lost.
$1 1-23 * * * PATH='$JOBPATH' '$PROG' fleet run --registered --quiet --schedule=hourly
$1 0 * * 1-6 PATH='$JOBPATH' '$PROG' fleet run --registered --quiet --schedule=daily
$1 0 * * 0 PATH='$JOBPATH' '$PROG' fleet run --registered --quiet --schedule=weekly
# END GIT-REFTABLE SCHEDULE
EOF
}

user_table() {
	printf 'MAILTO=me@example.com\n# my jobs\n0 5 * * * /usr/bin/true --mine\n'
}

test_crontab_start() {
	reset_state
	user_table >"$FAKE_TAB"
	cp "$FAKE_TAB" before
	(cd r1 && git-reftable schedule start --scheduler=crontab) 2>err
	grep -q "^crontab: hourly, daily and weekly maintenance at minute" err ||
		fail "no confirmation: $(cat err)"
	{ cat before; expected_block "$(cron_minute)"; } >expect
	expect_same expect "$FAKE_TAB"
	realpath r1 >expect
	registered >actual
	expect_same expect actual
	printf 'crontab -l\ncrontab -\n' >expect
	expect_same expect "$FAKE_LOG"
}

test_crontab_restart() {
	reset_state
	user_table >"$FAKE_TAB"
	(cd r1 && git-reftable schedule start --scheduler=crontab)
	cp "$FAKE_TAB" after1
	# Again, from a subdirectory: the same repository, the same entries.
	mkdir -p r1/sub/dir
	(cd r1/sub/dir && git-reftable schedule start --scheduler=crontab) 2>err
	grep -q "is already registered" err || fail "no note: $(cat err)"
	expect_same after1 "$FAKE_TAB"
	realpath r1 >expect
	registered >actual
	expect_same expect actual
	# The unchanged table was not written a second time.
	[ "$(grep -c '^crontab -$' "$FAKE_LOG")" -eq 1 ] ||
		fail "crontab written again: $(cat "$FAKE_LOG")"
}

test_crontab_stop() {
	reset_state
	user_table >"$FAKE_TAB"
	cp "$FAKE_TAB" before
	(cd r1 && git-reftable schedule start --scheduler=crontab)
	(cd r1 && git-reftable schedule stop) 2>err
	grep -q "schedule removed" err || fail "no note: $(cat err)"
	expect_same before "$FAKE_TAB"
	[ -z "$(registered)" ] || fail "still registered: $(registered)"
}

test_crontab_none_before() {
	reset_state
	(cd r1 && git-reftable schedule start --scheduler=crontab)
	expected_block "$(cron_minute)" >expect
	expect_same expect "$FAKE_TAB"
	(cd r1 && git-reftable schedule stop)
	# No table before, none after (not an empty one).
	[ ! -e "$FAKE_TAB" ] || fail "a crontab is left: $(cat "$FAKE_TAB")"
	tail -n 1 "$FAKE_LOG" | grep -qx 'crontab -r'
}

test_crontab_in_place() {
	reset_state
	(cd r1 && git-reftable schedule start --scheduler=crontab)
	m=$(cron_minute)
	# The user adds lines after our block, and edits inside it.
	{ user_table; cat "$FAKE_TAB"; echo '30 6 * * * /usr/bin/true --later'; } >tab
	sed 's/^# Installed by/# edited by hand, installed by/' tab >"$FAKE_TAB"
	(cd r1 && git-reftable schedule start --scheduler=crontab)
	{ user_table; expected_block "$m";
	  echo '30 6 * * * /usr/bin/true --later'; } >expect
	expect_same expect "$FAKE_TAB"
	(cd r1 && git-reftable schedule stop)
	{ user_table; echo '30 6 * * * /usr/bin/true --later'; } >expect
	expect_same expect "$FAKE_TAB"
}

test_two_repos() {
	reset_state
	user_table >"$FAKE_TAB"
	cp "$FAKE_TAB" before
	(cd r1 && git-reftable schedule start --scheduler=crontab)
	(cd r2 && git-reftable schedule start --scheduler=crontab)
	cp "$FAKE_TAB" scheduled
	{ realpath r1; realpath r2; } >expect
	registered >actual
	expect_same expect actual
	(cd r1 && git-reftable schedule stop) 2>err
	grep -q "schedule kept for 1 registered repository" err ||
		fail "no note: $(cat err)"
	expect_same scheduled "$FAKE_TAB"
	realpath r2 >expect
	registered >actual
	expect_same expect actual
	# Stopping r1 again changes nothing and says so.
	(cd r1 && git-reftable schedule stop) 2>err
	grep -q "was not registered" err || fail "no note: $(cat err)"
	expect_same scheduled "$FAKE_TAB"
	(cd r2 && git-reftable schedule stop)
	expect_same before "$FAKE_TAB"
	[ -z "$(registered)" ]
}

expected_service() {
	cat <<EOF
# Installed by 'git reftable schedule start' and removed by
# 'git reftable schedule stop'; edits to this file are lost.

[Unit]
Description=git-reftable %i maintenance of the registered repositories

[Service]
Type=oneshot
Environment="PATH=$JOBPATH"
ExecStart="$PROG" fleet run --registered --quiet --schedule=%i
NoNewPrivileges=yes
EOF
}

expected_timer() {
	cat <<EOF
# Installed by 'git reftable schedule start' and removed by
# 'git reftable schedule stop'; edits to this file are lost.

[Unit]
Description=git-reftable $1 maintenance

[Timer]
OnCalendar=$2
Persistent=true

[Install]
WantedBy=timers.target
EOF
}

test_systemd() {
	reset_state
	# The user's own unit, which must survive untouched.
	mkdir -p "$UNITS"
	printf '[Service]\nExecStart=/usr/bin/true\n' >"$UNITS/mine.service"
	cp -a "$UNITS" units.before
	(cd r1 && git-reftable schedule start --scheduler=systemd) 2>err
	grep -q "^systemd: hourly, daily and weekly" err ||
		fail "no confirmation: $(cat err)"
	(cd "$UNITS" && ls) >actual
	printf '%s\n' 'git-reftable@.service' 'git-reftable@daily.timer' \
		'git-reftable@hourly.timer' 'git-reftable@weekly.timer' \
		mine.service >expect
	expect_same expect actual
	m=$(sed -n 's/^OnCalendar=\*-\*-\* 1\.\.23:\([0-5][0-9]\):00$/\1/p' \
		"$UNITS/git-reftable@hourly.timer")
	[ -n "$m" ] || fail "no hourly OnCalendar line"
	expected_service >expect
	expect_same expect "$UNITS/git-reftable@.service"
	expected_timer hourly "*-*-* 1..23:$m:00" >expect
	expect_same expect "$UNITS/git-reftable@hourly.timer"
	expected_timer daily "Mon..Sat *-*-* 0:$m:00" >expect
	expect_same expect "$UNITS/git-reftable@daily.timer"
	expected_timer weekly "Sun *-*-* 0:$m:00" >expect
	expect_same expect "$UNITS/git-reftable@weekly.timer"
	# There is no crontab: asking for one to clean up is all it did.
	printf '%s\n' 'crontab -l' 'systemctl --user daemon-reload' \
		"systemctl --user enable --now $TIMERS" >expect
	sort "$FAKE_LOG" >actual
	expect_same expect actual
	: >"$FAKE_LOG"
	(cd r1 && git-reftable schedule stop)
	diff -r units.before "$UNITS" || fail "unit directory differs"
	printf '%s\n' "systemctl --user disable --now $TIMERS" \
		'systemctl --user daemon-reload' >expect
	grep '^systemctl' "$FAKE_LOG" >actual
	expect_same expect actual
}

test_auto() {
	reset_state
	(cd r1 && git-reftable schedule start) 2>err
	grep -q '^systemd:' err || fail "auto did not pick systemd: $(cat err)"
	head -n 1 "$FAKE_LOG" | grep -qx 'systemctl --user list-timers'
	[ -f "$UNITS/git-reftable@.service" ] && [ ! -e "$FAKE_TAB" ]
	(cd r1 && git-reftable schedule stop)
	# A user manager that cannot be reached: crontab instead.
	(cd r1 && FAKE_FAIL=list-timers git-reftable schedule start) 2>err
	grep -q '^crontab:' err || fail "auto did not pick crontab: $(cat err)"
	expected_block "$(cron_minute)" >expect
	expect_same expect "$FAKE_TAB"
	[ ! -e "$UNITS/git-reftable@.service" ]
}

test_switch() {
	reset_state
	user_table >"$FAKE_TAB"
	(cd r1 && git-reftable schedule start --scheduler=crontab)
	m=$(cron_minute)
	(cd r1 && git-reftable schedule start --scheduler=systemd)
	# One scheduler at a time: the crontab block is gone, user lines kept.
	user_table >expect
	expect_same expect "$FAKE_TAB"
	grep -qx "OnCalendar=\*-\*-\* 1\.\.23:$m:00" \
		"$UNITS/git-reftable@hourly.timer" ||
		fail "the timers do not use the crontab's minute $m"
	: >"$FAKE_LOG"
	(cd r1 && git-reftable schedule start --scheduler=crontab)
	grep -qx "systemctl --user disable --now $TIMERS" "$FAKE_LOG"
	[ -z "$(ls -A "$UNITS")" ] || fail "units left: $(ls -A "$UNITS")"
	{ user_table; expected_block "$m"; } >expect
	expect_same expect "$FAKE_TAB"
	realpath r1 >expect
	registered >actual
	expect_same expect actual
}

test_list() {
	reset_state
	git-reftable schedule list >actual
	printf '%s\n' 'repositories: 0' 'crontab: not installed' \
		'systemd: not installed' >expect
	expect_same expect actual
	(cd r1 && git-reftable schedule start --scheduler=crontab)
	(cd r2 && git-reftable schedule start --scheduler=crontab)
	(cd r3 && git-reftable schedule list) >actual
	{ echo 'repositories: 2'; echo "  $(realpath r1)";
	  echo "  $(realpath r2)"; echo 'crontab: hourly daily weekly';
	  echo 'systemd: not installed'; } >expect
	expect_same expect actual
	(cd r2 && git-reftable schedule start --scheduler=systemd)
	rm "$UNITS/git-reftable@daily.timer"
	PATH=$TEST_TMP/bin git-reftable schedule list >actual
	{ echo 'repositories: 2'; echo "  $(realpath r1)";
	  echo "  $(realpath r2)";
	  echo 'crontab: not available (crontab not found on PATH)';
	  echo 'systemd: hourly weekly'; } >expect
	expect_same expect actual
}

# The cron line's command, run the way cron runs it: by sh, with an
# almost empty environment. Nothing registered exists, so no `run` starts.
test_cron_command_runs() {
	reset_state
	odd="$TEST_TMP/it's a dir"
	mkdir -p "$odd"
	cp "$PROG" "$odd/git-reftable"
	(cd r1 && "$odd/git-reftable" schedule start --scheduler=crontab)
	grep -qF "'$TEST_TMP/it'\\''s a dir/git-reftable' fleet" "$FAKE_TAB" ||
		fail "program path not quoted: $(cat "$FAKE_TAB")"
	git config --global --unset-all reftable-maintenance.repo
	git config --global --add reftable-maintenance.repo "$TEST_TMP/gone repo"
	cmd=$(sed -n 's/^[0-9]* 1-23 \* \* \* //p' "$FAKE_TAB")
	env -i HOME="$HOME" GIT_CONFIG_NOSYSTEM=1 /bin/sh -c "$cmd" 2>err ||
		fail "the cron command failed: $(cat err)"
	grep -qF "$TEST_TMP/gone repo: skipped: no repository there" err ||
		fail "no warning about the missing repository: $(cat err)"
	# Nothing registered: nothing to do, nothing said.
	git config --global --unset-all reftable-maintenance.repo
	env -i HOME="$HOME" /bin/sh -c "$cmd" >out 2>&1
	[ ! -s out ] || fail "output with nothing registered: $(cat out)"
}

test_percent_refused() {
	reset_state
	mkdir -p "$TEST_TMP/100%"
	cp "$PROG" "$TEST_TMP/100%/git-reftable"
	user_table >"$FAKE_TAB"
	cp "$FAKE_TAB" before
	rc=0
	(cd r1 && "$TEST_TMP/100%/git-reftable" schedule start \
		--scheduler=crontab) 2>err || rc=$?
	[ $rc -eq 1 ] || fail "exit $rc"
	grep -q "contains '%'" err || fail "unclear error: $(cat err)"
	expect_same before "$FAKE_TAB"
	[ -z "$(registered)" ]
}

expect_exit() {
	local want=$1 rc=0
	shift
	"$@" >out 2>err || rc=$?
	[ $rc -eq "$want" ] || fail "'$*' exited $rc, not $want: $(cat err)"
}

test_usage() {
	reset_state
	cd r1
	expect_exit 2 git-reftable schedule
	grep -q '^usage: git reftable schedule' err
	expect_exit 2 git-reftable schedule bogus
	expect_exit 2 git-reftable schedule start --scheduler=cron
	grep -q "unknown scheduler 'cron'" err
	expect_exit 2 git-reftable schedule start --now
	expect_exit 2 git-reftable schedule stop extra
	expect_exit 2 git-reftable schedule list extra
	expect_exit 2 git-reftable schedule run-registered
	expect_exit 2 git-reftable schedule run-registered --schedule=monthly
	expect_exit 0 git-reftable schedule --help
	grep -q "systemd when 'systemctl --user list-timers'" out
	expect_exit 0 git-reftable help schedule
	expect_exit 0 git-reftable schedule start --help
	grep -q '^usage: git reftable schedule (start' out
	[ ! -e "$FAKE_TAB" ] && [ -z "$(registered)" ] && [ ! -s "$FAKE_LOG" ]
}

test_missing_commands() {
	reset_state
	cd r1
	# Only git and git-reftable on PATH.
	PATH=$TEST_TMP/bin expect_exit 1 git-reftable schedule start \
		--scheduler=crontab
	grep -q 'crontab not found on PATH' err || fail "$(cat err)"
	PATH=$TEST_TMP/bin expect_exit 1 git-reftable schedule start \
		--scheduler=systemd
	grep -q 'systemctl not found on PATH' err || fail "$(cat err)"
	[ ! -e "$UNITS" ] || fail "units written: $(ls -A "$UNITS")"
	PATH=$TEST_TMP/bin expect_exit 1 git-reftable schedule start
	grep -q 'neither systemd user timers' err || fail "$(cat err)"
	[ -z "$(registered)" ] && [ ! -s "$FAKE_LOG" ]
	# Unit files left behind but no systemctl: stop says so, keeps them.
	git-reftable schedule start --scheduler=systemd
	PATH=$TEST_TMP/bin expect_exit 1 git-reftable schedule stop
	grep -q 'systemctl not found on PATH' err || fail "$(cat err)"
	[ -f "$UNITS/git-reftable@hourly.timer" ]
}

test_backend_failures() {
	reset_state
	user_table >"$FAKE_TAB"
	cp "$FAKE_TAB" before
	# `crontab -l` failing for another reason than "no crontab": writing
	# back would wipe the table, so nothing is written.
	FAKE_FAIL=-l expect_exit 1 git-reftable -C r1 schedule start \
		--scheduler=crontab
	grep -q "'crontab -l' failed (exit 1): crontab: simulated failure" err ||
		fail "$(cat err)"
	FAKE_FAIL=- expect_exit 1 git-reftable -C r1 schedule start \
		--scheduler=crontab
	grep -q "'crontab -' failed (exit 1)" err || fail "$(cat err)"
	expect_same before "$FAKE_TAB"
	[ -z "$(registered)" ]
	# A BEGIN marker without END: we cannot tell where our lines end.
	{ cat before; echo '# BEGIN GIT-REFTABLE SCHEDULE';
	  echo '0 1 * * * /usr/bin/true --user-line'; } >"$FAKE_TAB"
	cp "$FAKE_TAB" broken
	expect_exit 1 git-reftable -C r1 schedule start --scheduler=crontab
	grep -q "without '# END GIT-REFTABLE SCHEDULE'" err || fail "$(cat err)"
	expect_same broken "$FAKE_TAB"
	[ -z "$(registered)" ]
	FAKE_FAIL=enable expect_exit 1 git-reftable -C r1 schedule start \
		--scheduler=systemd
	grep -q "'systemctl --user enable --now git-reftable@hourly.timer" err ||
		fail "$(cat err)"
	[ -z "$(registered)" ]
}

test_not_a_reftable_repo() {
	reset_state
	mkdir -p plain
	expect_exit 1 git-reftable -C plain schedule start --scheduler=crontab
	grep -q 'not a git repository' err || fail "$(cat err)"
	rm -rf files && git init -q --ref-format=files files
	expect_exit 1 git-reftable -C files schedule start --scheduler=crontab
	grep -q 'does not use the reftable ref backend' err || fail "$(cat err)"
	[ ! -e "$FAKE_TAB" ] && [ -z "$(registered)" ]
}

test_bare_repository() {
	reset_state
	rm -rf bare.git && git init -q --bare --ref-format=reftable bare.git
	git-reftable -C bare.git schedule start --scheduler=crontab
	realpath bare.git >expect
	registered >actual
	expect_same expect actual
	git-reftable -C bare.git schedule stop
	[ -z "$(registered)" ] && [ ! -e "$FAKE_TAB" ]
}

test_case 'start --scheduler=crontab appends our block, keeps user lines, registers' test_crontab_start
test_case 'start again: no duplicate registration, crontab unchanged' test_crontab_restart
test_case 'stop restores the crontab byte for byte and unregisters' test_crontab_stop
test_case 'no crontab before start: none after stop' test_crontab_none_before
test_case 'a block among user lines is replaced and removed in place' test_crontab_in_place
test_case 'two repositories: stopping one keeps the schedule' test_two_repos
test_case 'systemd: unit files and systemctl calls; stop restores the directory' test_systemd
test_case 'auto: systemd when systemctl --user works, else crontab' test_auto
test_case 'switching scheduler removes the other one'"'"'s entries' test_switch
test_case 'list: registered repositories and installed entries' test_list
test_case 'the cron command runs under sh with a minimal environment' test_cron_command_runs
test_case 'a program path with % is refused for crontab' test_percent_refused
test_case 'usage errors exit 2; --help' test_usage
test_case 'missing crontab/systemctl: exit 1, nothing registered' test_missing_commands
test_case 'failing crontab/systemctl: exit 1, crontab untouched' test_backend_failures
test_case 'outside a repository or on the files backend: exit 1' test_not_a_reftable_repo
test_case 'a bare repository registers its git dir' test_bare_repository
