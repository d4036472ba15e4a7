#!/usr/bin/env bash
# t0800: a repository whose owner plants hostile files, and shared
# repositories.
#
# Symlinks: with reftable-hook.flock, reftable-hook.log or
# reftable-maintenance.log a symlink to a file outside the repository, or
# .git/reftable a symlink to a directory outside it, the hook, `run
# --detach` and `clean --remove-stale-locks` leave the outside byte for
# byte as it was and say what they refused; with .git/hooks a symlink to
# a shared directory, or core.hooksPath naming one outside the
# repository, install and uninstall write nothing there; with tables.list a symlink to
# a secret file, neither verify's output nor the maintenance log contains
# a byte of it. Hangs: a FIFO as reftable.policy does not hold up `git
# update-ref`, nor one as reftable-takeover.config `run`, nor one as
# GIT_REFTABLE_TRACE_LOCKS `compact`; /dev/zero as the policy is refused
# at once, in bounded memory; a listed table that is a FIFO makes verify,
# clean and compact fail at once, one that is a directory says so;
# --policy <directory> is refused. Shared repositories: under
# core.sharedRepository (all, group, an octal mode, umask) every file we
# create gets the mode Git gives its own: tables, tables.list, the run
# lock, the hook's lock and log, the maintenance log, the state file.
. "$(dirname "$0")/../lib.sh"

export GIT_TEST_REFTABLE_AUTOCOMPACTION=false

# Generous bound for commands that must not hang: a loaded 2-core machine
# runs any of them in well under a second.
BOUND=30

new_repo() { # <dir> [git init options...]
	local dir=$1
	shift
	git init -q --ref-format=reftable "$@" "$dir"
	git -C "$dir" config maintenance.auto false
	git -C "$dir" commit -q --allow-empty -m base
}

# A file outside the repository, and a copy to compare it with.
outside_file() { # <path>
	mkdir -p "$(dirname "$1")"
	head -c 300000 /dev/urandom | base64 >"$1"
	cp "$1" "$1.orig"
}

# Ref updates enough for the policy below to want a compaction each time.
updates() { # <n>
	local i
	for ((i = 1; i <= $1; i++)); do
		timeout "$BOUND" git update-ref "refs/heads/u$i" HEAD ||
			fail "git update-ref u$i exited $?"
	done
}

# Hooked so that every `git update-ref` runs the hook (the transaction
# trigger; the after-write hooks run the same code after a commit).
hooked_repo() { # <dir> [<background>: true (detached compaction) or false]
	new_repo "$1"
	printf '[compaction]\nmax-tables = 2\nbackground = %s\n' "${2:-true}" \
		>"$1/.git/reftable-policy.ini"
	git -C "$1" reftable install --hooks=config --trigger=transaction >/dev/null
}

test_hook_flock_symlink() {
	outside_file "$TEST_TMP/outside/flock-target"
	hooked_repo r
	cd r
	ln -s "$TEST_TMP/outside/flock-target" .git/reftable-hook.flock
	updates 4 2>"$TEST_TMP/err"
	wait_hooks .git
	expect_same "$TEST_TMP/outside/flock-target.orig" \
		"$TEST_TMP/outside/flock-target"
	grep -q 'reftable-hook.flock is not a regular file (it is a symbolic link, not followed)' \
		.git/reftable-hook.log || fail "the hook log does not say why: $(cat .git/reftable-hook.log)"
	git refs verify
}

test_hook_log_symlink() {
	outside_file "$TEST_TMP/outside/hooklog-target"
	# Inline compaction: its lines are the hook's, and Git shows the
	# hook's stderr (a detached compaction lets go of it).
	hooked_repo r2 false
	cd r2
	ln -s "$TEST_TMP/outside/hooklog-target" .git/reftable-hook.log
	updates 4 2>"$TEST_TMP/err"
	wait_hooks .git
	expect_same "$TEST_TMP/outside/hooklog-target.orig" \
		"$TEST_TMP/outside/hooklog-target"
	# Not lost silently: Git shows the hook's stderr.
	grep -q 'warning: git-reftable: .*reftable-hook.log is not a regular file (it is a symbolic link, not followed); not logged' \
		"$TEST_TMP/err" || fail "no warning on stderr: $(cat "$TEST_TMP/err")"
	git refs verify
}

