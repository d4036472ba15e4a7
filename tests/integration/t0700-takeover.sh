#!/usr/bin/env bash
# t0700: after `git reftable install`, the policy is the repository's ref
# maintenance, whatever Git runs.
#
# With Git's defaults (auto maintenance after commits, inline
# auto-compaction, the default maintenance strategy): a year-long policy
# keeps every entry through 150 commits dated 200 down to 51 days ago, and
# through `git maintenance run` (plain, --auto, scheduled under every
# strategy), `git gc` and `git gc --auto`. A 30-day policy is then applied
# by our own detached run, started from the write path, with exactly the
# result of `git reflog expire` with the same ages. The hooks never break
# Git when the binary is gone; install/uninstall restore the config, the
# hooks directory and the global config byte for byte; every command
# reads the geometric rule with one factor, and calls for compaction
# exactly where Git's own `git pack-refs --auto` compacts.
. "$(dirname "$0")/../lib.sh"

# Dated writes below set their own dates; everything else is "now".
unset GIT_AUTHOR_DATE GIT_COMMITTER_DATE
NOW=$(date +%s)
# `git maintenance start` with schedulers that do nothing.
export GIT_TEST_MAINT_SCHEDULER="crontab:true,systemctl:true"

# Empty commits dated <from> down to <to> days ago, one a day.
dated_commits() { # <from> <to>
	local i t
	for ((i = $1; i >= $2; i--)); do
		t=$((NOW - i * 86400))
		GIT_COMMITTER_DATE="$t +0000" GIT_AUTHOR_DATE="$t +0000" \
			git commit -q --allow-empty -m "c$i"
	done
}

# Every reflog of the repository, in full: names and entries.
reflogs() { # <out>
	local r
	git reflog list | sort >"$1"
	for r in $(git reflog list); do
		echo "== $r"
		git reflog show --format='%H %gd %gs' "$r" --
	done >>"$1"
}

year_policy() {
	printf '[reflog]\nexpire = 1 year\nexpire-unreachable = 1 year\n' \
		>"$TEST_TMP/year.ini"
}

# A repository with our hooks and a year-long policy (through
# reftable.policy, as a user would point at a shared policy), holding 150
# commits dated 200 to 51 days ago, made with Git's defaults.
# Wait until Git's own maintenance, detached after a write, is done:
# it holds objects/maintenance.lock (and gc, gc.pid) while it runs.
git_settled() { # <git dir>
	local i
	for ((i = 0; i < 600; i++)); do
		[ -e "$1/objects/maintenance.lock" ] || [ -e "$1/gc.pid" ] ||
			return 0
		sleep 0.05
	done
	fail "Git's maintenance still running after 30 s"
}

year_repo() { # <dir>
	year_policy
	git init -q --ref-format=reftable "$1"
	cd "$1"
	git config reftable.policy "$TEST_TMP/year.ini"
	git reftable install >"$TEST_TMP/install.out" ||
		fail "install failed: $(cat "$TEST_TMP/install.out")"
	dated_commits 200 51
	settle .git
	[ "$(git reflog show HEAD | wc -l)" -eq 150 ] ||
		fail "HEAD's reflog has $(git reflog show HEAD | wc -l) entries, not 150"
	[ "$(git reflog show main | wc -l)" -eq 150 ] ||
		fail "main's reflog has $(git reflog show main | wc -l) entries, not 150"
}

