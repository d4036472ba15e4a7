# What the benchmark scripts share; sourced, not run. Sets git (Git),
# ours (our binary), bench (the data directory, $RT_BENCH_DIR or
# <build>/bench, created), runs ($RUNS, pairs per comparison, default 3)
# and here (this folder).
: "${RT_TEST_GIT:?}" "${RT_BUILD:?}"
git=$RT_TEST_GIT
ours=$RT_BUILD/git-reftable
bench=${RT_BENCH_DIR:-$RT_BUILD/bench}
runs=${RUNS:-3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$bench"

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

# mb <kilobytes>: the same in megabytes, for printing.
mb() { echo "$1 / 1024" | bc -l; }

# dataset <name> <refs> <entries>: generated once by Git, auto-compaction
# off (one table per round), into $bench/<name>.
dataset() {
	if [ ! -f "$bench/$1/.done" ]; then
		echo "generating $1 ($2 refs x $3 entries) with $("$git" version)" >&2
		bash "$here/gen-repo.sh" "$bench/$1" "$2" "$3" noauto >/dev/null
		touch "$bench/$1/.done"
	fi
}

# time_cmd <dir> <cmd...>: prints "seconds maxrss_kb cpu_seconds", the
# last user + system time (all threads; a run that waits on the disk or
# uses two CPUs shows it against the wall time).
time_cmd() {
	local dir=$1
	shift
	(cd "$dir" && /usr/bin/time -f "%e %M %U %S" -o "$bench/.time" "$@" >/dev/null 2>&1)
	awk '{printf "%s %s %.2f\n", $1, $2, $3 + $4}' "$bench/.time"
}

# table_bytes <repo>: bytes of the tables its stack lists.
table_bytes() {
	local d=$1/.git/reftable
	(cd "$d" && xargs -r stat -c %s <tables.list) | awk '{s += $1} END {print s + 0}'
}

# pair <name> <git cmd> <our cmd>: $runs pairs, each on two fresh copies of
# $bench/<name>, the order alternating between pairs (neither side always
# finds the cache warmed by the other). Sets the medians PAIR_GIT_S,
# PAIR_GIT_KB, PAIR_GIT_CPU, PAIR_OURS_S, PAIR_OURS_KB, PAIR_OURS_CPU
# (user + system seconds), and the table bytes each side
# left, PAIR_GIT_BYTES and PAIR_OURS_BYTES (the last pair's; both sides
# write the same tables every time).
pair() {
	local name=$1 gitcmd=$2 ourcmd=$3 g=() o=() gm=() om=() gc=() oc=()
	local i t m c
	for ((i = 0; i < runs; i++)); do
		rm -rf "$bench/run-git" "$bench/run-ours"
		cp -a "$bench/$name" "$bench/run-git"
		cp -a "$bench/$name" "$bench/run-ours"
		sync
		if ((i % 2)); then
			read -r t m c < <(time_cmd "$bench/run-ours" $ourcmd)
			o+=("$t") om+=("$m") oc+=("$c")
			read -r t m c < <(time_cmd "$bench/run-git" $gitcmd)
			g+=("$t") gm+=("$m") gc+=("$c")
		else
			read -r t m c < <(time_cmd "$bench/run-git" $gitcmd)
			g+=("$t") gm+=("$m") gc+=("$c")
			read -r t m c < <(time_cmd "$bench/run-ours" $ourcmd)
			o+=("$t") om+=("$m") oc+=("$c")
		fi
	done
	PAIR_GIT_S=$(printf '%s\n' "${g[@]}" | median)
	PAIR_OURS_S=$(printf '%s\n' "${o[@]}" | median)
	PAIR_GIT_KB=$(printf '%s\n' "${gm[@]}" | median)
	PAIR_OURS_KB=$(printf '%s\n' "${om[@]}" | median)
	PAIR_GIT_CPU=$(printf '%s\n' "${gc[@]}" | median)
	PAIR_OURS_CPU=$(printf '%s\n' "${oc[@]}" | median)
	PAIR_GIT_BYTES=$(table_bytes "$bench/run-git")
	PAIR_OURS_BYTES=$(table_bytes "$bench/run-ours")
	rm -rf "$bench/run-git" "$bench/run-ours"
}