# In a repository whose hooks directory Git finds at <shown>, which is
# the directory <outside> outside the repository: install writes nothing
# there, whatever --hooks says. Its default takes config hooks instead;
# --hooks=scripts is refused, saying why, before anything changes (the
# config hooks stay); uninstall leaves what an older install put there,
# with a warning.
hooks_left_outside() { # <shown> <outside>
	local rc=0
	rm -rf "$TEST_TMP/outside.orig"
	cp -a "$2" "$TEST_TMP/outside.orig"
	git reftable install >"$TEST_TMP/out"
	diff -r "$TEST_TMP/outside.orig" "$2" || fail "install wrote there"
	git config hook.git-reftable-commit.command >/dev/null ||
		fail "no config hook: $(cat "$TEST_TMP/out")"
	git reftable install --hooks=scripts 2>"$TEST_TMP/err" || rc=$?
	[ "$rc" -ne 0 ] || fail "--hooks=scripts went on"
	grep -qF "$1, lies outside the repository" "$TEST_TMP/err" ||
		fail "install does not say why: $(cat "$TEST_TMP/err")"
	diff -r "$TEST_TMP/outside.orig" "$2" ||
		fail "install --hooks=scripts wrote there"
	git config hook.git-reftable-commit.command >/dev/null ||
		fail "a refused install took the config hooks out"
	ln -s "$(readlink -f "$RT_BUILD/git-reftable")" "$2/pre-auto-gc"
	git reftable uninstall >/dev/null 2>"$TEST_TMP/err"
	[ -L "$2/pre-auto-gc" ] || fail "uninstall removed a hook there"
	grep -qF "$1 is outside the repository: left the hooks of ours" \
		"$TEST_TMP/err" ||
		fail "uninstall does not say what it left: $(cat "$TEST_TMP/err")"
	! git config --get-regexp '^hook\.' || fail "config hooks left"
}

# .git/hooks a symlink to a directory other repositories share (as some
# forges set up), with a hook of the user's in it.
test_hooks_dir_symlink() {
	mkdir -p "$TEST_TMP/outside/hooks"
	printf '#!/bin/sh\nexit 0\n' >"$TEST_TMP/outside/hooks/pre-push"
	chmod +x "$TEST_TMP/outside/hooks/pre-push"
	new_repo hooklink
	cd hooklink
	rm -rf .git/hooks
	ln -s "$TEST_TMP/outside/hooks" .git/hooks
	hooks_left_outside "$PWD/.git/hooks" "$TEST_TMP/outside/hooks"
}

# core.hooksPath naming a directory outside the repository (as a forge
# sets one for all its repositories); one inside the work tree is the
# repository's own (t0400).
test_hooks_path_outside() {
	mkdir -p "$TEST_TMP/outside/all-hooks"
	new_repo hookpath
	cd hookpath
	git config core.hooksPath "$TEST_TMP/outside/all-hooks"
	hooks_left_outside "$TEST_TMP/outside/all-hooks" \
		"$TEST_TMP/outside/all-hooks"
}

# .git/hooks a symlink that stays in the repository: still never written
# through, with its own message; uninstall leaves hooks of ours there.
# And an error of uninstall's (config locked) is not lost on the way.
test_hooks_dir_symlink_inside() {
	local rc=0
	new_repo hookin
	cd hookin
	rm -rf .git/hooks
	mkdir .git/hooks.d
	ln -s hooks.d .git/hooks
	git reftable install --hooks=scripts 2>"$TEST_TMP/err" || rc=$?
	[ "$rc" -ne 0 ] || fail "--hooks=scripts went on"
	grep -qF "$PWD/.git/hooks is a symbolic link" "$TEST_TMP/err" ||
		fail "install does not say why: $(cat "$TEST_TMP/err")"
	[ -z "$(ls -A .git/hooks.d)" ] || fail "install wrote: $(ls -A .git/hooks.d)"
	ln -s "$(readlink -f "$RT_BUILD/git-reftable")" .git/hooks.d/pre-auto-gc
	git reftable install --hooks=config >/dev/null
	: >.git/config.lock
	rc=0
	git reftable uninstall >/dev/null 2>"$TEST_TMP/err" || rc=$?
	rm .git/config.lock
	[ "$rc" -ne 0 ] || fail "uninstall with the config locked succeeded"
	grep -q '^error: .*config' "$TEST_TMP/err" ||
		fail "uninstall's error is lost: $(cat "$TEST_TMP/err")"
	grep -qF "$PWD/.git/hooks is a symbolic link: left the hooks of ours" \
		"$TEST_TMP/err" || fail "no warning: $(cat "$TEST_TMP/err")"
	[ -L .git/hooks.d/pre-auto-gc ] || fail "uninstall removed it"
}

