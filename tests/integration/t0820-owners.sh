#!/usr/bin/env bash
# t0820: Git's ownership rule. A repository found by discovery that the
# current user does not own is refused, with Git's message and Git's exit
# status (128), and nothing in it is created or changed, unless
# safe.directory in the protected configuration (system, global, command
# line; never the repository's own config) allows it, as Git decides.
#
# As root (CI), the repository is chowned to uid 65534 and root's
# SUDO_UID rule is checked too, and that what root's runs and hook create
# in a repository safe.directory allows belongs to its owner, whose own
# run and hook then work; as anyone else, Git's own
# GIT_TEST_ASSUME_DIFFERENT_OWNER makes every path someone else's, for Git
# and for us alike, so every case but SUDO_UID's runs either way.
. "$(dirname "$0")/../lib.sh"

export GIT_TEST_REFTABLE_AUTOCOMPACTION=false
ROOT=false
[ "$(id -u)" = 0 ] && ROOT=true

# A repository of 6 tables (compaction due), whose reflogs could expire,
# owned by someone else. Set up before it is given away.
make_foreign() { # <dir>
	local i
	rm -rf "$1" # the previous case's
	git init -q --ref-format=reftable "$1"
	git -C "$1" config maintenance.auto false
	for i in 1 2 3 4 5; do
		git -C "$1" commit -q --allow-empty -m "c$i"
	done
	if $ROOT; then
		chown -R 65534:65534 "$1"
	else
		export GIT_TEST_ASSUME_DIFFERENT_OWNER=true
	fi
}

# Everything under <dir>: name, owner, mode, size, mtime, inode.
snapshot() { # <dir> <out>
	find "$1" -printf '%p %U:%G %m %s %T@ %i\n' | sort >"$2"
}

# Our message and status equal Git's for the same directory: Git says
# "fatal:", we say "error:", the rest is the same.
refused_as_git() { # <what> <command...>
	local what=$1 rc=0 grc=0
	shift
	"$@" >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	git status >/dev/null 2>"$TEST_TMP/git.err" || grc=$?
	[ "$grc" = 128 ] || fail "git status: exit $grc, not 128 (setup)"
	[ "$rc" = 128 ] || {
		cat "$TEST_TMP/out" "$TEST_TMP/err" >&2
		fail "$what: exit $rc, not 128"
	}
	sed 's/^fatal: /error: /' "$TEST_TMP/git.err" >"$TEST_TMP/want"
	expect_same "$TEST_TMP/want" "$TEST_TMP/err"
}

test_refused() {
	make_foreign foreign
	cd foreign
	snapshot . "$TEST_TMP/before"
	# From inside the git dir, as Git finds it (there: a bare one).
	(cd .git/refs && refused_as_git "in .git/refs" git reftable compact --all)
	refused_as_git run git reftable run
	refused_as_git "run --detach" git reftable run --detach
	refused_as_git compact git reftable compact --all
	refused_as_git expire git reftable expire --expire=now \
		--expire-unreachable=now
	refused_as_git clean git reftable clean --grace=10s \
		--remove-stale-locks
	refused_as_git verify git reftable verify
	refused_as_git stats git reftable stats
	refused_as_git dump git reftable dump refs
	refused_as_git install git reftable install
	refused_as_git uninstall git reftable uninstall
	sleep 1 # a detached child would have started by now
	snapshot . "$TEST_TMP/after"
	expect_same "$TEST_TMP/before" "$TEST_TMP/after"
	grep -q "dubious ownership in repository at '$TEST_TMP/foreign'" \
		"$TEST_TMP/err" || fail "message does not name the repository"
	grep -q "git config --global --add safe.directory $TEST_TMP/foreign\$" \
		"$TEST_TMP/err" || fail "no safe.directory hint"
}

# The hook never fails Git and writes nothing where it is not allowed.
test_hook_refused() {
	make_foreign foreign
	cd foreign
	snapshot . "$TEST_TMP/before"
	echo | git reftable hook reference-transaction committed ||
		fail "hook exited non-zero"
	git reftable hook pre-auto-gc || fail "pre-auto-gc exited non-zero"
	sleep 1 # a detached compaction would have started by now
	snapshot . "$TEST_TMP/after"
	expect_same "$TEST_TMP/before" "$TEST_TMP/after"
}

