#!/usr/bin/env bash
# Benchmarks against Git, on the same data, in one run.
#
#   RT_TEST_GIT=<git> RT_BUILD=<build dir> tests/bench/run.sh [small|full]
#
# small: 100k refs x 3 reflog entries; full adds 1M refs x 2 entries.
# Repositories are generated once by Git itself (tests/bench/gen-repo.sh)
# into $RT_BENCH_DIR (default <build>/bench) and copied for every run, so
# Git and git-reftable always start from identical stacks. Each pair runs
# RUNS times (default 3), alternating, and the medians are compared.
# tests/bench/compact.sh measures compaction alone, sparse stacks too.
# Nothing here is a test: timings vary with the machine and are printed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mode=${1:-small}

# compare <name> <what> <git cmd> <our cmd>
compare() {
	pair "$1" "$3" "$4"
	printf '%-8s %-34s git %6.2f s %7.1f MB | ours %6.2f s %7.1f MB | time ratio %.3g\n' \
		"$1" "$2" "$PAIR_GIT_S" "$(mb "$PAIR_GIT_KB")" \
		"$PAIR_OURS_S" "$(mb "$PAIR_OURS_KB")" \
		"$(echo "$PAIR_OURS_S / $PAIR_GIT_S" | bc -l)"
}

# ours <name> <what> <cmd...>: our side only, where Git would take too long.
ours_only() {
	local name=$1 what=$2 t m
	shift 2
	rm -rf "$bench/run-ours"
	cp -a "$bench/$name" "$bench/run-ours"
	sync
	read -r t m _ < <(time_cmd "$bench/run-ours" "$@")
	printf '%-8s %-34s ours %6.2f s %7.1f MB (git not run)\n' "$name" \
		"$what" "$t" "$(mb "$m")"
	rm -rf "$bench/run-ours"
}

sets="100k:100000:3"
[ "$mode" = full ] && sets="$sets 1m:1000000:2"
echo "git-reftable benchmarks, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, runs=$runs"
for s in $sets; do
	IFS=: read -r name refs entries <<<"$s"
	dataset "$name" "$refs" "$entries"
	compare "$name" "full compaction (pack-refs)" "$git pack-refs" \
		"$ours compact --all"
	compare "$name" "read every ref" \
		"$git for-each-ref --format=%(refname)" "$ours dump refs"
	# Git writes one table per reflog here: minutes for 100k refs, so it
	# runs once (EXPIRE_RUNS), and not at all for 1M refs.
	if [ "$name" = 100k ]; then
		runs=${EXPIRE_RUNS:-1} compare "$name" "expire every reflog entry" \
			"$git reflog expire --all --expire=now" \
			"$ours expire --expire=now"
	else
		ours_only "$name" "expire every reflog entry" \
			"$ours" expire --expire=now
	fi
	ours_only "$name" "expire --compact (drop, 1 table)" \
		"$ours" expire --compact --expire=now
done