test_git_maintenance_keeps_policy() {
	local s
	year_repo "$TEST_TMP/a"
	reflogs "$TEST_TMP/a.before"

	git maintenance run
	git maintenance run --auto
	settle .git
	reflogs "$TEST_TMP/a.now"
	expect_same "$TEST_TMP/a.before" "$TEST_TMP/a.now"

	git gc -q
	settle .git
	reflogs "$TEST_TMP/a.now"
	expect_same "$TEST_TMP/a.before" "$TEST_TMP/a.now"

	# Enough loose objects for `git gc --auto` to run: Git samples
	# objects/17, and these 2000 blobs put 5 there (gc.auto 50 wants 2).
	mkdir "$TEST_TMP/blobs"
	for ((s = 0; s < 2000; s++)); do echo "blob $s" >"$TEST_TMP/blobs/$s"; done
	(cd "$TEST_TMP/blobs" && ls) | sed "s|^|$TEST_TMP/blobs/|" |
		git hash-object -w --stdin-paths >/dev/null
	git config gc.auto 50
	# In the foreground, so that its effect can be checked here.
	GIT_TRACE2_EVENT=$TEST_TMP/gc.trace git -c gc.autoDetach=false gc --auto --quiet
	settle .git
	grep -q '"event":"child_start".*"argv":\["git","repack"' "$TEST_TMP/gc.trace" ||
		fail "test setup: git gc --auto did not run"
	reflogs "$TEST_TMP/a.now"
	expect_same "$TEST_TMP/a.before" "$TEST_TMP/a.now"

	# Scheduled maintenance, after `git maintenance start`, under every
	# strategy (and the one start chooses).
	git maintenance start --scheduler=crontab
	for s in "" incremental gc geometric; do
		git ${s:+-c maintenance.strategy=$s} maintenance run --schedule=hourly
		git ${s:+-c maintenance.strategy=$s} maintenance run --schedule=daily
		git ${s:+-c maintenance.strategy=$s} maintenance run --schedule=weekly
		git ${s:+-c maintenance.strategy=$s} maintenance run --auto
		settle .git
		reflogs "$TEST_TMP/a.now"
		expect_same "$TEST_TMP/a.before" "$TEST_TMP/a.now" ||
			fail "strategy '${s:-default}' removed entries the policy keeps"
	done
	git maintenance stop
	git refs verify
}

# The policy shortened to 30 days: the next write starts our run, which
# expires what `git reflog expire` would with the same ages.
test_our_run_expires_on_write() {
	local t
	year_repo "$TEST_TMP/b"
	# The same repository without us, where Git expires by itself; copied
	# once Git's own detached maintenance (started by the commits) is
	# done with the objects.
	git_settled .git
	cp -a "$TEST_TMP/b" "$TEST_TMP/b.git"
	git -C "$TEST_TMP/b.git" reftable uninstall >/dev/null
	git -C "$TEST_TMP/b.git" config --unset reftable.policy
	git -C "$TEST_TMP/b.git" config maintenance.auto false

	printf '[reflog]\nexpire = 30 days\nexpire-unreachable = 30 days\n' \
		>"$TEST_TMP/year.ini"
	t=$((NOW - 60))
	for d in "$TEST_TMP/b" "$TEST_TMP/b.git"; do
		GIT_COMMITTER_DATE="$t +0000" GIT_AUTHOR_DATE="$t +0000" \
			git -C "$d" commit -q --allow-empty -m now
	done
	settle .git
	git -C "$TEST_TMP/b.git" reflog expire --all --expire=30.days.ago \
		--expire-unreachable=30.days.ago
	reflogs "$TEST_TMP/b.ours"
	(cd "$TEST_TMP/b.git" && reflogs "$TEST_TMP/b.theirs")
	expect_same "$TEST_TMP/b.theirs" "$TEST_TMP/b.ours"
	[ "$(git reflog show HEAD | wc -l)" -eq 1 ] ||
		fail "HEAD keeps $(git reflog show HEAD | wc -l) entries"
	grep -q '^\[expire\]' .git/reftable-maintenance.state ||
		fail "no run of ours recorded an expiry"
	git refs verify
}

