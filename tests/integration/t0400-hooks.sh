#!/usr/bin/env bash
# t0400: the hooks: `git reftable install|uninstall` and `git reftable hook`.
#
# With Git's own auto-compaction off, a churn of commits, branches, tags and
# deletions must leave the stack geometric per the policy's factor and
# within its max-tables, through our reference-transaction hook alone
# (`--trigger=transaction`):
# installed as config (hook.<name>.*, detached compaction) and as scripts
# in the hooks directory (inline compaction, checked after every update),
# with a user's own hook chained and still seeing every update. uninstall
# must leave config and hooks directory exactly as they were. Also:
# pre-auto-gc exits 0 and lets Git's gc run; the hook exits 0 silently in
# a files repository and outside any repository, and on a locked stack
# returns within the lock timeout and logs why it did nothing. install's
# default trigger (after-write) hooks no reference-transaction: pushes
# (post-receive), commits, merges and rewrites start the same maintenance
# once Git has released its locks.
. "$(dirname "$0")/../lib.sh"

export GIT_TEST_REFTABLE_AUTOCOMPACTION=false

# Everything install may touch: the config file and the hooks directory
# (names, types, modes, link targets, contents).
state() { # <git dir> <hooks dir> <out>
	{
		cat "$1/config"
		echo "== hooks"
		if [ -d "$2" ]; then
			(cd "$2" && find . -mindepth 1 -printf '%P %y %m %l\n' | sort &&
				find . -type f -exec sha256sum {} + | sort)
		else
			echo "(no directory)"
		fi
	} >"$3"
}

# The stack in <dir> is geometric for <factor> (each table at least
# factor times the next newer one, by size minus the SHA-1 footer and
# header overhead, as Git weighs them) and has at most <max> tables.
geometric() { # <stack dir> <factor> <max>
	local n
	n=$(wc -l <"$1/tables.list")
	[ "$n" -le "$3" ] || fail "$1: $n tables, more than $3"
	(cd "$1" && xargs stat -c %s <tables.list) | awk -v f="$2" \
		-v o="$git_weight_overhead" '
		{ w[NR] = $1 - o }
		END { for (i = 2; i <= NR; i++) if (w[i - 1] < f * w[i]) {
			printf "table %d weighs %d, under %d x %d\n", i - 1,
				w[i - 1], f, w[i] > "/dev/stderr"; exit 1 } }' ||
		fail "$1 is not geometric for factor $2: $(cat "$1/tables.list")"
}