# The repository's own config cannot declare itself safe; an empty value
# resets the list, as in Git.
test_not_from_repo() {
	make_foreign foreign
	cd foreign
	if $ROOT; then
		chown 0 .git/config
		git config --file .git/config safe.directory '*'
		chown 65534 .git/config
	else
		git config --file .git/config safe.directory '*'
	fi
	snapshot . "$TEST_TMP/before"
	refused_as_git "safe.directory in the repository" \
		git reftable compact --all
	printf '[safe]\n\tdirectory = *\n' >"$TEST_TMP/star"
	GIT_CONFIG_GLOBAL=$TEST_TMP/star GIT_CONFIG_COUNT=1 \
		GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0= refused_as_git "global '*' reset by an empty value" \
		git reftable compact --all
	snapshot . "$TEST_TMP/after"
	expect_same "$TEST_TMP/before" "$TEST_TMP/after"
}

# 6 tables before; `compact --all` leaves 1 and Git reads every ref.
compacts() { # <what> <command...>
	local what=$1 before after
	shift
	before=$(wc -l <"$TEST_TMP/foreign/.git/reftable/tables.list")
	"$@" >"$TEST_TMP/out" 2>&1 || {
		cat "$TEST_TMP/out" >&2
		fail "$what: refused"
	}
	after=$(wc -l <"$TEST_TMP/foreign/.git/reftable/tables.list")
	[ "$before" -gt 1 ] && [ "$after" = 1 ] ||
		fail "$what: $before tables -> $after"
}

test_allowed() {
	local dir
	make_foreign foreign
	dir=$TEST_TMP/foreign
	cd foreign
	compacts "git -c safe.directory=<dir>" \
		git -c safe.directory="$dir" reftable compact --all
	git -c safe.directory="$dir" commit -q --allow-empty -m more
	git -c safe.directory="$dir" update-ref refs/heads/x HEAD
	compacts "safe.directory=<dir>/ (resolved)" \
		git -c safe.directory="$dir/" reftable compact --all
	git -c safe.directory="$dir" update-ref refs/heads/y HEAD
	printf '[safe]\n\tdirectory = %s/*\n' "$TEST_TMP" >"$TEST_TMP/global"
	GIT_CONFIG_GLOBAL=$TEST_TMP/global compacts "GIT_CONFIG_GLOBAL <parent>/*" \
		git reftable compact --all
	git -c safe.directory="$dir" update-ref refs/heads/z HEAD
	(cd .git && compacts "safe.directory=. in the git dir" \
		git -c safe.directory=. reftable compact --all)
	git -c safe.directory="$dir" update-ref refs/heads/w HEAD
	GIT_DIR=$dir/.git compacts "GIT_DIR (not checked, as Git)" \
		git reftable compact --all
	# A sibling's prefix is not a parent.
	snapshot . "$TEST_TMP/before"
	refused_as_git "safe.directory <dir>-other/*" \
		git -c safe.directory="$dir-other/*" reftable verify
	refused_as_git "safe.directory <dir>/* (below, not the dir)" \
		git -c safe.directory="$dir/*" reftable verify
	snapshot . "$TEST_TMP/after"
	expect_same "$TEST_TMP/before" "$TEST_TMP/after"
	git -c safe.directory='*' refs verify
}

# As root (Git's rule): a root-owned path is root's, and SUDO_UID names
# the user root stands in for.
test_sudo_uid() {
	make_foreign foreign
	cd foreign
	SUDO_UID=65534 compacts "SUDO_UID of the owner" \
		git reftable compact --all
	git -c safe.directory='*' update-ref refs/heads/x HEAD
	SUDO_UID=65533 refused_as_git "SUDO_UID of another user" \
		git reftable compact --all
}

# Run <command...> as the repository's owner, 65534, with a git and a
# git-reftable it can reach (root's home may be closed to it).
as_owner() { # <command...>
	local bin=$TEST_TMP/owner-bin
	if [ ! -d "$bin" ]; then
		chmod 755 "$TEST_TMP"
		mkdir -p "$bin" "$TEST_TMP/owner-home"
		cp "$RT_TEST_GIT" "$bin/git"
		cp "$RT_BUILD/git-reftable" "$bin/git-reftable"
		chmod -R a+rX "$bin"
		chown 65534:65534 "$TEST_TMP/owner-home"
	fi
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		env HOME="$TEST_TMP/owner-home" PATH="$bin:/usr/bin:/bin" "$@"
}