# The binary gone after install: Git's ref updates, commits and pushes
# into the repository go on, the hook skipped.
binary_gone() { # <mode>
	local d=$TEST_TMP/gone-$1
	mkdir -p "$d/bin"
	cp "$RT_BUILD/git-reftable" "$d/bin/git-reftable"
	git init -q --ref-format=reftable "$d/r"
	git -C "$d/r" commit -q --allow-empty -m base
	git init -q --ref-format=reftable "$d/src"
	git -C "$d/src" commit -q --allow-empty -m theirs
	(cd "$d/r" && "$d/bin/git-reftable" install --hooks="$1" >/dev/null) ||
		fail "install --hooks=$1 failed"
	rm "$d/bin/git-reftable"
	# Only the removed copy was ever named: PATH still has the build's
	# binary, so hide it for this test.
	local path=${PATH#"$TEST_TMP/bin:"}
	mkdir -p "$d/gitonly" && ln -s "$RT_TEST_GIT" "$d/gitonly/git"
	PATH=$d/gitonly:$path git -C "$d/r" update-ref refs/heads/x HEAD ||
		fail "$1: update-ref failed with the binary gone"
	PATH=$d/gitonly:$path git -C "$d/r" commit -q --allow-empty -m more ||
		fail "$1: commit failed with the binary gone"
	PATH=$d/gitonly:$path git -C "$d/src" push -q "$d/r" HEAD:refs/heads/pushed ||
		fail "$1: push failed with the binary gone"
	[ "$(git -C "$d/r" rev-parse pushed)" = "$(git -C "$d/src" rev-parse HEAD)" ]
	[ "$(git -C "$d/r" rev-parse x)" = "$(git -C "$d/r" rev-parse HEAD~1)" ]
}

test_binary_gone() {
	binary_gone auto
	binary_gone config
	binary_gone scripts
}

# Everything install may touch: the repository's config, the hooks
# directory, the global config, the crontab of the fake scheduler.
state() { # <out>
	{
		cat .git/config
		echo "== hooks"
		(cd .git/hooks 2>/dev/null &&
			find . -mindepth 1 -printf '%P %y %m %l\n' | sort &&
			find . -type f -exec sha256sum {} + | sort)
		echo "== global"
		cat "$HOME/.gitconfig" 2>/dev/null || :
		echo "== crontab"
		cat "$TEST_TMP/crontab.tab" 2>/dev/null || :
	} >"$1"
}

test_install_uninstall_restores() {
	local fake=$TEST_TMP/fake
	mkdir -p "$fake"
	cat >"$fake/crontab" <<EOF
#!/bin/sh
case "\$*" in
-l) [ -f "$TEST_TMP/crontab.tab" ] && cat "$TEST_TMP/crontab.tab" || { echo "no crontab for tester" >&2; exit 1; } ;;
-) cat >"$TEST_TMP/crontab.tab" ;;
-r) rm -f "$TEST_TMP/crontab.tab" ;;
esac
EOF
	chmod +x "$fake/crontab"
	git init -q --ref-format=reftable "$TEST_TMP/c"
	cd "$TEST_TMP/c"
	git config gc.reflogExpire '45 days'
	git config --global gc.reflogExpireUnreachable '20 days'
	echo "0 3 * * * backup" >"$TEST_TMP/crontab.tab"
	state "$TEST_TMP/c.before"
	git reftable install --dry-run >"$TEST_TMP/c.dry" ||
		fail "install --dry-run failed"
	[ -s "$TEST_TMP/c.dry" ] || fail "install --dry-run said nothing"
	state "$TEST_TMP/c.now"
	expect_same "$TEST_TMP/c.before" "$TEST_TMP/c.now"

	git reftable install >/dev/null
	# The policy still falls back to the user's own settings.
	git reftable policy show | grep -q 'expire *= *45 days' ||
		fail "policy show lost the user's gc.reflogExpire: $(git reftable policy show)"
	git reftable policy show | grep -q 'expire-unreachable *= *20 days' ||
		fail "policy show lost the user's gc.reflogExpireUnreachable"
	git reftable uninstall >/dev/null
	state "$TEST_TMP/c.now"
	expect_same "$TEST_TMP/c.before" "$TEST_TMP/c.now"

	PATH=$fake:$PATH git reftable install --schedule >/dev/null ||
		fail "install --schedule failed"
	PATH=$fake:$PATH git reftable uninstall >/dev/null
	state "$TEST_TMP/c.now"
	expect_same "$TEST_TMP/c.before" "$TEST_TMP/c.now"
}

