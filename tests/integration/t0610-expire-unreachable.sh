#!/usr/bin/env bash
# t0610: the unreachable rule of `git reftable expire` against `git reflog
# expire --all`, around the cases where Git's walk has its own rules.
#
# Two unrelated histories written to one branch (the older one becomes
# unreachable), expired with expire-unreachable newer and older than
# expire and on both sides of the commits' dates where Git's walk first
# stops (its mark limit, the expire cut-off); entries naming missing
# objects, a branch whose tip object is gone, and a commit whose parent is
# gone; and replace refs (`git replace --graft`), through which Git's walk
# reaches the old history, unless core.useReplaceRefs=false or
# GIT_NO_REPLACE_OBJECTS says otherwise. Every case compares `git reflog
# show` of every reflog (and HEAD) of two copies, one expired by Git and
# one by us, with objects read through libgit2 and through git cat-file.
#
# Settings are always given in full: Git 2.50 to 2.55 swap their own
# built-in defaults (see t0600), which a setting left out would pick up.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

export GIT_TEST_REFTABLE_AUTOCOMPACTION=false
NOW=$(date +%s)
DAY=86400

# Date the next Git operations $1 days and 77 minutes ago (no entry sits
# on a whole-day cut-off).
at() {
	local t=$((NOW - $1 * DAY - 77 * 60))
	export GIT_COMMITTER_DATE="$t +0000" GIT_AUTHOR_DATE="$t +0000"
}

# A commit dated $2 days ago with message $3 and parents $4...; in $1.
mk() {
	local repo=$1 days=$2 msg=$3 ps=() p
	shift 3
	for p in "$@"; do ps+=(-p "$p"); done
	at "$days"
	git -C "$repo" commit-tree "${ps[@]}" -m "$msg" \
		"$(git -C "$repo" mktree </dev/null)"
}

# Move refs/heads/main of $1 to $3 at $2 days ago.
move() {
	at "$2"
	git -C "$1" update-ref -m "to $4" refs/heads/main "$3"
}

# Two histories on main, each a commit every 3 days from 399 days ago to
# today: the first one unreachable once the second is written. Prints
# the old history's tip and the new history's root.
two_histories() {
	local repo=$1 round k c
	git init -q --ref-format=reftable "$repo"
	for round in 1 2; do
		c=$(mk "$repo" 400 "root $round")
		[ "$round" = 2 ] && echo "$c" >"$repo.new-root"
		for ((k = 133; k >= 0; k--)); do
			c=$(mk "$repo" $((k * 3)) "c$k $round" "$c")
			move "$repo" $((k * 3)) "$c" "c$k $round"
		done
		[ "$round" = 1 ] && echo "$c" >"$repo.old-tip"
	done
	return 0
}

# Every reflog Git lists, and HEAD, with its entries as Git shows them
# (Git cannot show the reflog of a ref whose object is gone: then its
# entries' ids, time and message as stored).
reflog_state() {
	local ref
	{ git -C "$1" reflog list; echo HEAD; } | sort -u | while read -r ref; do
		echo "-- $ref"
		git -C "$1" reflog show --date=raw --format='%gd %H %gs' "$ref" \
			-- 2>&1 ||
			git -C "$1" reftable dump logs "$ref" | cut -f 3,4,7,9
	done
}

# Expire copies of $1 by Git (`git reflog expire --all $2...`) and by us
# (`git reftable expire $2...`), through both object readers, and compare
# what Git shows. The setting must expire something.
compare() {
	local repo=$1 odb
	shift
	reflog_state "$repo" >"$repo.before"
	rm -rf "$repo.git"
	cp -a "$repo" "$repo.git"
	git -C "$repo.git" reflog expire --all "$@"
	reflog_state "$repo.git" >"$repo.git.state"
	if [ -z "${KEEPS_ALL:-}" ] && cmp -s "$repo.before" "$repo.git.state"; then
		fail "'$*' expired nothing: a useless comparison"
	fi
	for odb in libgit2 git; do
		rm -rf "$repo.$odb"
		cp -a "$repo" "$repo.$odb"
		GIT_REFTABLE_ODB=$odb git -C "$repo.$odb" reftable expire "$@" \
			>/dev/null
		reflog_state "$repo.$odb" >"$repo.$odb.state"
		expect_same "$repo.git.state" "$repo.$odb.state" ||
			fail "'$*' (objects through $odb): not what Git keeps"
	done
}