# Root's run, detached run and hook in a repository safe.directory
# allows leave the files they create there to its owner, who can then
# run and hook as before.
test_root_leaves_owner_in() {
	local f i
	make_foreign foreign
	cd foreign
	export GIT_CONFIG_PARAMETERS="'safe.directory'='*'"
	echo | git reftable hook reference-transaction committed
	wait_hooks .git
	[ "$(wc -l <.git/reftable/tables.list)" = 1 ] ||
		fail "root's hook did not compact (setup)"
	git reftable run --detach >/dev/null
	settle .git
	git reftable run >/dev/null
	unset GIT_CONFIG_PARAMETERS
	as_owner git reftable run >"$TEST_TMP/out" 2>&1 || {
		cat "$TEST_TMP/out" >&2
		fail "the owner's own run failed after root's"
	}
	for i in 1 2 3; do
		as_owner git update-ref "refs/heads/o$i" HEAD
	done
	echo | as_owner git reftable hook reference-transaction committed
	wait_hooks .git
	[ "$(wc -l <.git/reftable/tables.list)" = 1 ] || {
		cat .git/reftable-hook.log >&2
		fail "the owner's hook did not compact after root's"
	}
	! grep -i 'permission denied' .git/reftable-hook.log >&2 ||
		fail "the owner's hook was refused"
	for f in reftable-run.lock reftable-hook.flock reftable-hook.log \
		reftable-maintenance.log reftable-maintenance.state; do
		[ -f ".git/$f" ] || fail "root's runs made no .git/$f (setup)"
		[ "$(stat -c %u:%g ".git/$f")" = 65534:65534 ] ||
			fail ".git/$f is $(stat -c %U:%G ".git/$f"), not the owner's"
	done
}

# Paths under <dir> that are not <owner>'s, one a line.
not_owned_by() { # <dir> <owner>
	find "$1" ! -user "$2" -printf '%p %u %y\n'
}

# As root, `git reftable install` (every way) and `uninstall` in a
# repository safe.directory allows: what they create or rewrite (the
# hooks directory, the hooks, the mark in it, .git/config, the take-over
# file) is the owner's, who can then change their config, uninstall and
# commit.
test_root_install_leaves_owner_in() {
	local how
	make_foreign foreign
	cd foreign
	# No hooks directory: install creates it; for scripts, one with the
	# owner's own hook, which the script chains.
	for how in auto scripts config auto; do
		rm -rf .git/hooks
		if [ "$how" = scripts ]; then
			mkdir .git/hooks
			printf '#!/bin/sh\nexit 0\n' >.git/hooks/pre-auto-gc
			chmod 755 .git/hooks/pre-auto-gc
			chown -R 65534:65534 .git/hooks
		fi
		GIT_CONFIG_PARAMETERS="'safe.directory'='*'" \
			git reftable install --hooks=$how >"$TEST_TMP/out" 2>&1 || {
			cat "$TEST_TMP/out" >&2
			fail "root's install --hooks=$how failed"
		}
		[ -f .git/reftable-takeover.config ] ||
			fail "install --hooks=$how wrote no take-over file (setup)"
		case $how in
		auto) [ -L .git/hooks/post-receive ] ||
			fail "install --hooks=auto made no symlink (setup)" ;;
		scripts) [ -f .git/hooks/pre-auto-gc.git-reftable-orig ] ||
			fail "install --hooks=scripts chained nothing (setup)" ;;
		config) git config -f .git/config hook.git-reftable-receive.event \
			>/dev/null || fail "install --hooks=config set nothing (setup)" ;;
		esac
		not_owned_by . nobody >"$TEST_TMP/root-owned"
		[ ! -s "$TEST_TMP/root-owned" ] || {
			cat "$TEST_TMP/root-owned" >&2
			fail "root's install --hooks=$how left paths not the owner's"
		}
		as_owner git config --local owner.wrote "$how" ||
			fail "the owner cannot change their config after install --hooks=$how"
		as_owner git commit -q --allow-empty -m "after $how" ||
			fail "the owner cannot commit after install --hooks=$how"
		as_owner git reftable uninstall >"$TEST_TMP/out" 2>&1 || {
			cat "$TEST_TMP/out" >&2
			fail "the owner's uninstall failed after root's install --hooks=$how"
		}
	done
	# Root's uninstall likewise.
	rm -rf .git/hooks
	GIT_CONFIG_PARAMETERS="'safe.directory'='*'" git reftable install \
		>/dev/null
	as_owner git config --local owner.after install
	GIT_CONFIG_PARAMETERS="'safe.directory'='*'" git reftable uninstall \
		>"$TEST_TMP/out" 2>&1 || {
		cat "$TEST_TMP/out" >&2
		fail "root's uninstall failed"
	}
	[ ! -e .git/reftable-takeover.config ] && [ ! -e .git/hooks ] ||
		fail "root's uninstall left the take-over file or hooks (setup)"
	not_owned_by . nobody >"$TEST_TMP/root-owned"
	[ ! -s "$TEST_TMP/root-owned" ] || {
		cat "$TEST_TMP/root-owned" >&2
		fail "root's uninstall left paths not the owner's"
	}
	as_owner git config --local owner.wrote last ||
		fail "the owner cannot change their config after root's uninstall"
	as_owner git commit -q --allow-empty -m last ||
		fail "the owner cannot commit after root's uninstall"
	[ "$(as_owner git config --get owner.wrote)" = last ] ||
		fail "the owner's config lost their value"
}