# Git's geometric rule, after ordinary writes with Git's auto-compaction
# on: we call for compaction exactly where `git pack-refs --auto` would
# compact.
test_rule_is_gits() {
	local i due git_compacts mismatches=0
	git init -q --ref-format=reftable "$TEST_TMP/d"
	cd "$TEST_TMP/d"
	git config maintenance.auto false
	git commit -q --allow-empty -m base
	for ((i = 1; i <= 60; i++)); do
		case $((i % 4)) in
		0) git branch "b$i" ;;
		1) git commit -q --allow-empty -m "c$i" ;;
		2) git tag -a -m "t$i" "t$i" ;;
		3) git update-ref -d "refs/heads/b$((i - 3))" 2>/dev/null || git tag "l$i" ;;
		esac
		due=$(git reftable stats --json | jq '.stacks[0].compaction.due')
		rm -rf "$TEST_TMP/d.copy" && cp -a "$TEST_TMP/d" "$TEST_TMP/d.copy"
		git -C "$TEST_TMP/d.copy" pack-refs --auto
		if cmp -s .git/reftable/tables.list "$TEST_TMP/d.copy/.git/reftable/tables.list"; then
			git_compacts=false
		else
			git_compacts=true
		fi
		if [ "$due" != "$git_compacts" ]; then
			echo "after write $i: we say due=$due, Git compacts: $git_compacts" >&2
			mismatches=$((mismatches + 1))
		fi
	done
	[ "$mismatches" -eq 0 ] || fail "$mismatches stacks judged unlike Git"
}

# One factor for every command: the policy's, whatever
# reftable.geometricFactor says.
test_one_factor() {
	local i stats compact run prom
	git init -q --ref-format=reftable "$TEST_TMP/e"
	cd "$TEST_TMP/e"
	git config maintenance.auto false
	# With Git's defaults: one large table and a small one, geometric
	# for factor 2, not for factor 200.
	git commit -q --allow-empty -m base
	for ((i = 1; i <= 100; i++)); do echo "create refs/heads/b$i HEAD"; done |
		git update-ref --stdin
	git branch last
	[ "$(wc -l <.git/reftable/tables.list)" -eq 2 ] ||
		fail "test setup: $(wc -l <.git/reftable/tables.list) tables, not 2"
	git config reftable.geometricFactor 200
	printf '[compaction]\ngeometric-factor = 2\n' >.git/reftable-policy.ini
	stats=$(git reftable stats --json | jq '.stacks[0].compaction.due')
	compact=$(git reftable compact --auto --dry-run | grep -c 'would compact' || :)
	run=$(git reftable run --auto --dry-run --json |
		jq '[.stacks[0].tasks[] | select(.task == "compact" and .status == "due")] | length')
	prom=$(git reftable stats --prometheus |
		sed -n 's/^git_reftable_compaction_due{.*stack="main".*} //p')
	[ "$stats" = false ] || fail "stats: due=$stats with the policy's factor 2"
	[ "$compact" -eq 0 ] || fail "compact --auto --dry-run would compact"
	[ "$run" -eq 0 ] || fail "run --auto: compaction due"
	[ "$prom" = 0 ] || fail "metrics: compaction_due=$prom"
}

# The policy's factor changed after install: the next run hands it to
# Git, so that Git's inline compaction and ours agree without a new
# install; the config itself is not touched, and uninstall still
# restores it byte for byte.
test_factor_follows_policy() {
	git init -q --ref-format=reftable "$TEST_TMP/f"
	cd "$TEST_TMP/f"
	git commit -q --allow-empty -m base
	cp .git/config "$TEST_TMP/f.config"
	git reftable install >/dev/null
	[ "$(git config reftable.geometricFactor)" = 2 ]
	cp .git/config "$TEST_TMP/f.installed"
	printf '[compaction]\ngeometric-factor = 5\n' >.git/reftable-policy.ini
	git reftable run --dry-run >/dev/null 2>&1
	[ "$(git config reftable.geometricFactor)" = 2 ] ||
		fail "a dry run changed Git's factor"
	git reftable run >/dev/null 2>"$TEST_TMP/f.err"
	grep -q "geometric-factor 5" "$TEST_TMP/f.err" ||
		fail "run did not say: $(cat "$TEST_TMP/f.err")"
	[ "$(git config reftable.geometricFactor)" = 5 ] ||
		fail "Git's factor is $(git config reftable.geometricFactor)"
	cmp .git/config "$TEST_TMP/f.installed"
	# A factor Git would die on is refused by the policy itself.
	printf '[compaction]\ngeometric-factor = 256\n' >.git/reftable-policy.ini
	! git reftable policy check >/dev/null 2>&1 || fail "256 accepted"
	! git reftable run >/dev/null 2>&1 || fail "run with factor 256"
	git update-ref refs/heads/after HEAD
	rm .git/reftable-policy.ini
	git reftable uninstall >/dev/null
	cmp .git/config "$TEST_TMP/f.config"
}

