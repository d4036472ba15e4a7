#!/usr/bin/env bash
# t0600: `git reftable expire` against `git reflog expire --all`.
#
# One repository with seven months of dated history: commits, rewinds and
# resets that leave unreachable commits, an amended commit, annotated and
# lightweight tags with reflogs, a deleted branch, a stash, remote-tracking
# refs rewound by a forced upstream update, a symref with a reflog, a
# linked worktree, and a commit named only in a reflog whose object is gone.
# For each setting, one copy is expired by Git and one by us; every reflog
# must then read identically through Git (`git reflog list`, `git reflog
# show` of each, `git reflog exists`), `git refs verify` must be clean, and
# we must have added exactly one table per stack.
#
# Then what Git lacks: per-pattern rules, max-entries, protect, --dry-run,
# and an emptied reflog that still exists for Git.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

NOW=$(date +%s)

# Date Git's next operations $1 days (and half a day more, so no entry sits
# on a cut-off) before now.
days_ago() {
	local t=$((NOW - $1 * 86400 - 43200))
	export GIT_COMMITTER_DATE="$t +0000" GIT_AUTHOR_DATE="$t +0000"
}

# One file per first word of the message: branches never conflict.
commit() {
	days_ago "$1"
	echo "$2 $1" >>"f-${2%% *}"
	git add "f-${2%% *}"
	git commit -q -m "$2"
}

make_history() {
	git init -q -b main --ref-format=reftable up
	(
		cd up
		for d in 215 212 210; do commit "$d" "upstream $d"; done
	)
	days_ago 205
	git clone -q --ref-format=reftable up base
	cd base
	git config core.logAllRefUpdates always
	git config gc.auto 0
	git config maintenance.auto false
	for d in 200 190 180 170 160; do commit "$d" "main $d"; done
	days_ago 150
	git checkout -q -b feature
	for d in 148 140 130; do commit "$d" "feature $d"; done
	days_ago 125
	git checkout -q main
	commit 120 "main 120"
	days_ago 110
	git reset -q --hard HEAD~1
	commit 100 "main 100 after rewind"
	days_ago 95
	git tag -a -m "release 1" v1
	git tag v1-light HEAD~1
	commit 80 "main 80"
	days_ago 79
	git commit -q --amend -m "main 80 amended"
	days_ago 70
	git branch temp HEAD~1
	git checkout -q temp
	commit 69 "temp 69"
	days_ago 65
	git checkout -q main
	git branch -D temp >/dev/null
	days_ago 60
	git merge -q --no-edit feature
	days_ago 55
	echo dirty >>f-main
	git stash -q
	days_ago 50
	echo dirtier >>f-main
	git stash -q
	# A commit only a reflog names, whose object then goes missing.
	days_ago 45
	lost=$(git commit-tree -p HEAD -m lost "HEAD^{tree}")
	git update-ref -m "lost commit" refs/heads/lost "$lost"
	days_ago 44
	git update-ref -m "back" refs/heads/lost HEAD
	rm ".git/objects/${lost:0:2}/${lost:2}"
	# Upstream rewinds; the remote-tracking ref follows it.
	(
		cd ../up
		days_ago 40
		git reset -q --hard HEAD~1
		commit 40 "upstream rewritten 40"
	)
	days_ago 38
	git fetch -q origin
	days_ago 35
	git symbolic-ref -m "point alias" refs/heads/alias refs/heads/main
	days_ago 30
	git worktree add -q ../wt feature
	(
		cd ../wt
		commit 25 "worktree 25"
		days_ago 24
		git reset -q --hard HEAD~1
		commit 20 "worktree 20"
	)
	commit 15 "main 15"
	days_ago 12
	git checkout -q feature~1 2>/dev/null
	commit 11 "detached 11"
	days_ago 10
	git checkout -q main
	commit 5 "main 5"
	days_ago 3
	git reset -q --hard HEAD~1
	commit 1 "main 1"
}

test_history() {
	make_history
	[ "$(git reflog list | wc -l)" -ge 10 ] || fail "too few reflogs"
	git reflog show --format=%gs HEAD | grep -q "reset: moving" ||
		fail "no rewinds in HEAD's reflog"
	git rev-parse -q --verify refs/stash@{1} >/dev/null || fail "no stash"
}
test_case "a repository with seven months of dated history" test_history

