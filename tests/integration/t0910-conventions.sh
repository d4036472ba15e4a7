#!/usr/bin/env bash
# t0910: Git's conventions.
#
# Dates: every form of Git's approxidate that expiry settings use expires
# exactly the entries `git reflog expire --expire=<date>` expires on the
# same reflogs (copies of one repository, entries dated over 400 days up to
# now), on the command line and as gc.reflogExpire, which `run` and
# `policy show` accept too. `expire --dry-run` prints one summary line per
# stack (Git's dry run is silent), per reflog only with --verbose. `-q`
# leaves `run`, `compact`, `clean`, `expire`, `install` and `uninstall`
# silent unless something is wrong.
# Progress shows on a terminal (a pty from script(1)), with --progress,
# never with --no-progress, -q, or when stderr is not a terminal. The run
# log writes ISO 8601 times; plan reasons count sizes in bytes, as every
# other output. Plain `make` and `make install` never reach apt-get; CI
# runs `make deps` first.
. "$(dirname "$0")/../lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd)
unset MAKEFLAGS MFLAGS MAKELEVEL
# Dated writes below set their own dates; everything else is "now".
unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE
NOW=$(date +%s)
export GIT_TEST_REFTABLE_AUTOCOMPACTION=false
DAY=86400

# A reftable repository whose main (and HEAD) reflog has an entry every 3
# days from 400 days ago up to now, each 77 minutes off the whole day, so
# no entry is within an hour of a cut-off named in days, weeks, months or
# years, or of a date at the current time of day. Linear history: every
# entry is reachable, so only --expire decides.
dated_repo() { # <dir>
	local k t c
	git init -q --ref-format=reftable "$1"
	c=$(git -C "$1" commit-tree -m root "$(git -C "$1" mktree </dev/null)")
	for ((k = 133; k >= 0; k--)); do
		t=$((NOW - k * 3 * DAY - 77 * 60))
		c=$(GIT_COMMITTER_DATE="$t +0000" GIT_AUTHOR_DATE="$t +0000" \
			git -C "$1" commit-tree -p "$c" -m "c$k" "$(git -C "$1" mktree </dev/null)")
		GIT_COMMITTER_DATE="$t +0000" git -C "$1" update-ref -m "to c$k" \
			refs/heads/main "$c"
	done
}

# Every reflog entry of the repository, with its time.
entries_of() { # <dir>
	local r
	for r in HEAD refs/heads/main; do
		echo "== $r"
		git -C "$1" reflog show --date=unix --format='%gd %gs' "$r" -- 2>&1
	done
}

# The forms the brief names, then more of Git's: relative, calendar and
# absolute, with dates computed from now so they fall inside the data.
date_forms() {
	printf '%s\n' '2026-01-01' '2026-01-01 12:00' 'yesterday' '2.weeks.ago' \
		'90 days' 'now' 'never' 'all' '3.months.ago' '1.year.ago' \
		'1 week 2 days' '6 months' \
		"$(date -u -d "@$((NOW - 200 * DAY))" +%Y-%m-%d)" \
		"$(date -u -d "@$((NOW - 100 * DAY))" '+%Y-%m-%d %H:%M')" \
		"$(date -u -d "@$((NOW - 50 * DAY))" '+%Y-%m-%dT%H:%M:%S+0000')"
}

test_dates_round_trip() {
	local d n=0
	dated_repo base
	while IFS= read -r d; do
		n=$((n + 1))
		rm -rf g$n o$n
		cp -a base g$n
		cp -a base o$n
		git -C g$n reflog expire --all --expire="$d" \
			--expire-unreachable="$d" || fail "git refuses '$d'"
		git -C o$n reftable expire --expire="$d" \
			--expire-unreachable="$d" >out 2>&1 ||
			fail "expire --expire='$d' failed: $(cat out)"
		entries_of g$n >want
		entries_of o$n >got
		expect_same want got || fail "'$d' expires otherwise than Git"
	done < <(date_forms)
	# The data is not trivial: some forms keep part of the reflog.
	[ "$(git -C g13 reflog show refs/heads/main -- | wc -l)" -gt 10 ] ||
		fail "200 days ago kept nearly nothing"
	[ "$(git -C g4 reflog show refs/heads/main -- | wc -l)" -eq 5 ] ||
		fail "2.weeks.ago: $(git -C g4 reflog show refs/heads/main -- | wc -l) entries"
}
test_case "Git's date forms expire exactly what git reflog expire does" \
	test_dates_round_trip

