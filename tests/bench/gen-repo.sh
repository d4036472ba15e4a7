#!/usr/bin/env bash
# Generate a reftable repository for benchmarks, with Git itself:
#   gen-repo.sh <dir> <refs> <log entries per ref> [noauto]
# Each ref points at its own commit (distinct object ids, as on a forge), and
# is then updated (entries - 1) times, one transaction per round, so the
# stack holds refs x entries reflog entries. With "noauto", Git's
# auto-compaction is off, leaving one table per round for a compaction to
# merge; otherwise Git compacts as a server would.
set -euo pipefail
dir=$1 refs=$2 entries=$3
if [ "${4:-}" = noauto ]; then
	export GIT_TEST_REFTABLE_AUTOCOMPACTION=false
fi
: "${RT_TEST_GIT:?}"
git=$RT_TEST_GIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.com
export GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.com

rm -rf "$dir"
"$git" init -q --ref-format=reftable "$dir"
cd "$dir"
ncommits=$((refs + entries))
# Distinct root commits with the empty tree; marks give their ids.
awk -v n="$ncommits" 'BEGIN {
	for (i = 1; i <= n; i++) {
		printf "commit refs/bench/tmp\nmark :%d\ncommitter Bench <bench@example.com> %d +0000\ndata <<EOT\nc%d\nEOT\n\n", i, 1700000000 + i, i
		printf "reset refs/bench/tmp\n\n"
	}
}' | "$git" fast-import --quiet --export-marks=marks
"$git" update-ref -d refs/bench/tmp 2>/dev/null || true
for ((round = 0; round < entries; round++)); do
	verb=create
	[ "$round" -eq 0 ] || verb=update
	awk -v r="$round" -v verb="$verb" -v refs="$refs" '
	{ sub(/^:/, "", $1); oid[$1] = $2 }
	END {
		for (i = 1; i <= refs; i++)
			printf "%s refs/heads/b%07d %s\n", verb, i, oid[i + r]
	}' marks |
		"$git" update-ref --stdin -m "bench round $round"
done
rm -f marks
"$git" reflog exists refs/heads/b0000001
ls -l .git/reftable