# --hooks=none: no hook of any kind (ours taken out when switching from
# another mode, the user's left alone), the take-over as for the hook
# modes, so Git's own auto-compaction keeps the stack geometric by the
# policy's factor with nothing of ours running; uninstall restores the
# config and hooks directory byte for byte.
test_hooks_none() {
	local i n
	git init -q --ref-format=reftable "$TEST_TMP/g"
	cd "$TEST_TMP/g"
	git commit -q --allow-empty -m base
	printf '#!/bin/sh\nexit 0\n' >.git/hooks/post-commit
	chmod +x .git/hooks/post-commit
	printf '[compaction]\ngeometric-factor = 3\n' >"$TEST_TMP/g.ini"
	git config reftable.policy "$TEST_TMP/g.ini"
	state "$TEST_TMP/g.before"
	git reftable install --hooks=config >/dev/null
	git config --get-regexp '^hook\.' >/dev/null ||
		fail "test setup: no config hooks installed"
	git reftable install --hooks=none >"$TEST_TMP/g.out" ||
		fail "install --hooks=none failed: $(cat "$TEST_TMP/g.out")"
	grep -q 'hooks removed (--hooks=none)' "$TEST_TMP/g.out" ||
		fail "install did not say it removed the hooks: $(cat "$TEST_TMP/g.out")"
	! git config --get-regexp '^hook\.' >&2 || fail "hook.* left in the config"
	[ "$(ls .git/hooks | grep -v '\.sample$')" = post-commit ] ||
		fail "hooks directory: $(ls .git/hooks | grep -v '\.sample$')"
	[ "$(git config reftable.geometricFactor)" = 3 ] ||
		fail "reftable.geometricFactor is '$(git config reftable.geometricFactor)', not the policy's 3"
	[ "$(git config maintenance.pack-refs.enabled)" = false ] &&
		[ "$(git config gc.reflogExpire)" = never ] ||
		fail "Git's ref maintenance not handed over"
	# Git's auto-compaction, with nothing of ours running, keeps the
	# stack geometric by the policy's factor.
	for ((i = 0; i < 40; i++)); do
		git update-ref "refs/heads/n$i" HEAD
	done
	n=$(wc -l <.git/reftable/tables.list)
	[ "$n" -le 6 ] || fail "$n tables after 40 updates: Git did not compact"
	[ "$(git reftable stats --json | jq '.stacks[0].compaction.due')" = false ] ||
		fail "the stack is not geometric by factor 3"
	[ ! -e .git/reftable-hook.flock ] && [ ! -e .git/reftable-hook.log ] ||
		fail "a hook of ours ran"
	# Again: nothing changes.
	git reftable install --hooks=none >"$TEST_TMP/g.out"
	grep -q '^no hooks (--hooks=none)' "$TEST_TMP/g.out" &&
		grep -q 'already handed over' "$TEST_TMP/g.out" ||
		fail "a second install --hooks=none said: $(cat "$TEST_TMP/g.out")"
	git reftable uninstall >/dev/null
	state "$TEST_TMP/g.now"
	expect_same "$TEST_TMP/g.before" "$TEST_TMP/g.now"
}

test_case "Git's maintenance and gc never undo the policy" test_git_maintenance_keeps_policy
test_case "our run, started by a write, expires as git reflog expire" test_our_run_expires_on_write
test_case "the binary gone: Git's updates, commits and pushes go on" test_binary_gone
test_case "install --dry-run changes nothing; uninstall restores everything" test_install_uninstall_restores
test_case "compaction is due exactly where Git's rule compacts" test_rule_is_gits
test_case "one geometric factor, the policy's, for every command" test_one_factor
test_case "a changed policy factor reaches Git at the next run" test_factor_follows_policy
test_case "--hooks=none: no hook, Git compacts by the policy's factor, uninstall restores" test_hooks_none
