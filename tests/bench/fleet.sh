#!/usr/bin/env bash
# A fleet of registered bare repositories, maintained by Git and by us in
# one run, on identical copies:
#
#   git for-each-repo --config=maintenance.repo maintenance run --auto --quiet
#   git-reftable fleet run --registered --jobs=$JOBS --quiet --auto
#
#   RT_TEST_GIT=<git> RT_BUILD=<build dir> tests/bench/fleet.sh [<repos>]
#
# <repos> (default 1000) small reftable repositories (one commit, one
# table), first with nothing due, then with every tenth carrying 8 tables
# (compaction due). Each tool first runs once over fresh copies (timed:
# "first run"; no state file yet, so every repository is looked at);
# then, as from cron, again (with every tenth repository given 7 more
# tables in between, in the second scenario). Prints wall time and the
# lines each printed (cron mails every line). Not a test: timings vary
# with the machine.
set -euo pipefail
: "${RT_TEST_GIT:?}" "${RT_BUILD:?}"
n=${1:-1000}
jobs=${JOBS:-2}
git=$RT_TEST_GIT
ours=$RT_BUILD/git-reftable
work=$(mktemp -d "${TMPDIR:-/tmp}/rt-bench-fleet.XXXXXX")
trap 'rm -rf "$work"' EXIT

export HOME=$work/home GIT_CONFIG_NOSYSTEM=1 TZ=UTC LC_ALL=C
export GIT_TEST_REFTABLE_AUTOCOMPACTION=false
export PATH=$(dirname "$git"):$(dirname "$ours"):$PATH
mkdir -p "$HOME"
git config --global user.name bench
git config --global user.email bench@example.com
git config --global init.defaultBranch main

git init -q --ref-format=reftable "$work/src"
git -C "$work/src" commit -q --allow-empty -m one
git clone -q --bare --ref-format=reftable "$work/src" "$work/template.git"
git -C "$work/template.git" pack-refs --all

# fleet <dir>: $n copies of the template.
fleet() {
	local i
	mkdir -p "$1"
	for ((i = 1; i <= n; i++)); do
		cp -r "$work/template.git" "$1/r$i.git"
	done
}

# make_due <dir>: every tenth repository gets 7 more tables.
make_due() {
	local i b
	for ((i = 1; i <= n; i += 10)); do
		for b in 1 2 3 4 5 6 7; do
			git -C "$1/r$i.git" branch "b$b" main
		done
	done
}

# register <dir> <config file> <key>: every repository under <dir>.
register() {
	local i
	for ((i = 1; i <= n; i++)); do
		printf '[%s]\n\trepo = %s\n' "${3%.repo}" "$1/r$i.git"
	done >"$2"
}

# measure <label> <config> <cmd...>: "label: seconds, lines of output"
measure() {
	local label=$1 cfg=$2 start end lines
	shift 2
	start=$(date +%s.%N)
	GIT_CONFIG_GLOBAL=$cfg "$@" >"$work/out" 2>&1 || true
	end=$(date +%s.%N)
	lines=$(wc -l <"$work/out")
	printf '  %-34s %7.2f s  %5d lines\n' "$label" "$(echo "$end - $start" | bc)" "$lines"
}

for due in 0 1; do
	rm -rf "$work/g" "$work/o"
	fleet "$work/g"
	cp -r "$work/g" "$work/o"
	{
		cat "$HOME/.gitconfig"
		register "$work/g" /dev/stdout maintenance.repo
	} >"$work/git.cfg"
	{
		cat "$HOME/.gitconfig"
		register "$work/o" /dev/stdout reftable-maintenance.repo
	} >"$work/ours.cfg"
	echo "$n repositories, first run (fresh copies, nothing looked at yet):"
	measure "git for-each-repo maintenance" "$work/git.cfg" \
		git for-each-repo --config=maintenance.repo maintenance run --auto --quiet
	measure "git reftable fleet run --jobs=$jobs" "$work/ours.cfg" \
		git-reftable fleet run --registered --jobs="$jobs" --quiet --auto
	if [ "$due" = 1 ]; then
		make_due "$work/g"
		make_due "$work/o"
	fi
	echo "$n repositories, again, $([ "$due" = 1 ] && echo "every tenth due" || echo "nothing due"):"
	measure "git for-each-repo maintenance" "$work/git.cfg" \
		git for-each-repo --config=maintenance.repo maintenance run --auto --quiet
	measure "git reftable fleet run --jobs=$jobs" "$work/ours.cfg" \
		git-reftable fleet run --registered --jobs="$jobs" --quiet --auto
done