test_maintenance_log_symlink() {
	local rc=0
	outside_file "$TEST_TMP/outside/maint-target"
	# Over the rotation size: rotation must move the link, not the file.
	head -c 1200000 /dev/zero | tr '\0' x >>"$TEST_TMP/outside/maint-target"
	cp "$TEST_TMP/outside/maint-target" "$TEST_TMP/outside/maint-target.orig"
	new_repo r3
	cd r3
	ln -s "$TEST_TMP/outside/maint-target" .git/reftable-maintenance.log
	timeout "$BOUND" git reftable run --detach 2>"$TEST_TMP/err" || rc=$?
	cat "$TEST_TMP/err"
	sleep 1
	expect_same "$TEST_TMP/outside/maint-target.orig" \
		"$TEST_TMP/outside/maint-target"
	[ "$rc" -ne 0 ] || fail "run --detach went on with a symlinked log"
	grep -q 'reftable-maintenance.log is not a regular file (it is a symbolic link, not followed)' \
		"$TEST_TMP/err" || fail "run --detach does not say why"
}

test_reftable_dir_symlink() {
	local rc=0
	new_repo r4
	cd r4
	git update-ref refs/heads/side HEAD
	mv .git/reftable "$TEST_TMP/outside-stack"
	ln -s "$TEST_TMP/outside-stack" .git/reftable
	# A stale lock and an orphan there: clean would remove both.
	echo stale >"$TEST_TMP/outside-stack/victim.lock"
	echo orphan >"$TEST_TMP/outside-stack/0x000000000009-0x000000000009-deadbeef.ref"
	touch -d '3 hours ago' "$TEST_TMP/outside-stack"/*
	(cd "$TEST_TMP/outside-stack" && find . -printf '%P %y %s %m %T@\n' | sort &&
		sha256sum ./*) >"$TEST_TMP/before"
	timeout "$BOUND" git reftable clean --remove-stale-locks >"$TEST_TMP/out" \
		2>"$TEST_TMP/err" || rc=$?
	cat "$TEST_TMP/out" "$TEST_TMP/err"
	(cd "$TEST_TMP/outside-stack" && find . -printf '%P %y %s %m %T@\n' | sort &&
		sha256sum ./*) >"$TEST_TMP/after"
	expect_same "$TEST_TMP/before" "$TEST_TMP/after"
	[ "$rc" -ne 0 ] || fail "clean exited 0 on a symlinked stack directory"
	grep -q 'reftable is not a directory (it is a symbolic link, not followed)' \
		"$TEST_TMP/err" || fail "clean does not name the symlink"
	rc=0
	timeout "$BOUND" git reftable compact --all 2>"$TEST_TMP/err" || rc=$?
	[ "$rc" -ne 0 ] || fail "compact exited 0 on a symlinked stack directory"
	(cd "$TEST_TMP/outside-stack" && find . -printf '%P %y %s %m %T@\n' | sort &&
		sha256sum ./*) >"$TEST_TMP/after"
	expect_same "$TEST_TMP/before" "$TEST_TMP/after"
}

test_tables_list_symlink() {
	local rc=0 secret=$TEST_TMP/outside/secret
	mkdir -p "$TEST_TMP/outside"
	printf 'root:SECRETHASH1:19000:0:99999:7:::\nuser:SECRETHASH2:19000::::::\n' >"$secret"
	new_repo r5
	cd r5
	rm .git/reftable/tables.list
	ln -s "$secret" .git/reftable/tables.list
	timeout "$BOUND" git reftable verify >"$TEST_TMP/out" 2>&1 || rc=$?
	cat "$TEST_TMP/out"
	[ "$rc" -eq 1 ] || fail "verify exited $rc, not 1"
	! grep -q SECRET "$TEST_TMP/out" || fail "verify printed the secret"
	grep -q 'tables.list is not a regular file (it is a symbolic link, not followed)' \
		"$TEST_TMP/out" || fail "verify does not say what tables.list is"
	timeout "$BOUND" git reftable verify --json >"$TEST_TMP/out" 2>&1 || :
	! grep -q SECRET "$TEST_TMP/out" || fail "verify --json printed the secret"
	timeout "$BOUND" git reftable run --detach >"$TEST_TMP/out" 2>&1 || :
	sleep 1
	for f in "$TEST_TMP/out" .git/reftable-maintenance.log; do
		[ ! -e "$f" ] || ! grep -q SECRET "$f" || fail "$f has the secret"
	done
	grep -q 'is not a regular file' .git/reftable-maintenance.log ||
		fail "the run does not log the refusal: $(cat .git/reftable-maintenance.log)"
}

# Every command that reads or maintains the stack, with tables.list a
# hard link to <file> (made again before each, since a commit replaces
# the name), which each leaves byte for byte as it was; <setup> runs
# first each time. Output in $TEST_TMP/hl.out.
with_hard_linked_list() { # <file> <setup>
	local cmd
	: >"$TEST_TMP/hl.out"
	for cmd in verify "verify --json" "compact --all" \
		"clean --grace=10s --remove-stale-locks" run "run --detach"; do
		$2
		ln -f "$1" .git/reftable/tables.list
		[ "$(stat -c %h .git/reftable/tables.list)" = 2 ] ||
			fail "tables.list is not hard-linked (setup)"
		cp "$1" "$TEST_TMP/hl.before"
		echo "== $cmd" >>"$TEST_TMP/hl.out"
		timeout "$BOUND" git reftable $cmd >>"$TEST_TMP/hl.out" 2>&1 ||
			echo "exit $?" >>"$TEST_TMP/hl.out"
		settle .git
		expect_same "$TEST_TMP/hl.before" "$1" ||
			fail "$cmd wrote through the hard link"
	done
	cat .git/reftable-maintenance.log >>"$TEST_TMP/hl.out" 2>/dev/null || :
	cat "$TEST_TMP/hl.out"
}

# A `cp -al` snapshot of the stack: maintained as usual, by rename (the
# snapshot's files stay as they were), and the repository keeps every ref
# through the last command's compaction.
test_tables_list_hardlinked_snapshot() {
	local snap=$TEST_TMP/outside/snap
	new_repo r13
	cd r13
	updates 4
	mkdir -p "$TEST_TMP/outside"
	cp -al .git/reftable "$snap"
	(cd "$snap" && sha256sum -- * >"$TEST_TMP/snap.sums")
	more() { # three new tables, and their list outside
		local i
		for i in 1 2 3; do
			git commit -q --allow-empty -m "more $i"
		done
		cp .git/reftable/tables.list "$snap/tables.list.now"
		git for-each-ref >"$TEST_TMP/refs.before"
	}
	with_hard_linked_list "$snap/tables.list.now" more
	grep -q '== compact --all' "$TEST_TMP/hl.out" || fail "setup"
	! grep -q '^exit ' "$TEST_TMP/hl.out" || fail "a command failed"
	(cd "$snap" && sha256sum -c --quiet "$TEST_TMP/snap.sums") ||
		fail "the snapshot changed"
	grep -q 'compacted' "$TEST_TMP/hl.out" ||
		fail "nothing was compacted (setup)"
	git for-each-ref >"$TEST_TMP/refs.after"
	expect_same "$TEST_TMP/refs.before" "$TEST_TMP/refs.after"
	git refs verify
}

# tables.list a hard link to a file of secrets outside the repository (as
# an attacker with fs.protected_hardlinks off could make it): the file is
# left byte for byte as it was, and nothing printed or logged copies it.
test_tables_list_hardlinked_secret() {
	local secret=$TEST_TMP/outside/hl-secret
	mkdir -p "$TEST_TMP/outside"
	printf 'root:SECRETHASH1:19000:0:99999:7:::\nuser:SECRETHASH2:19000::::::\n' >"$secret"
	cp "$secret" "$secret.orig"
	new_repo r14
	cd r14
	with_hard_linked_list "$secret" :
	expect_same "$secret.orig" "$secret"
	! grep -q SECRET "$TEST_TMP/hl.out" || fail "the secret was shown"
	[ "$(grep -c 'tables.list:1: ' "$TEST_TMP/hl.out")" -ge 3 ] ||
		fail "the errors do not name tables.list and its line"
}

test_fifo_policy() {
	new_repo r6
	cd r6
	git reftable install --hooks=config --trigger=transaction >/dev/null
	mkfifo "$TEST_TMP/policy.fifo"
	git config reftable.policy "$TEST_TMP/policy.fifo"
	timeout "$BOUND" git update-ref refs/heads/x HEAD ||
		fail "git update-ref exited $? with a FIFO as the policy"
	timeout "$BOUND" git update-ref -d refs/heads/x ||
		fail "git update-ref -d exited $? with a FIFO as the policy"
	grep -q 'policy.fifo is not a regular file (it is a FIFO)' \
		.git/reftable-hook.log || fail "the hook log does not say why"
}

# Not installed (Git itself would block reading a FIFO it includes), so
# only our read of the file meets it: run refreshes the file every time.
test_fifo_takeover_file() {
	local rc=0
	new_repo r11
	cd r11
	mkfifo .git/reftable-takeover.config
	timeout "$BOUND" git reftable run >"$TEST_TMP/out" 2>&1 || rc=$?
	cat "$TEST_TMP/out"
	[ "$rc" -ne 124 ] || fail "run hung on a FIFO as reftable-takeover.config"
	[ "$rc" -eq 0 ] || fail "run exited $rc: the file is only refreshed"
	grep -q 'reftable-takeover.config is not a regular file (it is a FIFO)' \
		"$TEST_TMP/out" || fail "run does not say what the file is"
	[ -p .git/reftable-takeover.config ] || fail "run replaced the FIFO"
}

# GIT_REFTABLE_TRACE_LOCKS naming a FIFO: the trace is refused, never
# waited on, and the compaction goes on.
test_fifo_trace_locks() {
	local rc=0
	new_repo r12
	cd r12
	git update-ref refs/heads/side HEAD
	mkfifo "$TEST_TMP/trace.fifo"
	GIT_REFTABLE_TRACE_LOCKS=$TEST_TMP/trace.fifo timeout "$BOUND" \
		git reftable compact --all >"$TEST_TMP/out" 2>&1 || rc=$?
	cat "$TEST_TMP/out"
	[ "$rc" -ne 124 ] || fail "compact hung on a FIFO as the lock trace"
	[ "$rc" -eq 0 ] || fail "compact exited $rc"
	[ "$(wc -l <.git/reftable/tables.list)" -eq 1 ] ||
		fail "compact did not compact: $(cat .git/reftable/tables.list)"
}

test_dev_zero_policy() {
	local rc=0
	new_repo r7
	cd r7
	# 200 MB of address space is far more than a run needs, far less than
	# /dev/zero read whole. Not under AddressSanitizer, which reserves
	# terabytes of address space for its shadow memory at start.
	local vlimit=200000
	! ldd "$RT_BUILD/git-reftable" | grep -q libasan || vlimit=unlimited
	(ulimit -v "$vlimit" && timeout "$BOUND" git reftable --policy /dev/zero policy check) \
		>"$TEST_TMP/out" 2>&1 || rc=$?
	cat "$TEST_TMP/out"
	[ "$rc" -eq 1 ] || fail "policy check exited $rc, not 1"
	grep -q '/dev/zero is not a regular file (it is a device)' "$TEST_TMP/out" ||
		fail "no clear error"
	# A regular policy file over the cap: refused, not read whole.
	head -c 2000000 /dev/zero | tr '\0' '#' >"$TEST_TMP/huge.ini"
	rc=0
	timeout "$BOUND" git reftable policy check "$TEST_TMP/huge.ini" >"$TEST_TMP/out" 2>&1 || rc=$?
	cat "$TEST_TMP/out"
	[ "$rc" -eq 1 ] || fail "policy check of a 2 MB file exited $rc"
	grep -q 'huge.ini is too large' "$TEST_TMP/out" || fail "no size error"
}

test_policy_directory() {
	local rc=0
	new_repo r8
	cd r8
	mkdir "$TEST_TMP/policy.d"
	timeout "$BOUND" git reftable --policy "$TEST_TMP/policy.d" policy check \
		>"$TEST_TMP/out" 2>&1 || rc=$?
	cat "$TEST_TMP/out"
	[ "$rc" -eq 1 ] || fail "policy check of a directory exited $rc"
	! grep -qi 'valid' "$TEST_TMP/out" || fail "a directory reported valid"
	grep -q 'policy.d' "$TEST_TMP/out" || fail "the error does not name it"
}

# tables.list names one more table, which is not a regular file.
plant_table() { # <fifo|dir>
	local name=0x000000000100-0x000000000100-0badf00d.ref
	case $1 in
	fifo) mkfifo ".git/reftable/$name" ;;
	dir) mkdir ".git/reftable/$name" ;;
	esac
	echo "$name" >>.git/reftable/tables.list
}

# Command "$@" fails within the bound, saying what the table is.
fails_promptly() { # <kind> <command...>
	local kind=$1 rc=0
	shift
	timeout "$BOUND" "$@" >"$TEST_TMP/out" 2>&1 || rc=$?
	cat "$TEST_TMP/out"
	[ "$rc" -ne 124 ] || fail "$* hung"
	[ "$rc" -ne 0 ] || fail "$* exited 0"
	grep -q "0badf00d.ref is not a regular file (it is $kind)" "$TEST_TMP/out" ||
		fail "$* does not say the table is $kind"
}

test_fifo_table() {
	new_repo r9
	cd r9
	git update-ref refs/heads/side HEAD
	plant_table fifo
	fails_promptly "a FIFO" git reftable verify
	fails_promptly "a FIFO" git reftable clean
	fails_promptly "a FIFO" git reftable compact --all
	fails_promptly "a FIFO" git reftable dump refs
}

test_directory_table() {
	new_repo r10
	cd r10
	plant_table dir
	fails_promptly "a directory" git reftable verify
	fails_promptly "a directory" git reftable compact --all
}

# The permission bits of every file we and Git make in repository $1.
modes() { # <git dir>
	(cd "$1" && stat -c '%a %n' reftable/* reftable-run.lock \
		reftable-hook.flock reftable-hook.log reftable-maintenance.log \
		reftable-maintenance.state 2>/dev/null | sort)
}

# In a repository made with `git init --shared=$1` under umask 077, Git's
# own table has mode $2, and so has every file we create.
shared_case() { # <--shared value> <mode>
	local dir=s-$1 want=$2 f
	umask 077
	new_repo "$dir" --shared="$1"
	cd "$dir"
	printf '[compaction]\nmax-tables = 2\n' >.git/reftable-policy.ini
	git reftable install --hooks=config --trigger=transaction >/dev/null
	for f in .git/reftable/0x*.ref; do
		[ "$(stat -c %a "$f")" = "$want" ] ||
			fail "test setup: Git made $f $(stat -c %a "$f"), not $want"
	done
	updates 4
	wait_hooks .git
	git reftable run --task=clean --task=expire --task=compact >/dev/null
	git reftable run --detach 2>/dev/null
	sleep 1
	git reftable compact --all >/dev/null
	for f in reftable-run.lock reftable-hook.flock reftable-hook.log \
		reftable-maintenance.log reftable-maintenance.state; do
		[ -f ".git/$f" ] || fail "test setup: no .git/$f"
	done
	modes .git >"$TEST_TMP/modes"
	cat "$TEST_TMP/modes"
	! grep -v "^$want " "$TEST_TMP/modes" || fail "files not $want"
	git refs verify
}

test_shared_all() { shared_case all 664; }
test_shared_group() { shared_case group 660; }
test_shared_octal() { shared_case 0640 640; }
test_shared_umask() { shared_case umask 600; }

test_case "a symlinked hook lock leaves its target alone" test_hook_flock_symlink
test_case "a symlinked hook log leaves its target alone; the line goes to stderr" test_hook_log_symlink
test_case "a symlinked maintenance log: run --detach refuses, target unchanged" test_maintenance_log_symlink
test_case "a symlinked hooks directory: install writes nothing there" test_hooks_dir_symlink
test_case "core.hooksPath outside the repository: install writes nothing there" test_hooks_path_outside
test_case "a hooks symlink inside the repository: not written through either" test_hooks_dir_symlink_inside
test_case "a symlinked .git/reftable: clean and compact refuse, touch nothing" test_reftable_dir_symlink
test_case "tables.list a symlink to a secret: verify and run never show it" test_tables_list_symlink
test_case "tables.list hard-linked into a cp -al snapshot: maintained by rename, snapshot unchanged" test_tables_list_hardlinked_snapshot
test_case "tables.list a hard link to a secret: unchanged, never shown" test_tables_list_hardlinked_secret
test_case "a FIFO as reftable.policy does not hold up git update-ref" test_fifo_policy
test_case "a FIFO as reftable-takeover.config does not hold up run" test_fifo_takeover_file
test_case "a FIFO as GIT_REFTABLE_TRACE_LOCKS does not hold up compact" test_fifo_trace_locks
test_case "/dev/zero or a huge file as policy: a clear error, bounded" test_dev_zero_policy
test_case "--policy <directory> is refused" test_policy_directory
test_case "a listed table that is a FIFO: verify, clean, compact fail at once" test_fifo_table
test_case "a listed table that is a directory: a clear error" test_directory_table
test_case "core.sharedRepository=all: our files as Git's, 0664" test_shared_all
test_case "core.sharedRepository=group: our files as Git's, 0660" test_shared_group
test_case "core.sharedRepository=0640: our files as Git's" test_shared_octal
test_case "core.sharedRepository=umask: our files as Git's" test_shared_umask