# Everything Git shows of the reflogs of the repository at $1: per stack,
# the list of reflogs, each reflog with raw dates and full ids, and
# whether each exists.
reflog_state() {
	local dir=$1 ref
	(
		cd "$dir"
		for where in . ../wt-of-${dir##*/}; do
			[ -d "$where" ] || continue
			echo "== ${where}"
			git -C "$where" reflog list
			# HEAD is per worktree; the linked one's reflogs too.
			{ git -C "$where" reflog list; echo HEAD; echo refs/heads/temp; } |
				sort -u | while read -r ref; do
				echo "-- $ref"
				if git -C "$where" reflog exists "$ref"; then
					echo exists
				else
					echo absent
				fi
				git -C "$where" reflog show --date=raw \
					--format='%gd %H %gn <%ge> %gs' "$ref" -- \
					2>&1 || true
			done
		done
	)
}

# Copy the history to $1 (repository) and its worktree to wt-of-$1,
# keeping the worktree link valid for the copy.
copy_history() {
	cp -a base "$1"
	cp -a wt "wt-of-$1"
	echo "gitdir: $TEST_TMP/$1/.git/worktrees/wt" >"wt-of-$1/.git"
	echo "$TEST_TMP/wt-of-$1/.git" >"$1/.git/worktrees/wt/gitdir"
}

tables() {
	wc -l <"$1/tables.list"
}

# Expire copies of the history, one by Git with `git reflog expire --all
# $*`, one by us with `git reftable expire $*`, and compare.
differential() {
	local name=$1
	shift
	copy_history "git-$name"
	copy_history "rt-$name"
	reflog_state "git-$name" >"before-$name"
	sed -i "s/git-$name/COPY/g" "before-$name"
	(cd "git-$name" && git reflog expire --all "$@")
	main_before=$(tables "rt-$name/.git/reftable")
	wt_before=$(tables "rt-$name/.git/worktrees/wt/reftable")
	# shellcheck disable=SC2086 # RT_EXTRA: our options Git lacks
	(cd "rt-$name" && git reftable expire "$@" ${RT_EXTRA:-}) >"out-$name"
	cat "out-$name"
	reflog_state "git-$name" >"git-state-$name"
	reflog_state "rt-$name" >"rt-state-$name"
	sed -i "s/git-$name/COPY/g" "git-state-$name"
	sed -i "s/rt-$name/COPY/g" "rt-state-$name"
	expect_same "git-state-$name" "rt-state-$name"
	(cd "rt-$name" && git refs verify) || fail "git refs verify complained"
	(cd "wt-of-rt-$name" && git refs verify) ||
		fail "git refs verify complained in the worktree"
	# At most one table added per stack, and only when something went.
	[ "$(tables "rt-$name/.git/reftable")" -le $((main_before + 1)) ] ||
		fail "more than one table added to the main stack"
	[ "$(tables "rt-$name/.git/worktrees/wt/reftable")" -le \
		$((wt_before + 1)) ] ||
		fail "more than one table added to the worktree's stack"
	# The setting must have changed something, or the test proves little.
	if [ "${EXPECT_UNCHANGED:-}" ]; then
		expect_same "before-$name" "git-state-$name"
	elif cmp -s "before-$name" "git-state-$name"; then
		fail "setting '$*' expired nothing: a useless comparison"
	fi
}

test_now() { differential now --expire=now; }
test_case "--expire=now: identical to git reflog expire" test_now

# Given explicitly: Git 2.50 to 2.55 swap their own built-in defaults
# (REFLOG_EXPIRE_OPTIONS_INIT: reachable entries go after 30 days,
# unreachable ones after 90; reported on the Git list in September 2026).
# We keep the documented 90 and 30 days.
test_defaults() {
	differential defaults --expire=90.days.ago --expire-unreachable=30.days.ago
	(cd rt-defaults && git reftable policy show) >show
	grep -q "^expire = 90 days" show || fail "default expire is not 90 days"
	grep -q "^expire-unreachable = 30 days" show ||
		fail "default expire-unreachable is not 30 days"
}
test_case "Git's documented defaults (90 days, 30 unreachable): identical" \
	test_defaults

test_explicit() {
	differential explicit --expire=100.days.ago --expire-unreachable=40.days.ago
}
test_case "--expire=100.days.ago --expire-unreachable=40.days.ago: identical" \
	test_explicit

test_unreachable_now() {
	differential unreach --expire=never --expire-unreachable=now
}
test_case "--expire=never --expire-unreachable=now: identical" \
	test_unreachable_now

test_never() {
	EXPECT_UNCHANGED=1 differential never --expire=never \
		--expire-unreachable=never
}
test_case "never and never: nothing expires, as with Git" test_never

test_age_only() {
	differential age --expire=45.days.ago --expire-unreachable=never
}
test_case "--expire=45.days.ago --expire-unreachable=never: identical" \
	test_age_only

test_git_config() {
	git -C base config gc.reflogExpire 120.days.ago
	git -C base config gc.reflogExpireUnreachable 50.days.ago
	git -C base config "gc.refs/remotes/*.reflogExpire" 30.days.ago
	git -C base config "gc.refs/tags/*.reflogExpireUnreachable" now
	differential config
	git -C base config --remove-section gc
	git -C base config gc.auto 0
}
test_case "gc.reflogExpire* and gc.<pattern>.* from Git's config: identical" \
	test_git_config

test_cat_file_backend() {
	GIT_REFTABLE_ODB=git differential catfile --expire=never \
		--expire-unreachable=now
}
test_case "objects read through git cat-file: identical" test_cat_file_backend

test_sha256() {
	git init -q -b main --ref-format=reftable --object-format=sha256 s
	(
		cd s
		for d in 90 80 70 60; do commit "$d" "c $d"; done
		days_ago 50
		git reset -q --hard HEAD~2
		commit 40 "c 40"
		days_ago 35
		git checkout -q -b side HEAD~1
		commit 30 "side 30"
		days_ago 25
		git checkout -q main
		git branch -D side >/dev/null
	)
	cp -a s s-git
	cp -a s s-rt
	(cd s-git && git reflog expire --all --expire=never \
		--expire-unreachable=now)
	(cd s-rt && git reftable expire --expire=never \
		--expire-unreachable=now)
	for r in s-git s-rt; do
		(cd $r && git reflog show --date=raw --format='%gd %H %gs' HEAD &&
			git reflog show --date=raw --format='%gd %H %gs' main) \
			>"$r.state"
	done
	expect_same s-git.state s-rt.state
	cmp -s s-git.state <(cd s && git reflog show --date=raw \
		--format='%gd %H %gs' HEAD && git reflog show --date=raw \
		--format='%gd %H %gs' main) && fail "nothing expired"
	(cd s-rt && git refs verify)
}
test_case "SHA-256 (objects through git cat-file): identical" test_sha256

# A small repository with reflogs from 60 days ago to 8 days ago.
small_repo() {
	git init -q -b main --ref-format=reftable "$1"
	(
		cd "$1"
		git config core.logAllRefUpdates always
		for d in 60 50 40 30 20 10; do commit "$d" "c $d"; done
		days_ago 9
		git branch keep
		git branch topic
		git tag -a -m t v1
		git tag v1-light
		days_ago 8
		git update-ref -m "remote" refs/remotes/origin/main HEAD~1
		git update-ref -m "remote" refs/remotes/origin/main HEAD
	)
}

entries() {
	git -C "$1" reflog show --format=%gs "$2" -- | wc -l
}

test_policy_rules() {
	small_repo p
	cat >policy.ini <<-'EOF'
	[reflog]
	expire = 25 days
	expire-unreachable = never
	protect = refs/tags/*
	[reflog "refs/remotes/*"]
	expire = now
	[reflog "refs/heads/topic"]
	max-entries = 1
	[reflog "refs/heads/main"]
	expire = never
	max-entries = 3
	EOF
	head_before=$(entries p HEAD)
	(cd p && git reftable --policy ../policy.ini expire) >out
	cat out
	# main: never by age, but only the newest 3 entries.
	[ "$(entries p refs/heads/main)" -eq 3 ] || fail "main keeps 3"
	git -C p reflog show --format=%gs main | head -n 1 | grep -q "c 10" ||
		fail "main kept the wrong entries"
	# HEAD: the [reflog] rule, 25 days: 60, 50, 40, 30 go.
	[ "$(entries p HEAD)" -eq $((head_before - 4)) ] ||
		fail "HEAD: $(entries p HEAD) of $head_before left"
	[ "$(entries p refs/heads/topic)" -eq 1 ] || fail "topic keeps 1"
	# remotes: all gone, yet the reflog exists.
	[ "$(entries p refs/remotes/origin/main)" -eq 0 ] ||
		fail "remote entries kept"
	git -C p reflog exists refs/remotes/origin/main ||
		fail "the emptied reflog no longer exists"
	# Tags are protected (Git shows no reflog entries of annotated tags).
	[ "$(entries p refs/tags/v1-light)" -eq 1 ] ||
		fail "protected tag expired"
	grep -q "^main: expired 9 of 18 entries in 7 reflogs (1 left empty)" out ||
		fail "no summary"
	(cd p && git refs verify)
}
test_case "per-pattern rules, max-entries, protect; emptied reflog exists" \
	test_policy_rules

test_overrides_and_ref() {
	small_repo o
	(cd o && git reftable expire --expire=now --ref='refs/heads/k*') >out
	[ "$(entries o refs/heads/keep)" -eq 0 ] || fail "keep not expired"
	git -C o reflog exists refs/heads/keep || fail "keep's reflog is gone"
	[ "$(entries o refs/heads/topic)" -eq 1 ] || fail "--ref ignored"
	[ "$(entries o HEAD)" -gt 1 ] || fail "--ref ignored for HEAD"
	(cd o && git reftable expire --max-entries=2)
	[ "$(entries o HEAD)" -eq 2 ] || fail "--max-entries=2 ignored"
}
test_case "--ref limits expiry; --max-entries overrides the policy" \
	test_overrides_and_ref

test_dry_run() {
	small_repo d
	before=$(find d/.git -type f -exec sha1sum {} + | sort)
	(cd d && git reftable expire --dry-run --verbose --expire=now) >out
	after=$(find d/.git -type f -exec sha1sum {} + | sort)
	[ "$before" = "$after" ] || fail "--dry-run changed files"
	grep -q "^HEAD: would expire 6 of 6 entries" out ||
		fail "no per-ref count: $(cat out)"
	grep -q "^  would expire HEAD@{[0-9]*} .* c 60" out ||
		fail "--verbose does not list entries"
	grep -q "^main: would expire" out || fail "no summary"
}
test_case "--dry-run reports per ref and changes no file" test_dry_run

test_usage() {
	small_repo u
	cd u
	set +e
	git reftable expire --expire=soon 2>err
	[ $? -eq 2 ] || fail "bad age not a usage error"
	grep -q "expire" err || fail "no hint"
	git reftable expire --bogus 2>/dev/null
	[ $? -eq 2 ] || fail "unknown option not a usage error"
	echo "[reflog]" >../bad.ini
	echo "expire = sometime" >>../bad.ini
	before=$(cat .git/reftable/tables.list)
	git reftable --policy ../bad.ini expire --expire=now 2>err
	[ $? -eq 1 ] || fail "a broken policy did not stop expiry"
	grep -q "bad.ini:2" err || fail "no file:line for the policy error"
	[ "$before" = "$(cat .git/reftable/tables.list)" ] ||
		fail "the stack changed after an error"
	git reftable expire --help | grep -q "^usage: git reftable expire" ||
		fail "--help"
}
test_case "usage errors exit 2; a broken policy exits 1 and changes nothing" \
	test_usage

test_compact_mode() {
	RT_EXTRA=--compact differential compact --expire=100.days.ago \
		--expire-unreachable=40.days.ago
	[ "$(tables rt-compact/.git/reftable)" -eq 1 ] ||
		fail "--compact left more than one table"
	dump=$(cd rt-compact && git reftable dump logs)
	echo "$dump" | grep -q "reset: moving" || fail "nothing left?"
}
test_case "--compact: dropped while compacting into one table; identical" \
	test_compact_mode

# Git writes flat out while we expire in a loop: Git loses nothing and
# never times out (its writers wait up to 1 s for tables.list.lock, see
# t0210 for why not 100 ms), we hold the lock far below Git's default
# 100 ms, and each ref's newest entry (never ours to expire with
# max-entries=1) matches its value.
test_concurrent_writers() {
	git init -q -b main --ref-format=reftable cw
	cd cw
	git config reftable.lockTimeout 1000
	for i in 1 2 3 4 5; do git commit -q --allow-empty -m "c$i"; done
	mapfile -t commits < <(git rev-list HEAD)
	end=$(($(date +%s) + ${RT_CONCURRENT_SECONDS:-8}))
	for k in 1 2; do
		(
			export GIT_TEST_REFTABLE_AUTOCOMPACTION=false
			n=0
			while [ "$(date +%s)" -lt "$end" ]; do
				n=$((n + 1))
				ref=refs/heads/w$k-$((n % 40))
				oid=${commits[$((n % 5))]}
				if git update-ref -m "w$k $n" "$ref" "$oid" 2>err$k; then
					echo "$ref $oid" >>set$k
				else
					echo "FAIL $ref: $(cat err$k)" >>set$k
				fi
			done
		) &
	done
	runs=0
	while [ "$(date +%s)" -lt "$end" ]; do
		git reftable expire --expire=never --max-entries=1 >>expire.log
		runs=$((runs + 1))
		sleep 0.05
	done
	wait
	! grep FAIL set1 set2 || fail "Git writes failed"
	grep -c "added one table" expire.log >/dev/null ||
		fail "no expiry added anything in $runs runs"
	echo "$runs expiry runs; $(grep -c "added one table" expire.log) added"
	grep -o 'held [0-9.]* ms' expire.log | awk '$2 > m { m = $2 }
		END { print "longest hold " m " ms"; exit !(m < 100) }' ||
		fail "a hold of tables.list.lock reached 100 ms"
	# The last value each writer set is the ref's value and its newest
	# reflog entry.
	cat set1 set2 | awk '{ v[$1] = $2 } END { for (r in v) print r, v[r] }' |
		sort >expected
	git for-each-ref --format='%(refname) %(objectname)' 'refs/heads/w*' \
		>actual
	expect_same expected actual
	while read -r ref oid; do
		[ "$(git reflog show -1 --format=%H "$ref" --)" = "$oid" ] ||
			fail "$ref: newest reflog entry is not $oid"
	done <expected
	git refs verify
}
test_case "Git writes during expiry: nothing lost, short lock holds" \
	test_concurrent_writers

echo "1..$test_count"