test_two_histories() {
	two_histories r >/dev/null
	[ "$(git -C r reflog show HEAD -- | wc -l)" -eq 268 ] ||
		fail "history not written"
	# Unreachable newer than expire: the old history goes after 30 or 90
	# days; the walk first stops at commits older than 181 days.
	compare r --expire=181.days.ago --expire-unreachable=30.days.ago
	[ "$(git -C r.git reflog show HEAD -- | wc -l)" -eq 71 ] ||
		fail "Git kept $(git -C r.git reflog show HEAD -- | wc -l)"
	compare r --expire=181.days.ago --expire-unreachable=90.days.ago
	[ "$(git -C r.git reflog show HEAD -- | wc -l)" -eq 91 ] ||
		fail "Git kept $(git -C r.git reflog show HEAD -- | wc -l)"
	# Unreachable older than expire: age alone decides.
	compare r --expire=60.days.ago --expire-unreachable=200.days.ago
	# Reachability alone, with and without a limit for the walk.
	compare r --expire=never --expire-unreachable=now
	compare r --expire=300.days.ago --expire-unreachable=now
	compare r --expire=1.days.ago --expire-unreachable=now
	# From Git's config, the branch with its own rule.
	git -C r config gc.reflogExpire 181.days.ago
	git -C r config gc.reflogExpireUnreachable 30.days.ago
	git -C r config gc.refs/heads/main.reflogExpire never
	git -C r config gc.refs/heads/main.reflogExpireUnreachable 60.days.ago
	compare r
}
test_case "two histories on one branch: HEAD and the branch as Git keeps them" \
	test_two_histories

# Replace refs change what Git's walk reads: with the new root grafted
# onto the old tip, the old history is reachable from main again.
test_replace_graft() {
	two_histories g >/dev/null
	at 2
	git -C g replace --graft "$(cat g.new-root)" "$(cat g.old-tip)"
	KEEPS_ALL=1 compare g --expire=never --expire-unreachable=now
	[ "$(git -C g.git reflog show refs/heads/main -- | wc -l)" -eq 268 ] ||
		fail "Git did not follow the graft"
	compare g --expire=181.days.ago --expire-unreachable=30.days.ago
	# A replacement of a replacement; one under another name is ignored.
	at 1
	alt=$(mk g 1 "alt root" "$(cat g.old-tip)")
	git -C g update-ref refs/replace/"$(git -C g rev-parse \
		"refs/replace/$(cat g.new-root)")" "$alt"
	git -C g update-ref refs/replace/not-an-id "$alt"
	KEEPS_ALL=1 compare g --expire=never --expire-unreachable=now
	# Switched off: by config, and for one command by the environment.
	git -C g config core.useReplaceRefs false
	compare g --expire=never --expire-unreachable=now
	[ "$(git -C g.git reflog show refs/heads/main -- | wc -l)" -lt 268 ] ||
		fail "Git followed the graft with core.useReplaceRefs=false"
	git -C g config --unset core.useReplaceRefs
	GIT_NO_REPLACE_OBJECTS=1 compare g --expire=never \
		--expire-unreachable=now
	[ "$(git -C g.git reflog show refs/heads/main -- | wc -l)" -lt 268 ] ||
		fail "Git followed the graft with GIT_NO_REPLACE_OBJECTS"
}
test_case "replace refs: Git's walk follows a graft, unless switched off" \
	test_replace_graft

loose() { # the loose object file of $2 in $1
	echo "$1/.git/objects/${2:0:2}/${2:2}"
}

# Entries whose old or new object is gone stay; a commit whose parent is
# gone ends the walk; a branch whose tip is gone has nothing reachable.
test_missing_objects() {
	local a b c d lost side
	git init -q --ref-format=reftable m
	a=$(mk m 100 a)
	b=$(mk m 90 b "$a")
	c=$(mk m 80 c "$b")
	d=$(mk m 70 d "$c")
	move m 100 "$a" a
	move m 90 "$b" b
	move m 80 "$c" c
	move m 70 "$d" d
	lost=$(mk m 60 lost "$d")
	move m 60 "$lost" lost
	move m 55 "$d" "back to d"
	side=$(mk m 50 side "$a")
	at 50
	git -C m update-ref -m side refs/heads/side "$side"
	at 45
	git -C m update-ref -m "side to c" refs/heads/side "$c"
	at 40
	git -C m update-ref -m gone refs/heads/gone "$b"
	gone=$(mk m 35 gone-tip "$b")
	at 35
	git -C m update-ref -m "gone tip" refs/heads/gone "$gone"
	rm "$(loose m "$lost")" "$(loose m "$b")" "$(loose m "$gone")"
	compare m --expire=never --expire-unreachable=now
	compare m --expire=75.days.ago --expire-unreachable=now
	compare m --expire=never --expire-unreachable=52.days.ago
}
test_case "missing objects: as Git decides for entries, tips and parents" \
	test_missing_objects

echo "1..$test_count"