test_gc_reflog_expire_date() {
	dated_repo base2
	cp -a base2 g
	cp -a base2 o
	git -C g config gc.reflogExpire 2026-06-01
	git -C o config gc.reflogExpire 2026-06-01
	git -C g reflog expire --all
	git -C o reftable policy show >show 2>&1 ||
		fail "policy show refuses gc.reflogExpire=2026-06-01: $(cat show)"
	grep -iq '^expire = 2026-06-01.*git config gc.reflogExpire' show ||
		fail "policy show: $(cat show)"
	git -C o reftable run --dry-run >run.out 2>&1 ||
		fail "run refuses gc.reflogExpire=2026-06-01: $(cat run.out)"
	git -C o reftable expire >out 2>&1 ||
		fail "expire refuses gc.reflogExpire=2026-06-01: $(cat out)"
	entries_of g >want
	entries_of o >got
	expect_same want got
	# As a policy value too.
	printf '[reflog]\nexpire = 2026-01-01 12:00\n' >p.ini
	git -C o reftable policy check "$TEST_TMP/p.ini" >check 2>&1 ||
		fail "policy refuses a date: $(cat check)"
}
test_case "gc.reflogExpire=2026-06-01: policy show, run and expire accept it, as Git" \
	test_gc_reflog_expire_date

# <n> branches, each with a reflog of two entries ten days old.
many_reflogs() { # <dir> <n>
	local i
	local GIT_COMMITTER_DATE="$((NOW - 10 * DAY)) +0000"
	export GIT_COMMITTER_DATE
	git init -q --ref-format=reftable "$1"
	git -C "$1" commit -q --allow-empty -m one
	git -C "$1" commit -q --allow-empty -m two
	for ((i = 0; i < $2; i++)); do
		echo "create refs/heads/b$i HEAD~1"
	done | git -C "$1" update-ref --stdin
	for ((i = 0; i < $2; i++)); do
		echo "update refs/heads/b$i HEAD"
	done | git -C "$1" update-ref --stdin
}

test_dry_run_summary() {
	many_reflogs m 300
	(cd m && git reftable expire --dry-run --expire=now) >out 2>err
	cat out
	[ "$(wc -l <out)" -eq 1 ] || fail "dry run printed $(wc -l <out) lines"
	grep -q '^main: would expire 60[0-9] of 60[0-9] entries in 30[0-9] reflogs' out ||
		fail "no summary: $(cat out)"
	[ ! -s err ] || fail "stderr: $(cat err)"
	(cd m && git reftable expire --dry-run --verbose --expire=now) >out
	[ "$(grep -c '^refs/heads/b[0-9]*: would expire' out)" -eq 300 ] ||
		fail "--verbose does not list every reflog"
	grep -q '^  would expire refs/heads/b7@{' out || fail "--verbose lists no entry"
}
test_case "expire --dry-run: one summary line a stack; per reflog with --verbose" \
	test_dry_run_summary

# A stack of <n> tables: Git's auto-compaction off (as everywhere below).
long_stack() { # <dir> <n>
	local i
	git init -q --ref-format=reftable "$1"
	git -C "$1" commit -q --allow-empty -m one
	for ((i = 0; i < $2; i++)); do
		git -C "$1" update-ref refs/heads/t$i HEAD
	done
}

test_quiet() {
	long_stack q 6
	cd q
	git reftable run >out 2>&1
	[ -s out ] || fail "run says nothing without -q"
	git reftable run -q >out 2>&1 || fail "run -q failed: $(cat out)"
	[ ! -s out ] || fail "run -q with nothing to do: $(cat out)"
	git reftable run --quiet >out 2>&1
	[ ! -s out ] || fail "run --quiet: $(cat out)"
	for i in 1 2 3; do git update-ref refs/heads/u$i HEAD; done
	git reftable compact --all -q >out 2>&1 || fail "compact -q failed"
	[ ! -s out ] || fail "compact -q: $(cat out)"
	[ "$(wc -l <.git/reftable/tables.list)" -eq 1 ] || fail "compact -q did not compact"
	git reftable clean -q >out 2>&1 || fail "clean -q failed"
	[ ! -s out ] || fail "clean -q: $(cat out)"
	git reftable clean >out 2>&1
	[ -s out ] || fail "clean says nothing without -q"
	git reftable expire -q --expire=now >out 2>&1 || fail "expire -q failed"
	[ ! -s out ] || fail "expire -q: $(cat out)"
	[ -z "$(git reflog show refs/heads/u1)" ] || fail "expire -q expired nothing"
	git reftable expire >out 2>&1
	[ -s out ] || fail "expire says nothing without -q"
	git reftable install -q >out 2>&1 || fail "install -q failed: $(cat out)"
	[ ! -s out ] || fail "install -q: $(cat out)"
	[ -L .git/hooks/post-commit ] ||
		fail "install -q installed nothing: $(ls .git/hooks)"
	git reftable uninstall --quiet >out 2>&1 || fail "uninstall -q failed"
	[ ! -s out ] || fail "uninstall --quiet: $(cat out)"
	[ ! -e .git/hooks/post-commit ] || fail "uninstall -q left hooks"
	git reftable uninstall >out 2>&1
	[ -s out ] || fail "uninstall says nothing without -q"
	# Errors still show.
	cd ..
	git init -q --ref-format=files f
	! git -C f reftable compact -q >out 2>&1 || fail "compact -q in a files repo succeeded"
	grep -q '^error: ' out || fail "compact -q hides the error: $(cat out)"
}
test_case "-q/--quiet: run, compact, clean, expire, install and uninstall print nothing unless wrong" test_quiet

