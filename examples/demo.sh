#!/usr/bin/env bash
# Demo: build a reftable repository with a busy history of ref updates, then
# show what git-reftable reports about it and run its maintenance job.
#
#   make demo     (sets RT_TEST_GIT and RT_BUILD)
#
# RT_TEST_GIT names a Git >= 2.45 (the one tests/provide-git.sh prints) and
# RT_BUILD the build directory holding git-reftable. The repository is
# created in $RT_BUILD/demo, wiped on every run. Nothing outside $RT_BUILD
# is touched: Git runs with a throw-away HOME and no system config.
set -euo pipefail

: "${RT_TEST_GIT:?RT_TEST_GIT must name a git >= 2.45 (make demo sets it)}"
: "${RT_BUILD:?RT_BUILD must name the build directory (make demo sets it)}"

PATH=$(dirname "$RT_TEST_GIT"):$RT_BUILD:$PATH
export PATH

demo_home=$(mktemp -d "${TMPDIR:-/tmp}/rt-demo-home.XXXXXX")
trap 'rm -rf "$demo_home"' EXIT
export HOME=$demo_home
export XDG_CONFIG_HOME=$HOME/.config
export GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME='A U Thor' GIT_AUTHOR_EMAIL='author@example.com'
export GIT_COMMITTER_NAME='C O Mitter' GIT_COMMITTER_EMAIL='committer@example.com'
export TZ=UTC LC_ALL=C
unset GIT_DIR GIT_WORK_TREE GIT_COMMON_DIR GIT_INDEX_FILE GIT_REFERENCE_BACKEND
unset GIT_TEST_REFTABLE_AUTOCOMPACTION

# History starts 120 days before a fixed "now", so that reflogs hold entries
# of many ages (useful once reflog expiry exists). One step is one hour.
now=1700000000
clock=$((now - 120 * 86400))
tick() {
	clock=$((clock + 3600))
	export GIT_AUTHOR_DATE="$clock +0000" GIT_COMMITTER_DATE="$clock +0000"
}

section() {
	printf '\n=== %s ===\n' "$*"
}

table_count() {
	wc -l <"$demo/.git/reftable/tables.list" | tr -d ' '
}

demo=$RT_BUILD/demo
rm -rf "$demo"
mkdir -p "$demo"
cd "$demo"

section "Creating the demo repository in $demo"
git version
git init -q --ref-format=reftable -b main .
git config core.logAllRefUpdates always

# --- History: a chain of commits on main, each a separate ref update, so
# main's reflog has one entry per commit. Git's auto-compaction is on here.
ncommits=40
commits=()
parent=
for i in $(seq 1 "$ncommits"); do
	tick
	blob=$(printf 'line %d\n' $(seq 1 "$i") | git hash-object -w --stdin)
	tree=$(printf '100644 blob %s\tnotes.txt\n' "$blob" | git mktree)
	if [ -z "$parent" ]; then
		commit=$(git commit-tree -m "commit $i" "$tree")
		git update-ref -m "commit (initial): commit $i" refs/heads/main "$commit"
	else
		commit=$(git commit-tree -p "$parent" -m "commit $i" "$tree")
		git update-ref -m "commit: commit $i" refs/heads/main "$commit" "$parent"
	fi
	commits+=("$commit")
	parent=$commit
done
echo "commits: $ncommits on main"

# --- 200 branches, created in four transactions of 50.
nbranches=200
for batch in 0 1 2 3; do
	tick
	for j in $(seq 1 50); do
		n=$((batch * 50 + j))
		printf 'create refs/heads/topic/%03d %s\n' "$n" \
			"${commits[$((n % ncommits))]}"
	done | git update-ref -m "branch: created" --stdin
done
echo "branches: $nbranches under refs/heads/topic/"

# --- 100 tags: every third one annotated (a tag object made with mktag).
ntags=100
tick
for n in $(seq 1 "$ntags"); do
	target=${commits[$((n % ncommits))]}
	if [ $((n % 3)) -eq 0 ]; then
		target=$(printf 'object %s\ntype commit\ntag v1.%d\ntagger %s <%s> %s\n\nRelease 1.%d\n' \
			"$target" "$n" "$GIT_COMMITTER_NAME" "$GIT_COMMITTER_EMAIL" \
			"$GIT_COMMITTER_DATE" "$n" | git mktag)
	fi
	printf 'create refs/tags/v1.%d %s\n' "$n" "$target"