# As root, switching hooks from the config to scripts only takes hook
# sections out of .git/config (the take-over's include stays last, so
# the take-over does not rewrite it): Git rewrites the file as root, and
# it must be the owner's again all the same.
test_root_reinstall_gives_config_back() {
	make_foreign foreign
	cd foreign
	GIT_CONFIG_PARAMETERS="'safe.directory'='*'" \
		git reftable install --hooks=config >/dev/null ||
		fail "root's install --hooks=config failed"
	GIT_CONFIG_PARAMETERS="'safe.directory'='*'" \
		git reftable install --hooks=scripts >"$TEST_TMP/out" 2>&1 || {
		cat "$TEST_TMP/out" >&2
		fail "root's install --hooks=scripts failed"
	}
	! git config -f .git/config hook.git-reftable-receive.event \
		>/dev/null || fail "the hook sections stayed in .git/config (setup)"
	[ "$(stat -c %u .git/config)" = 65534 ] ||
		fail ".git/config is $(stat -c %U .git/config)'s after root's second install"
	as_owner git config --local owner.wrote again ||
		fail "the owner cannot change their config"
}

# A file of root's that is hard-linked into the repository under the name
# of one of our files (fs.protected_hardlinks off lets its owner make
# that link) stays root's: root's hook and run give away only files that
# are theirs alone.
test_root_file_linked_in_stays_roots() {
	local f
	make_foreign foreign
	cd foreign
	for f in reftable-hook.log reftable-maintenance.log; do
		printf 'root only\n' >"$TEST_TMP/root-$f"
		chmod 600 "$TEST_TMP/root-$f"
		ln "$TEST_TMP/root-$f" ".git/$f"
	done
	export GIT_CONFIG_PARAMETERS="'safe.directory'='*'"
	echo | git reftable hook reference-transaction committed
	wait_hooks .git
	# A log with two names is refused, with a clear error.
	! git reftable run --detach >/dev/null 2>"$TEST_TMP/err" ||
		fail "run --detach wrote through a hard-linked log"
	grep -q 'reftable-maintenance.log has 2 names (hard links); not writing through it' \
		"$TEST_TMP/err" || fail "run --detach said: $(cat "$TEST_TMP/err")"
	settle .git
	for f in reftable-hook.log reftable-maintenance.log; do
		[ "$(stat -c %u:%g "$TEST_TMP/root-$f")" = 0:0 ] ||
			fail "root's $f was given to $(stat -c %U "$TEST_TMP/root-$f")"
		# Nothing written through the other name either.
		[ "$(cat "$TEST_TMP/root-$f")" = "root only" ] ||
			fail "root's $f was written to: $(cat "$TEST_TMP/root-$f")"
	done
}