# Run `$*` with a terminal as stdin, stdout and stderr; its output on stdout.
on_tty() {
	script -qec "$*" /dev/null
}

test_progress() {
	long_stack p 5
	many_reflogs p2 50
	cd p
	export GIT_PROGRESS_DELAY=0
	on_tty git reftable compact --all >out
	grep -q 'Compacting records: [0-9]*, done\.' out || fail "no progress: $(cat -A out)"
	git update-ref refs/heads/v1 HEAD
	on_tty git reftable compact --all --no-progress >out
	! grep -q 'Compacting' out || fail "--no-progress shows progress"
	git update-ref refs/heads/v2 HEAD
	on_tty git reftable compact --all -q >out
	! grep -q 'Compacting' out || fail "-q shows progress"
	git update-ref refs/heads/v3 HEAD
	# Not a terminal: nothing, unless --progress.
	git reftable compact --all 2>err >/dev/null
	! grep -q 'Compacting' err || fail "progress into a file"
	git update-ref refs/heads/v4 HEAD
	git reftable compact --all --progress 2>err >/dev/null
	grep -q 'Compacting records: [0-9]*, done\.' err || fail "--progress shows none"
	for i in 1 2 3 4 5 6; do git update-ref refs/heads/w$i HEAD; done
	on_tty git reftable run --task=compact >out
	grep -q 'Compacting records: [0-9]*, done\.' out || fail "run: $(cat -A out)"
	on_tty git reftable verify >out
	grep -q 'Verifying tables: 100% (1/1), done\.' out || fail "verify: $(cat -A out)"
	on_tty git -C ../p2 reftable expire --expire=now >out
	grep -q 'Expiring reflog entries: [0-9]*, done\.' out || fail "expire: $(cat -A out)"
	# Not before the delay (2 s by default; here longer than any run).
	export GIT_PROGRESS_DELAY=3600
	git update-ref refs/heads/v5 HEAD
	on_tty git reftable compact --all >out
	! grep -q 'Compacting' out || fail "progress before 2 s: $(cat -A out)"
}
test_case "progress on a terminal as Git shows it, --[no-]progress, -q" test_progress

test_iso_logs() {
	local i
	long_stack l 3
	cd l
	git reftable run --detach 2>err || fail "run --detach: $(cat err)"
	# The lock is tried only once the run has reported: taken any
	# earlier, the detached run could find it held and not run.
	for ((i = 0; i < 600; i++)); do
		grep -q 'Z main: ' .git/reftable-maintenance.log 2>/dev/null &&
			flock -n .git/reftable-run.lock true 2>/dev/null && break
		sleep 0.05
	done
	cat .git/reftable-maintenance.log
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z --- git reftable run, pid [0-9]+$' \
		.git/reftable-maintenance.log || fail "run log header not ISO 8601"
	! grep -Eq ' at [0-9]{9,}$' .git/reftable-maintenance.log || fail "epoch seconds in the run log"
	# Every line, the report's and git's messages too, starts with its time.
	grep -q 'Z main: compact: done' .git/reftable-maintenance.log || fail "no report in the run log"
	! grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z ' .git/reftable-maintenance.log ||
		fail "a line of the run log without its time"
}
test_case "the run log writes ISO 8601 times on every line" test_iso_logs

test_units() {
	long_stack u 8
	cd u
	git reftable run --dry-run --task=compact >out
	cat out
	grep -q 'geometric rule violated: .*([0-9]* bytes)' out || fail "no sizes in bytes"
	! grep -Eq '[0-9] (B|KiB|MiB|GiB)\b' out || fail "another unit: $(cat out)"
}
test_case "plan reasons count bytes, as every other output" test_units

test_build_without_apt() {
	# A dry run of a build from scratch and of an install: neither reaches
	# apt-get or dpkg-query. `make deps` does.
	make -n -C "$SRC" BUILD="$TEST_TMP/fresh" all install DESTDIR="$TEST_TMP/st" \
		>dry 2>&1 || fail "make -n failed: $(tail dry)"
	grep -q 'cc .*-c -o' dry || fail "the dry run compiles nothing: $(head dry)"
	! grep -Eq 'apt-get|dpkg-query' dry || fail "make/make install reach apt-get"
	make -n -C "$SRC" deps >dry 2>&1
	grep -q 'apt-get' dry || fail "make deps does not install"
	# CI on a fresh machine installs first.
	awk '/make deps/ { d = NR } /make check/ && !c { c = NR } END { exit !(d && d < c) }' \
		"$SRC/.ci/run" || fail ".ci/run does not run make deps before make check"
	grep -q '^make deps' "$SRC/README.md" || fail "README's set-up has no make deps"
}
test_case "plain make and make install never reach apt-get; CI runs make deps" \
	test_build_without_apt

echo "1..$test_count"
