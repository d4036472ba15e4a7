# Shared setup for integration tests; source it first.
#
# Gives each test a private temp directory, a Git >= 2.45 (from RT_TEST_GIT,
# never whatever git happens to be first on PATH), our freshly built
# git-reftable on PATH, and isolated Git configuration. Tests call
# `test_case <description> <function>`; each prints one TAP line.
set -u

: "${RT_TEST_GIT:?RT_TEST_GIT must name a git >= 2.45 (make check sets it)}"
: "${RT_BUILD:?RT_BUILD must name the build directory (make check sets it)}"

TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/rt-test.XXXXXX")
trap 'rm -rf "$TEST_TMP"' EXIT

# A directory holding only the chosen git and our binary, first on PATH.
mkdir -p "$TEST_TMP/bin"
ln -s "$RT_TEST_GIT" "$TEST_TMP/bin/git"
ln -s "$RT_BUILD/git-reftable" "$TEST_TMP/bin/git-reftable"
PATH=$TEST_TMP/bin:$PATH
export PATH

git_version=$(git version | sed -n 's/^git version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
set -- $git_version
if [ -z "$git_version" ] || [ "$1" -lt 2 ] || { [ "$1" -eq 2 ] && [ "$2" -lt 45 ]; }; then
	echo "not ok - test setup: $(git version) is older than 2.45"
	exit 1
fi
set --

export HOME=$TEST_TMP/home
export XDG_CONFIG_HOME=$HOME/.config
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME='A U Thor' GIT_AUTHOR_EMAIL='author@example.com'
export GIT_COMMITTER_NAME='C O Mitter' GIT_COMMITTER_EMAIL='committer@example.com'
export GIT_AUTHOR_DATE='1700000000 +0000' GIT_COMMITTER_DATE='1700000000 +0000'
export TZ=UTC LC_ALL=C
unset GIT_DIR GIT_WORK_TREE GIT_COMMON_DIR GIT_REFERENCE_BACKEND
git config --global init.defaultBranch main
git config --global protocol.file.allow always

test_count=0

# Run a test body in a subshell with errexit; print one TAP line.
test_case() {
	local desc=$1 fn=$2 log
	test_count=$((test_count + 1))
	log=$TEST_TMP/case.$test_count.log
	# Not inside `if`: bash ignores errexit in a subshell used as a condition.
	(
		set -e
		cd "$TEST_TMP"
		"$fn"
	) >"$log" 2>&1
	if [ $? -eq 0 ]; then
		echo "ok $test_count - $desc"
		# RT_TEST_SHOW=1: what a passing case printed too (measurements).
		[ -z "${RT_TEST_SHOW:-}" ] || sed 's/^/#   /' "$log"
	else
		echo "not ok $test_count - $desc"
		sed 's/^/#   /' "$log"
	fi
}

# Fail with a message; for use inside test bodies.
fail() {
	echo "FAIL: $*" >&2
	return 1
}

# Compare two files; show a diff on mismatch.
expect_same() {
	if ! cmp -s "$1" "$2"; then
		echo "FAIL: $1 and $2 differ:" >&2
		diff -u "$1" "$2" | head -n 40 >&2
		return 1
	fi
}

# Wait for the detached work the hooks last started (its pid is in the
# hook lock file) to finish; a zombie counts as finished. A symlinked lock
# file was refused, so nothing was started (and it is not read).
wait_hooks() { # <git dir>
	local pid i
	[ ! -L "$1/reftable-hook.flock" ] || return 0
	pid=$(cat "$1/reftable-hook.flock" 2>/dev/null) || return 0
	for ((i = 0; i < 600; i++)); do
		[ -n "$pid" ] && [ -e "/proc/$pid" ] || return 0
		awk '{ exit $3 == "Z" ? 0 : 1 }' "/proc/$pid/stat" 2>/dev/null &&
			return 0
		sleep 0.05
	done
	fail "hook process $pid still running after 30 s"
}

# --- shared by the maintenance tests (compact, run) ---

# `git refs verify` prints nothing and exits 0.
refs_verify_clean() {
	git refs verify >"$TEST_TMP/verify.out" 2>&1 || {
		cat "$TEST_TMP/verify.out" >&2
		fail "git refs verify exited non-zero in $PWD"
	}
	[ ! -s "$TEST_TMP/verify.out" ] || {
		cat "$TEST_TMP/verify.out" >&2
		fail "git refs verify printed something in $PWD"
	}
}

# Table byte sizes of stack $1 ("main" or a worktree id), oldest first, from
# `stats --json`.
json_table_sizes() {
	git reftable stats --json >"$TEST_TMP/stats.json" || fail "git reftable stats --json failed"
	jq -e --arg stack "$1" '[.stacks[] | select(.name == $stack)] | length == 1' \
		"$TEST_TMP/stats.json" >/dev/null || fail "stats --json: no stack $1"
	jq -r --arg stack "$1" '.stacks[] | select(.name == $stack) | .tables[].bytes' \
		"$TEST_TMP/stats.json"
}

# jq -e filter $2 over the task $3 of stack "main" in the `run --json`
# document $1 (the task object is `.`); fails, showing the document, when the
# filter is not true.
json_task_is() {
	jq -e --arg t "$3" "[.stacks[] | select(.name == \"main\") | .tasks[] |
		select(.task == \$t)] | length == 1 and (.[0] | $2)" "$1" >/dev/null || {
		echo "JSON task $3 is not ($2):" >&2
		cat "$1" >&2
		return 1
	}
}

# What Git's auto-compaction takes off a SHA-1 (version 1) table's file
# size to weigh it: the 68-byte footer and the 24-byte header less one.
git_weight_overhead=$((68 + 24 - 1))

# Git's geometric property over file sizes on stdin (oldest first): every
# table (size minus $1 bytes of overhead, $git_weight_overhead as Git
# weighs tables) is at least twice the next newer.
geometric_holds() {
	awk -v o="$1" '{ s[NR] = $1 - o }
		END { if (NR == 0) { print "no table sizes"; exit 1 }
		      for (i = 2; i <= NR; i++) if (s[i - 1] < 2 * s[i]) { print "table " i - 1 " (" s[i - 1] ") < 2 x table " i " (" s[i] ")"; bad = 1 }
		      exit bad }'
}

# Wait until no detached maintenance of ours runs in the repository: the
# hook lock's process has ended (wait_hooks), and the run lock (an
# flock), if there is one, is free. Not created when missing: flock(1)
# would create it.
settle() { # <git dir>
	local i
	wait_hooks "$1" || return 1
	for ((i = 0; i < 600; i++)); do
		[ -e "$1/reftable-run.lock" ] || return 0
		flock -n "$1/reftable-run.lock" true 2>/dev/null && return 0
		sleep 0.05
	done
	fail "our maintenance still running after 30 s"
}