# As root, in a repository safe.directory allows: a stack the repository
# reaches in a directory of another user's (its extensions.refStorage
# naming that user's repository, a linked worktree's entry that is a
# symlink there, or its .git swapped for such a symlink after discovery)
# is refused, and nothing in that user's repository changes. Every
# command that writes says so and fails; the hooks, which never fail
# Git, leave it alone too.
test_root_other_users_stack_refused() {
	local c rc
	rm -rf victim
	git init -q --ref-format=reftable victim
	git -C victim config maintenance.auto false
	for c in 1 2 3 4 5; do
		git -C victim commit -q --allow-empty -m "v$c"
	done
	chown -R 65533:65533 victim
	snapshot victim "$TEST_TMP/before"
	make_foreign foreign
	export GIT_CONFIG_PARAMETERS="'safe.directory'='*'"
	git -C foreign config extensions.refStorage \
		"reftable://$TEST_TMP/victim/.git"
	cd foreign
	for c in "run" "compact --all" "expire --expire=now" \
		"clean --grace=10s --remove-stale-locks"; do
		rc=0
		git reftable $c >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
		[ "$rc" != 0 ] || fail "$c went on in another user's stack"
		grep -q "$TEST_TMP/victim/.git/reftable belongs to uid 65533, not to uid 65534: refusing to change another user's stack" \
			"$TEST_TMP/err" || fail "$c said: $(cat "$TEST_TMP/err")"
	done
	echo | git reftable hook reference-transaction committed ||
		fail "the hook failed Git"
	wait_hooks .git
	# The same stack reached as a linked worktree's, through a symlink.
	git config extensions.refStorage reftable
	mkdir -p .git/worktrees
	ln -s "$TEST_TMP/victim/.git" .git/worktrees/evil
	chown -h 65534:65534 .git/worktrees .git/worktrees/evil
	rc=0
	git reftable expire --expire=now >"$TEST_TMP/out" 2>"$TEST_TMP/err" ||
		rc=$?
	[ "$rc" != 0 ] || fail "expire went on in a worktree stack of another user"
	grep -q "foreign/.git/worktrees/evil/reftable belongs to uid 65533" "$TEST_TMP/err" ||
		fail "expire said: $(cat "$TEST_TMP/err")"
	rm .git/worktrees/evil
	# A path swapped after discovery: the owner's `.git` becomes a
	# symlink to the other user's while `git config` runs (started
	# when no GIT_CONFIG_NOSYSTEM says which files Git reads). The
	# stack is refused; the run's own files (its lock) go where
	# discovery found the repository, not where the path now leads.
	mkdir "$TEST_TMP/swap-bin"
	cat >"$TEST_TMP/swap-bin/git" <<-EOF
		#!/bin/sh
		if [ "\$2" = config ] && [ ! -e "$TEST_TMP/foreign/.git-real" ]; then
			mv "$TEST_TMP/foreign/.git" "$TEST_TMP/foreign/.git-real"
			ln -s "$TEST_TMP/victim/.git" "$TEST_TMP/foreign/.git"
		fi
		exec "$RT_TEST_GIT" "\$@"
	EOF
	chmod +x "$TEST_TMP/swap-bin/git"
	rc=0
	# Started directly: `git reftable` would put Git's own directory
	# first in PATH.
	env -u GIT_CONFIG_NOSYSTEM PATH="$TEST_TMP/swap-bin:$PATH" \
		git-reftable run >"$TEST_TMP/out" 2>"$TEST_TMP/err" || rc=$?
	[ -L "$TEST_TMP/foreign/.git" ] || fail "the path was not swapped (setup)"
	[ "$rc" != 0 ] || fail "run went on through the swapped path"
	grep -q "/.git/reftable belongs to uid 65533, not to uid 65534" "$TEST_TMP/err" ||
		fail "run said: $(cat "$TEST_TMP/err")"
	[ -f "$TEST_TMP/foreign/.git-real/reftable-run.lock" ] ||
		fail "the run lock is not in the repository discovery found"
	unset GIT_CONFIG_PARAMETERS
	cd ..
	snapshot victim "$TEST_TMP/after"
	expect_same "$TEST_TMP/before" "$TEST_TMP/after"
}