# A churn of ref updates: commits, branches, tags (annotated and not),
# deletions; after each, run "$@" (a check) when given.
churn() { # <rounds> [check...]
	local i rounds=$1
	shift
	for ((i = 1; i <= rounds; i++)); do
		git commit -q --allow-empty -m "c$i"
		[ $((i % 3)) -ne 0 ] || git branch "b$i"
		[ $((i % 5)) -ne 0 ] || git tag -a -m "t$i" "t$i"
		[ $((i % 4)) -ne 0 ] || git tag "l$i"
		[ $((i % 6)) -ne 0 ] || git branch -D "b$((i - 3))" >/dev/null
		[ $# -eq 0 ] || "$@"
	done
}

new_repo() { # <dir>
	git init -q --ref-format=reftable "$1"
	git -C "$1" config maintenance.auto false
	git -C "$1" commit -q --allow-empty -m base
}

test_config_mode() {
	new_repo cfg
	cd cfg
	printf '[compaction]\ngeometric-factor = 3\nmax-tables = 5\n' \
		>.git/reftable-policy.ini
	state .git .git/hooks "$TEST_TMP/before"
	git reftable install --hooks=config --trigger=transaction >out
	grep -q 'hooks installed' out || fail "install said: $(cat out)"
	[ "$(git config hook.git-reftable-reftx.event)" = reference-transaction ]
	[ "$(git config hook.git-reftable-autogc.event)" = pre-auto-gc ]
	git hook list reference-transaction | grep -qx git-reftable-reftx
	state .git .git/hooks "$TEST_TMP/installed"
	git reftable install --hooks=config --trigger=transaction >out
	grep -q 'already installed' out || fail "second install said: $(cat out)"
	state .git .git/hooks "$TEST_TMP/again"
	expect_same "$TEST_TMP/installed" "$TEST_TMP/again"

	churn 40
	wait_hooks .git
	geometric .git/reftable 3 5
	grep -q 'reference-transaction\[[0-9]*\]: main: compacted tables' \
		.git/reftable-hook.log || fail "no compaction in the hook log"
	! grep -v ': main: compacted tables' .git/reftable-hook.log ||
		fail "the hook log has problems"
	git refs verify
	[ "$(git for-each-ref refs/heads | wc -l)" -eq 8 ]
	[ "$(git for-each-ref refs/tags | wc -l)" -eq 18 ]

	git reftable uninstall >out
	grep -q 'hooks removed' out
	state .git .git/hooks "$TEST_TMP/after"
	expect_same "$TEST_TMP/before" "$TEST_TMP/after"
	git reftable uninstall >out
	grep -q 'no hooks were installed' out
	# Without our hook, nothing compacts any more.
	lines=$(wc -l <.git/reftable-hook.log)
	for i in 1 2 3 4 5 6; do git update-ref "refs/heads/after$i" HEAD; done
	[ "$(wc -l <.git/reftable-hook.log)" -eq "$lines" ]
	[ "$(wc -l <.git/reftable/tables.list)" -gt 5 ]
}

# A user's hook that records what it is given, and refuses one ref.
user_hook() { # <path>
	cat >"$1" <<-EOF
		#!/bin/sh
		echo "state \$*" >>"$TEST_TMP/user.log"
		cat >>"$TEST_TMP/user.log"
		if test "\$1" = prepared && grep -q refs/heads/forbidden "$TEST_TMP/user.log"
		then
			sed -i /forbidden/d "$TEST_TMP/user.log"
			exit 1
		fi
		exit 0
	EOF
	chmod 755 "$1"
}

test_scripts_mode_chained() {
	new_repo chained
	cd chained
	printf '[compaction]\nbackground = false\n' >.git/reftable-policy.ini
	user_hook .git/hooks/reference-transaction
	cp .git/hooks/reference-transaction "$TEST_TMP/user-hook"
	state .git .git/hooks "$TEST_TMP/before"
	git reftable install --hooks=scripts --trigger=transaction
	cmp .git/hooks/reference-transaction.git-reftable-orig "$TEST_TMP/user-hook"
	grep -q 'git-reftable hook script' .git/hooks/reference-transaction
	# Nothing to chain for pre-auto-gc: a symlink to us.
	[ "$(readlink .git/hooks/pre-auto-gc)" = "$(readlink -f "$RT_BUILD/git-reftable")" ]
	state .git .git/hooks "$TEST_TMP/installed"
	git reftable install --hooks=scripts --trigger=transaction |
		grep -q 'already installed'
	state .git .git/hooks "$TEST_TMP/again"
	expect_same "$TEST_TMP/installed" "$TEST_TMP/again"

	# Inline compaction: geometric after every single update.
	churn 30 geometric .git/reftable 2 64
	grep -q 'main: compacted tables' .git/reftable-hook.log

	# The user's hook saw every state with the updates on stdin.
	: >"$TEST_TMP/user.log"
	oid=$(git rev-parse HEAD)
	git update-ref refs/heads/probe "$oid"
	z=0000000000000000000000000000000000000000
	states="prepared committed"
	# Git 2.47 and later also run the hook in the "preparing" state.
	! grep -q '^state preparing' "$TEST_TMP/user.log" ||
		states="preparing $states"
	for s in $states; do
		printf 'state %s\n%s %s refs/heads/probe\n' "$s" "$z" "$oid"
	done >"$TEST_TMP/expect"
	expect_same "$TEST_TMP/expect" "$TEST_TMP/user.log"
	# Its verdict still counts: a refused update fails and changes nothing.
	! git update-ref refs/heads/forbidden "$oid" 2>err
	grep -q 'aborted by the reference-transaction hook' err
	! git rev-parse -q --verify refs/heads/forbidden

	git reftable uninstall
	state .git .git/hooks "$TEST_TMP/after"
	expect_same "$TEST_TMP/before" "$TEST_TMP/after"
	: >"$TEST_TMP/user.log"
	git update-ref refs/heads/probe2 "$oid"
	grep -q 'refs/heads/probe2' "$TEST_TMP/user.log"
}

test_hooks_path_and_switch() {
	new_repo hookspath
	cd hookspath
	git config core.hooksPath my-hooks
	mkdir -p sub
	state .git my-hooks "$TEST_TMP/before"
	(cd sub && git reftable install --hooks=scripts --trigger=transaction)
	[ -L my-hooks/reference-transaction ] && [ -L my-hooks/pre-auto-gc ]
	[ ! -e .git/hooks/reference-transaction ]
	for i in 1 2 3 4 5; do git update-ref "refs/heads/x$i" HEAD; done
	wait_hooks .git
	geometric .git/reftable 2 64
	# Switching to config takes the scripts (and the directory) out.
	git reftable install --hooks=config --trigger=transaction
	[ ! -e my-hooks ]
	git config hook.git-reftable-reftx.command >/dev/null
	git reftable install --hooks=scripts --trigger=transaction
	! git config hook.git-reftable-reftx.command ||
		fail "switching to scripts left the config hook"
	(cd sub && git reftable uninstall)
	state .git my-hooks "$TEST_TMP/after"
	expect_same "$TEST_TMP/before" "$TEST_TMP/after"
}

one_table() {
	[ "$(wc -l <.git/reftable/tables.list)" -eq 1 ] ||
		fail "$(wc -l <.git/reftable/tables.list) tables"
}

# max-tables = 1: a stack the geometric rule leaves alone (the old table
# far larger than the new one) is compacted whole all the same.
test_max_tables() {
	new_repo maxt
	cd maxt
	for i in $(seq 200); do echo "create refs/heads/big$i HEAD"; done |
		git update-ref --stdin
	printf '[compaction]\nbackground = false\nmax-tables = 1\n' \
		>.git/reftable-policy.ini
	git reftable install --trigger=transaction
	git reftable compact --all >/dev/null
	one_table
	churn 6 one_table
	grep -q 'main: compacted tables 1-2 (2 tables' .git/reftable-hook.log
	git refs verify
}

test_linked_worktree() {
	new_repo wtmain
	git -C wtmain worktree add -q ../wt
	cd wt
	git reftable install --trigger=transaction
	churn 20
	wait_hooks ../wtmain/.git
	geometric ../wtmain/.git/reftable 2 64
	geometric ../wtmain/.git/worktrees/wt/reftable 2 64
	git reftable uninstall
}

test_pre_auto_gc() {
	new_repo autogc
	cd autogc
	for i in 1 2 3 4 5 6; do git update-ref "refs/heads/g$i" HEAD; done
	git reftable install --hooks=config --trigger=transaction
	git hook run pre-auto-gc
	grep -q 'pre-auto-gc\[[0-9]*\]: main: compact: done' .git/reftable-hook.log
	geometric .git/reftable 2 64
	# Git's automatic gc still runs after our hook (two packs are
	# too many for gc.autoPackLimit = 1).
	for i in 1 2; do
		git commit -q --allow-empty -m "p$i"
		git repack -q
	done
	[ "$(ls .git/objects/pack/*.pack | wc -l)" -eq 2 ]
	git -c gc.autoPackLimit=1 -c gc.autoDetach=false gc --auto --quiet
	[ "$(ls .git/objects/pack/*.pack | wc -l)" -eq 1 ] ||
		fail "gc --auto did not repack"
	[ "$(grep -c 'pre-auto-gc\[[0-9]*\]: maintenance' .git/reftable-hook.log)" -eq 2 ]
	# A locked stack: still exit 0 (a stack in need of compaction,
	# written while our reference-transaction hook is switched off).
	for i in 1 2 3 4 5; do
		git -c hook.git-reftable-reftx.enabled=false update-ref "refs/heads/h$i" HEAD
	done
	touch .git/reftable/tables.list.lock
	git -c reftable.lockTimeout=50 hook run pre-auto-gc
	rm .git/reftable/tables.list.lock
	grep -q 'pre-auto-gc\[[0-9]*\]: main: compact: busy' .git/reftable-hook.log
}

test_files_and_no_repo() {
	git init -q --ref-format=files files
	cd files
	git commit -q --allow-empty -m base
	echo "x y refs/heads/main" |
		git reftable hook reference-transaction committed >out 2>&1
	git reftable hook pre-auto-gc </dev/null >>out 2>&1
	[ ! -s out ] || fail "hook printed: $(cat out)"
	[ ! -e .git/reftable-hook.log ]
	! git reftable install 2>err
	grep -q 'does not use the reftable' err
	mkdir -p "$TEST_TMP/none"
	cd "$TEST_TMP/none"
	git reftable hook reference-transaction committed </dev/null >out 2>&1
	[ ! -s out ]
}

# Elapsed milliseconds of "$@".
elapsed_ms() {
	local start end
	start=$(date +%s%N)
	"$@"
	end=$(date +%s%N)
	echo $(((end - start) / 1000000))
}

test_locked_stack() {
	new_repo locked
	cd locked
	for i in 1 2 3 4 5; do git update-ref "refs/heads/l$i" HEAD; done
	printf '[compaction]\nbackground = false\n' >.git/reftable-policy.ini
	git config reftable.lockTimeout 300
	cp .git/reftable/tables.list "$TEST_TMP/list"
	touch .git/reftable/tables.list.lock
	ms=$(elapsed_ms timeout 20 git reftable hook reference-transaction \
		committed </dev/null)
	# It waited for the lock (300 ms), not much longer, and gave up.
	[ "$ms" -ge 300 ] && [ "$ms" -lt 3000 ] || fail "hook took $ms ms"
	grep -q 'busy' .git/reftable-hook.log
	cmp "$TEST_TMP/list" .git/reftable/tables.list
	# Detached: the hook itself returns at once, the child logs. A long
	# lock timeout tells "did not wait" apart from a slow (loaded,
	# sanitized) start.
	printf '[compaction]\nbackground = true\n' >.git/reftable-policy.ini
	git config reftable.lockTimeout 3000
	ms=$(elapsed_ms git reftable hook reference-transaction committed </dev/null)
	[ "$ms" -lt 1500 ] || fail "detached hook took $ms ms"
	wait_hooks .git
	[ "$(grep -c busy .git/reftable-hook.log)" -eq 2 ]
	rm .git/reftable/tables.list.lock
	# The log is kept under 1 MiB: the old one moves to .1.
	head -c 1100000 /dev/zero | tr '\0' x >.git/reftable-hook.log
	git reftable hook reference-transaction committed </dev/null
	wait_hooks .git
	[ "$(stat -c %s .git/reftable-hook.log.1)" -eq 1100000 ]
	[ "$(stat -c %s .git/reftable-hook.log)" -lt 4096 ]
	grep -q 'main: compacted tables' .git/reftable-hook.log
}

# install's default way: symlinks in the hooks directory where there is
# nothing to chain (Git starts us without a shell), config hooks on Git
# >= 2.54 where a hook of the user's is there or core.hooksPath points
# elsewhere, so neither the user's hook nor a shared directory is touched.
test_auto_mode() {
	local self
	self=$(readlink -f "$RT_BUILD/git-reftable")
	new_repo auto
	cd auto
	rm -f .git/hooks/*.sample
	git reftable install --trigger=transaction >out
	[ "$(readlink .git/hooks/reference-transaction)" = "$self" ] ||
		fail "no symlink: $(ls -l .git/hooks)"
	[ "$(readlink .git/hooks/pre-auto-gc)" = "$self" ]
	! git config --get-regexp '^hook\.' || fail "config hooks set too"
	git reftable uninstall >/dev/null
	[ -z "$(ls -A .git/hooks)" ] || fail "left: $(ls -A .git/hooks)"

	printf '#!/bin/sh\nexit 0\n' >.git/hooks/pre-auto-gc
	chmod +x .git/hooks/pre-auto-gc
	cp .git/hooks/pre-auto-gc "$TEST_TMP/user-hook"
	git reftable install --trigger=transaction >out
	git config hook.git-reftable-reftx.command >/dev/null ||
		fail "a user hook to chain, but no config hook"
	[ ! -e .git/hooks/reference-transaction ]
	cmp .git/hooks/pre-auto-gc "$TEST_TMP/user-hook"
	git reftable uninstall >/dev/null
	rm .git/hooks/pre-auto-gc

	mkdir "$TEST_TMP/shared-hooks"
	git config core.hooksPath "$TEST_TMP/shared-hooks"
	git reftable install --trigger=transaction >out
	git config hook.git-reftable-reftx.command >/dev/null ||
		fail "core.hooksPath set, but no config hook"
	[ -z "$(ls -A "$TEST_TMP/shared-hooks")" ]
	git reftable uninstall >/dev/null
}

# install's default trigger: no reference-transaction hook, so Git starts
# nothing of ours while it holds tables.list.lock; a push to a server
# repository (post-receive) and commits, merges and rewrites in a work
# repository (post-commit, post-merge, post-rewrite) start the same
# maintenance once Git is done. Inline compaction (background = false):
# after each push or commit returns, the stack is geometric again.
test_after_write_default() {
	local self
	self=$(readlink -f "$RT_BUILD/git-reftable")
	git init -q --bare --ref-format=reftable srv.git
	git -C srv.git config maintenance.auto false
	printf '[compaction]\nbackground = false\n' >srv.git/reftable-policy.ini
	rm -f srv.git/hooks/*.sample
	git -C srv.git reftable install >out
	grep -q 'hooks installed (files in the hooks directory): post-receive, post-commit, post-merge, post-rewrite, pre-auto-gc' out ||
		fail "install said: $(cat out)"
	[ ! -e srv.git/hooks/reference-transaction ] ||
		fail "a reference-transaction hook: $(ls -l srv.git/hooks)"
	[ "$(readlink srv.git/hooks/post-receive)" = "$self" ]
	! git -C srv.git config hook.git-reftable-reftx.command ||
		fail "config hook too"

	new_repo cl
	cd cl
	for i in $(seq 12); do
		git commit -q --allow-empty -m "push $i"
		for j in 1 2 3; do git branch -f "p$i-$j" HEAD; done
		# Each push adds a table per ref update batch.
		git push -q ../srv.git "HEAD:refs/heads/main" "p$i-1" "p$i-2" \
			"p$i-3" 2>"$TEST_TMP/push.err"
		[ ! -s "$TEST_TMP/push.err" ] ||
			fail "push printed: $(cat "$TEST_TMP/push.err")"
		geometric ../srv.git/reftable 2 64
	done
	grep -q 'post-receive\[[0-9]*\]: main: compacted tables' \
		../srv.git/reftable-hook.log ||
		fail "no compaction from post-receive: $(cat ../srv.git/reftable-hook.log)"
	git -C ../srv.git refs verify
	[ "$(git -C ../srv.git for-each-ref | wc -l)" -eq 37 ]

	# The work side: commits, a merge, an amend, with branches between.
	printf '[compaction]\nbackground = false\n' >.git/reftable-policy.ini
	rm -f .git/hooks/*.sample
	git reftable install >/dev/null
	[ ! -e .git/hooks/reference-transaction ]
	for i in $(seq 6); do
		git branch "w$i"
		git branch "v$i"
		git commit -q --allow-empty -m "w$i"
		geometric .git/reftable 2 64
	done
	git checkout -q -b side
	git commit -q --allow-empty -m side
	git checkout -q main 2>/dev/null || git checkout -q master
	for i in 1 2 3; do git branch "m$i"; done
	git merge -q --no-edit side
	geometric .git/reftable 2 64
	for i in 1 2 3; do git branch "a$i"; done
	# An amend runs post-commit, then post-rewrite: without the first,
	# the second alone does the work.
	mv .git/hooks/post-commit "$TEST_TMP/post-commit"
	git commit -q --amend --allow-empty -m amended
	mv "$TEST_TMP/post-commit" .git/hooks/post-commit
	geometric .git/reftable 2 64
	for e in post-commit post-merge post-rewrite; do
		grep -q "$e\[[0-9]*\]: main: compacted tables" .git/reftable-hook.log ||
			fail "no compaction from $e: $(cat .git/reftable-hook.log)"
	done
	git refs verify
	git reftable uninstall >/dev/null
	[ -z "$(ls -A .git/hooks)" ] || fail "left: $(ls -A .git/hooks)"
}

# The same at Git's defaults: its auto-compaction and automatic
# maintenance on (this file turns the first off for the other cases).
# Git then keeps the stack geometric itself; our hooks still start the
# first look at clean and expire (inline with background = false), from
# a push and from a commit, and nothing of ours is printed or breaks.
test_after_write_git_defaults() {
	local i
	unset GIT_TEST_REFTABLE_AUTOCOMPACTION
	git init -q --bare --ref-format=reftable dsrv.git
	printf '[compaction]\nbackground = false\n' >dsrv.git/reftable-policy.ini
	git -C dsrv.git reftable install >/dev/null
	git init -q --ref-format=reftable dcl
	cd dcl
	printf '[compaction]\nbackground = false\n' >.git/reftable-policy.ini
	git reftable install >/dev/null
	for i in $(seq 10); do
		git commit -q --allow-empty -m "d$i"
		git branch "d$i"
		git push -q ../dsrv.git HEAD:refs/heads/main "d$i" 2>"$TEST_TMP/push.err"
		[ ! -s "$TEST_TMP/push.err" ] ||
			fail "push printed: $(cat "$TEST_TMP/push.err")"
	done
	grep -q 'started by the post-receive hook' \
		../dsrv.git/reftable-maintenance.log ||
		fail "post-receive started no run: $(cat ../dsrv.git/reftable-maintenance.log 2>&1)"
	grep -q 'started by the post-commit hook' .git/reftable-maintenance.log ||
		fail "post-commit started no run: $(cat .git/reftable-maintenance.log 2>&1)"
	# A merge and an amend (post-merge, post-rewrite) at the defaults too.
	git checkout -q -b dside
	git commit -q --allow-empty -m dside
	git checkout -q -
	git merge -q --no-edit dside
	git commit -q --amend --allow-empty -m amended
	geometric ../dsrv.git/reftable 2 64
	geometric .git/reftable 2 64
	git -C ../dsrv.git refs verify
	git refs verify
	[ "$(git -C ../dsrv.git for-each-ref | wc -l)" -eq 11 ]
	[ "$(git for-each-ref refs/heads | wc -l)" -eq 12 ]
	! grep -v 'compacted tables' .git/reftable-hook.log 2>/dev/null ||
		fail "the hook log has problems"
}

test_stdin_and_usage() {
	new_repo usage
	cd usage
	# All of stdin is read, whatever the state: the writer never sees EPIPE.
	for s in preparing prepared committed aborted; do
		set -o pipefail
		head -c 3000000 /dev/zero | git reftable hook reference-transaction $s
	done
	rc=0
	git reftable hook >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 2 ]
	rc=0
	git reftable hook post-frobnicate >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 2 ]
	rc=0
	git reftable install --hooks=sometimes >/dev/null 2>&1 || rc=$?
	[ "$rc" -eq 2 ]
	# --schedule also starts the schedule: with fakes first on PATH (a
	# crontab keeping its table in a file, a systemctl that fails so that
	# crontab is chosen), nothing real is scheduled.
	mkdir -p "$TEST_TMP/fake"
	cat >"$TEST_TMP/fake/crontab" <<-EOF
		#!/bin/sh
		case "\$*" in
		-l) cat "$TEST_TMP/crontab.tab" 2>/dev/null || { echo "no crontab for tester" >&2; exit 1; } ;;
		-) cat >"$TEST_TMP/crontab.tab" ;;
		-r) rm -f "$TEST_TMP/crontab.tab" ;;
		*) exit 2 ;;
		esac
	EOF
	printf '#!/bin/sh\nexit 1\n' >"$TEST_TMP/fake/systemctl"
	chmod +x "$TEST_TMP/fake/crontab" "$TEST_TMP/fake/systemctl"
	PATH=$TEST_TMP/fake:$PATH git reftable install --schedule
	[ -L .git/hooks/post-receive ]
	grep -q 'fleet run --registered --quiet --schedule=hourly' "$TEST_TMP/crontab.tab"
	[ "$(git config --global --get-all reftable-maintenance.repo)" = "$PWD" ]
	# -q: not a word, the schedule's included.
	PATH=$TEST_TMP/fake:$PATH git reftable uninstall -q >"$TEST_TMP/q.out" 2>&1
	[ ! -s "$TEST_TMP/q.out" ] || fail "uninstall -q: $(cat "$TEST_TMP/q.out")"
	PATH=$TEST_TMP/fake:$PATH git reftable install -q --schedule \
		>"$TEST_TMP/q.out" 2>&1
	[ ! -s "$TEST_TMP/q.out" ] ||
		fail "install -q --schedule: $(cat "$TEST_TMP/q.out")"
	[ "$(git config --global --get-all reftable-maintenance.repo)" = "$PWD" ]
}

test_case "install as config: churn stays geometric, uninstall restores" test_config_mode
test_case "install as scripts chains a user hook, inline compaction" test_scripts_mode_chained
test_case "core.hooksPath (relative), switching modes" test_hooks_path_and_switch
test_case "install's default: symlinks unless a hook needs chaining" test_auto_mode
test_case "max-tables: more tables than that compacts the whole stack" test_max_tables
test_case "a linked worktree's stack is kept geometric too" test_linked_worktree
test_case "pre-auto-gc compacts and exits 0; Git's gc still runs" test_pre_auto_gc
test_case "files repository and no repository: silent exit 0" test_files_and_no_repo
test_case "locked stack: exit 0 within the lock timeout; log rotation" test_locked_stack
test_case "stdin fully read; usage errors; install --schedule" test_stdin_and_usage
test_case "install's default: hooks after Git's writes (push, commit, merge, rewrite), none under its lock" test_after_write_default
test_case "install's default at Git's defaults (auto-compaction, auto maintenance): pushes and commits start our runs" test_after_write_git_defaults