done | git update-ref --stdin
echo "tags: $ntags (every third annotated)"
echo "tables after setup (auto-compaction on): $(table_count)"

# --- Churn with Git's auto-compaction off, so every transaction leaves its
# own table behind, as on a busy server between maintenance runs.
export GIT_TEST_REFTABLE_AUTOCOMPACTION=false
rounds=60
for r in $(seq 1 "$rounds"); do
	tick
	case $((r % 4)) in
	0)
		# Move a handful of topic branches to other commits.
		for j in 1 2 3 4 5; do
			n=$(((r * 7 + j * 13) % nbranches + 1))
			printf 'update refs/heads/topic/%03d %s\n' "$n" \
				"${commits[$(((r + j) % ncommits))]}"
		done | git update-ref -m "rebase: moved" --stdin
		;;
	1)
		# Delete a branch and create a short-lived one.
		n=$(((r * 11) % nbranches + 1))
		git update-ref -m "branch: deleted" -d \
			"$(printf 'refs/heads/topic/%03d' "$n")"
		git update-ref -m "branch: created" "refs/heads/wip/$r" \
			"${commits[$((r % ncommits))]}"
		;;
	2)
		# Reset main back a few commits, then forward again.
		back=${commits[$((ncommits - 1 - r % 5))]}
		git update-ref -m "reset: moving to HEAD~$((r % 5))" \
			refs/heads/main "$back"
		;;
	3)
		git update-ref -m "reset: moving to ${commits[$((ncommits - 1))]}" \
			refs/heads/main "${commits[$((ncommits - 1))]}"
		# Drop a work-in-progress branch again.
		git update-ref -m "branch: deleted" -d "refs/heads/wip/$((r - 2))"
		;;
	esac
done
unset GIT_TEST_REFTABLE_AUTOCOMPACTION
# Check out main without touching any ref, so the work tree is not empty.
git read-tree -u --reset HEAD
echo "churn: $rounds transactions with auto-compaction disabled"

tables_before=$(table_count)
section "Repository ready"
echo "refs: $(git for-each-ref | wc -l | tr -d ' ')"
echo "reflog entries of main: $(git reflog show --format=%H refs/heads/main | wc -l | tr -d ' ')"
echo "tables in tables.list: $tables_before"

# Runs `git reftable "$@"`. Returns its status; 127 when the binary is absent.
reftable() {
	if ! command -v git-reftable >/dev/null 2>&1; then
		return 127
	fi
	git reftable "$@"
}

show_stats() {
	local rc=0
	reftable stats || rc=$?
	case $rc in
	0) ;;
	127) echo "note: $RT_BUILD/git-reftable is not built yet; run 'make' first" ;;
	2) echo "note: 'git reftable stats' is not available yet (usage error)" ;;
	*) echo "warning: 'git reftable stats' failed (exit $rc)" ;;
	esac
}

# Print the first and last lines of stdin, eliding the middle of long input.
abbreviate() {
	awk '{ line[NR] = $0 }
	END {
		for (i = 1; i <= NR; i++) {
			if (NR > 12 && i == 7)
				printf "... (%d more lines) ...\n", NR - 10
			if (NR <= 12 || i <= 6 || i > NR - 4)
				print line[i]
		}
	}'
}

section "git reftable stats (before maintenance)"
show_stats

section "Maintenance"
rc=0
reftable compact --auto || rc=$?
case $rc in
0)
	echo "git reftable compact --auto: done"
	;;
*)
	if [ "$rc" -eq 127 ]; then
		echo "note: git-reftable is not built yet"
	elif [ "$rc" -eq 2 ]; then
		echo "note: 'git reftable compact' is not available yet"
	else
		echo "warning: 'git reftable compact --auto' failed (exit $rc)"
	fi
	echo "Maintenance commands (compact, expire, clean, run) arrive with"
	echo "later work. The stack as it stands:"
	echo
	echo "\$ ls -l .git/reftable"
	# shellcheck disable=SC2012 # a listing for people to read
	ls -l .git/reftable | abbreviate
	echo
	echo "\$ cat .git/reftable/tables.list"
	abbreviate <.git/reftable/tables.list
	;;
esac

section "git reftable stats (after maintenance)"
show_stats

section "Summary"
echo "tables in tables.list before maintenance: $tables_before"
echo "tables in tables.list after maintenance:  $(table_count)"
if git refs verify; then
	echo "git refs verify: clean"
else
	echo "warning: git refs verify reported problems"
fi
echo "demo repository: $demo"