# As root, the metrics `stats --prometheus --keep` keeps for the fleet
# go only into a git dir of the repository's owner: a linked worktree's
# git dir that another user owns (its stack the owner's, so stats reads
# it) gets nothing, and a warning says why; the main git dir gets them,
# the file the owner's.
test_root_keep_owner_only() {
	local wt=foreign/.git/worktrees/foreign-wt
	make_foreign foreign
	export GIT_CONFIG_PARAMETERS="'safe.directory'='*'"
	rm -rf foreign-wt
	git -C foreign worktree add -q ../foreign-wt
	chown -R 65534:65534 foreign foreign-wt
	chown 65533:65533 "$wt"
	(cd foreign-wt && git reftable stats --prometheus --keep) \
		>"$TEST_TMP/out" 2>"$TEST_TMP/err" ||
		fail "stats in the worktree failed: $(cat "$TEST_TMP/err")"
	grep -q "cannot keep the metrics.*$wt is not the repository owner's" \
		"$TEST_TMP/err" || fail "stats said: $(cat "$TEST_TMP/err")"
	[ ! -e "$wt/reftable-metrics.prom" ] ||
		fail "the metrics were kept in another user's git dir"
	(cd foreign && git reftable stats --prometheus --keep) \
		>"$TEST_TMP/out" 2>"$TEST_TMP/err" ||
		fail "stats failed: $(cat "$TEST_TMP/err")"
	[ ! -s "$TEST_TMP/err" ] || fail "stats said: $(cat "$TEST_TMP/err")"
	[ "$(stat -c %u foreign/.git/reftable-metrics.prom)" = 65534 ] ||
		fail "the kept metrics are not the owner's"
	unset GIT_CONFIG_PARAMETERS
	rm -rf foreign-wt
}

# A policy file that the repository of another user names (its
# reftable.policy), and that is not the caller's: errors name the file
# and line, and copy none of its text, on stderr and in the hook's log
# (which the repository's owner reads). As root the file is root's own
# secret; as anyone else, /etc/passwd (root's).
test_policy_text_not_shown() {
	local secret word n
	make_foreign foreign
	if $ROOT; then
		secret=$TEST_TMP/secret.ini
		printf 'hunter2-line\n[compaction]\ngeometric-factor = hunter2\n' >"$secret"
		chmod 600 "$secret"
		word=hunter2 n=3
	else
		secret=/etc/passwd
		word=$(head -n 1 /etc/passwd | cut -d: -f1,2,3) n=1
	fi
	git config -f foreign/.git/config reftable.policy "$secret"
	cd foreign
	export GIT_CONFIG_PARAMETERS="'safe.directory'='*'"
	! git reftable run >"$TEST_TMP/out" 2>&1 || fail "run took the policy"
	! git reftable policy check >>"$TEST_TMP/out" 2>&1 ||
		fail "policy check took the policy"
	echo | git reftable hook reference-transaction committed
	wait_hooks .git
	cat .git/reftable-hook.log >>"$TEST_TMP/out"
	[ "$(grep -c "$secret:1: " "$TEST_TMP/out")" -ge 3 ] ||
		fail "the errors do not name $secret and its line 1"
	grep -q "$secret:$n: " "$TEST_TMP/out" ||
		fail "the errors do not name $secret and its line $n"
	! grep -F -e "$word" "$TEST_TMP/out" >&2 ||
		fail "an error copied the text of $secret"
}

test_case "a repository of another user is refused as Git refuses it; nothing in it changes" test_refused
test_case "the hooks succeed and change nothing in a repository of another user" test_hook_refused
test_case "the repository's own config cannot make it safe; an empty safe.directory resets" test_not_from_repo
test_case "safe.directory (path, path/, parent/*, ., command line, global) and GIT_DIR allow it" test_allowed
test_case "a policy file of someone else's that the repository names: errors copy none of it" test_policy_text_not_shown
if $ROOT; then
	test_case "as root, SUDO_UID stands for the owner" test_sudo_uid
	test_case "as root, files made in the owner's repository are the owner's" test_root_leaves_owner_in
	test_case "as root, install and uninstall leave nothing the owner cannot change" test_root_install_leaves_owner_in
	test_case "as root, a root file hard-linked into the repository stays root's" test_root_file_linked_in_stays_roots
	test_case "as root, switching hooks gives .git/config back to its owner" test_root_reinstall_gives_config_back
	test_case "as root, a stack in another user's directory is refused" test_root_other_users_stack_refused
	test_case "as root, metrics are kept only in the owner's git dir" test_root_keep_owner_only
fi
echo "1..$test_count"
