#!/usr/bin/env bash
# What our reference-transaction hook costs Git.
#
#   RT_TEST_GIT=<git> RT_BUILD=<build dir> tests/bench/hook.sh [N]
#
# Times N `git update-ref` (Git runs the hook three times for each: the
# preparing, prepared and committed states) in repositories set up alike:
# one with a compiled no-op reference-transaction hook in the hooks
# directory (the floor any hook costs), one with our hooks as `git
# reftable install` puts them by default (auto: with no user hook to
# chain, symlinks to our binary, which Git starts without a shell) and one
# with config hooks (the way auto takes on Git >= 2.54 where a user hook
# sits in the hooks directory or core.hooksPath is set: Git starts a shell
# for each of the three states, which skips the binary unless committed).
# Git's own auto-compaction stays on, as in normal use. Then the start cost of the hook alone:
# 1000 runs of `git-reftable hook reference-transaction prepared` against
# the no-op program, and the shared libraries each loads.
# Timings are printed, never asserted.
set -euo pipefail
: "${RT_TEST_GIT:?}" "${RT_BUILD:?}"
n=${1:-500}
. "$(dirname "$0")/lib.sh" # runs, ours, median
work=$(mktemp -d "${TMPDIR:-/tmp}/rt-hookbench.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/bin" "$work/home"
ln -s "$RT_TEST_GIT" "$work/bin/git"
export PATH=$work/bin:$PATH HOME=$work/home GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=A GIT_AUTHOR_EMAIL=a@example.com
export GIT_COMMITTER_NAME=C GIT_COMMITTER_EMAIL=c@example.com

printf 'int main(void) { return 0; }\n' >"$work/noop-hook.c"
${CC:-cc} -O2 -o "$work/noop-hook" "$work/noop-hook.c"

setup() { # <name>: a repository with one commit and that hook setup
	local dir=$work/$1
	git init -q --ref-format=reftable "$dir"
	git -C "$dir" commit -q --allow-empty -m base
	case $1 in
	noop) cp "$work/noop-hook" "$dir/.git/hooks/reference-transaction" ;;
	auto) (cd "$dir" && "$ours" install >/dev/null) ;;
	config | scripts) (cd "$dir" && "$ours" install --hooks="$1" >/dev/null) ;;
	esac
}

# loop <name>: "<wall> <cpu>" seconds for n update-refs in a fresh copy;
# cpu is user + system time of Git and every hook it waited for.
loop() {
	local dir=$work/run-$1 oid TIMEFORMAT='%R %U %S'
	rm -rf "$dir"
	cp -a "$work/$1" "$dir"
	oid=$(git -C "$dir" rev-parse HEAD)
	{ time (for ((i = 0; i < n; i++)); do
		git -C "$dir" update-ref "refs/heads/b$i" "$oid"
	done 2>/dev/null); } 2>&1 | awk '{print $1, $2 + $3}'
}

setups=(noop auto config)
for s in "${setups[@]}"; do setup "$s"; done
declare -A wall cpu
for ((r = 0; r < runs; r++)); do
	for s in "${setups[@]}"; do
		read -r w c < <(loop "$s")
		wall[$s]+="$w " cpu[$s]+="$c "
	done
done
echo "git update-ref x $n, $(git version), median of $runs interleaved runs"
echo "(cpu: user + system of Git and its hooks; the ratio is of cpu, as"
echo "wall time follows the machine's other load):"
cbase=$(printf '%s\n' ${cpu[noop]} | median)
for s in "${setups[@]}"; do
	w=$(printf '%s\n' ${wall[$s]} | median)
	c=$(printf '%s\n' ${cpu[$s]} | median)
	printf '  %-8s wall %7.3f s  cpu %7.3f s  %6.3f cpu ms/update  ratio to no-op hook %.2f\n' \
		"$s" "$w" "$c" "$(echo "$c * 1000 / $n" | bc -l)" \
		"$(echo "$c / $cbase" | bc -l)"
done

starts() { # <cmd...>: seconds for 1000 runs
	local start end
	start=$(date +%s.%N)
	for ((i = 0; i < 1000; i++)); do "$@" </dev/null; done
	end=$(date +%s.%N)
	echo "$end - $start" | bc
}
cd "$work/noop"
t0=$(starts "$work/noop-hook")
t1=$(starts "$ours" hook reference-transaction prepared)
t2=$(starts "$ours" hook reference-transaction committed)
echo "hook start, 1000 runs (in a reftable repository):"
printf '  no-op program            %6.3f s\n' "$t0"
printf '  hook ... prepared        %6.3f s  (%+.3f ms per run)\n' "$t1" \
	"$(echo "($t1 - $t0)" | bc -l)"
printf '  hook ... committed       %6.3f s  (%+.3f ms per run)\n' "$t2" \
	"$(echo "($t2 - $t0)" | bc -l)"
echo "shared libraries loaded: git-reftable $(ldd "$ours" | wc -l)," \
	"no-op $(ldd "$work/noop-hook" | wc -l) (ldd lines, vdso included)"
