#!/usr/bin/env bash
# t0100: `git reftable dump` reads exactly what Git itself wrote.
#
# Git builds reftable repositories (SHA-1 and SHA-256) holding every kind of
# record Git produces: branches, lightweight, annotated and nested tags,
# symrefs (HEAD, refs/remotes/origin/HEAD, a chain, a dangling one), root
# refs (ORIG_HEAD), deleted refs, notes, two stashes, reflog messages with
# backslashes and non-ASCII (and tabs, which Git folds to spaces), an
# empty message, a non-ASCII committer, a rewritten reflog, an expired reflog
# (placeholder entry), 2000 extra refs so tables span many blocks, and 64
# branches with reflogs so log sections span many blocks. The stacks come in
# several shapes: auto-compacted (a few tables), small blocks
# (reftable.blockSize=1024), no auto-compaction (dozens of tables), and
# fully compacted by `git refs optimize` / `git pack-refs`.
#
# Then our dump must agree with Git's own view:
#   refs    git for-each-ref --include-root-refs, one-level symref targets
#           from git symbolic-ref --no-recurse
#   peeled  git show-ref -d (the "^{}" lines)
#   logs    git reflog list, git reflog show --date=raw, git rev-parse <ref>@{n}
. "$(dirname "$0")/../lib.sh"

ZERO_SHA1=0000000000000000000000000000000000000000
ZERO_SHA256=0000000000000000000000000000000000000000000000000000000000000000

# Each Git operation gets its own time and one of several time zones, so
# that reflog times and zones differ from entry to entry.
clock=0
tick() {
	local zones=(+0000 +0100 -0800 +0530 -0330 +1345 -1200 +0200)
	clock=$((clock + 1))
	local t="$((1700000000 + clock * 3607)) ${zones[$((clock % 8))]}"
	export GIT_COMMITTER_DATE="$t" GIT_AUTHOR_DATE="$t"
}

commit_file() {
	tick
	echo "$1" >>file.txt
	git add file.txt
	git commit -q -m "$1"
}

# Build the repository $TEST_TMP/$label with object format $format; $mode
# is one of: auto, small, many, optimize, small-pack.
build_repo() {
	local up=$TEST_TMP/$label.upstream repo=$TEST_TMP/$label

	# Upstream in the files backend; cloning it gives origin/* and the
	# symref refs/remotes/origin/HEAD.
	git init -q --object-format="$format" "$up"
	cd "$up"
	commit_file "upstream one"
	commit_file "upstream two"
	git branch feature HEAD~1
	cd "$TEST_TMP"

	tick
	git clone -q --ref-format=reftable "file://$up" "$repo"
	cd "$repo"
	[ "$(git rev-parse --show-object-format)" = "$format" ] ||
		fail "clone has object format $(git rev-parse --show-object-format), wanted $format"
	[ "$(git rev-parse --show-ref-format)" = reftable ] || fail "clone does not use reftable"
	git config advice.nestedTag false
	case $mode in
	small | small-pack) git config reftable.blockSize 1024 ;;
	many) export GIT_TEST_REFTABLE_AUTOCOMPACTION=false ;;
	esac

	commit_file "déjà vu: non-ASCII subject"
	commit_file "third"

	# Tags: lightweight, annotated, nested (peels to the commit), on a tree.
	tick
	git tag light
	git tag light2 HEAD~1
	git tag -a -m annotated ann HEAD~1
	tick
	git tag -a -m "nested tag" nested ann
	git tag -a -m "tag of a tree" treetag 'HEAD^{tree}'
	# A tag with a reflog whose entries name tag objects (not commits).
	tick
	git -c core.logAllRefUpdates=always tag -a -m "logged v1" logged HEAD~1
	tick
	git -c core.logAllRefUpdates=always tag -f -a -m "logged v2" logged HEAD >/dev/null

	# 2000 refs without reflogs in one transaction, pointing at commits and
	# at annotated tags (those get peeled values). The names scatter, so
	# little prefix compression: with 1024-byte blocks the ref index needs
	# more than one level.
	local c1 c2 c3 t1 t2
	c1=$(git rev-parse HEAD~2) c2=$(git rev-parse HEAD~1) c3=$(git rev-parse HEAD)
	t1=$(git rev-parse refs/tags/ann) t2=$(git rev-parse refs/tags/nested)
	awk 'BEGIN { for (i = 0; i < 2000; i++)
		printf "refs/bulk/%04x%04x%04x/some-longer-ref-name-%05d\n",
			(i * 7919 + 13) % 65536, (i * 104729 + 7) % 65536, (i * 1299709 + 3) % 65536, i }' >"$TEST_TMP/$label.bulk"
	tick
	awk -v c1="$c1" -v c2="$c2" -v c3="$c3" -v t1="$t1" -v t2="$t2" '
		BEGIN { split(c1 " " c2 " " c3 " " t1 " " t2, o, " ") }
		{ printf "create %s %s\n", $0, o[(NR - 1) % 5 + 1] }' "$TEST_TMP/$label.bulk" |
		git update-ref --stdin

	# 64 branches with reflogs in one transaction (log sections span blocks).
	tick
	awk -v c2="$c2" 'BEGIN { for (i = 0; i < 64; i++) printf "create refs/heads/topic/t%03d %s\n", i, c2 }' |
		git update-ref -m $'bulk\tcreate: é ü ß, a longer reflog message so that log blocks fill up quickly' --stdin

	# Branches; reflog messages with a tab (Git stores a space), non-ASCII,
	# a backslash, none at all; a non-ASCII committer.
	tick
	git branch b1
	git branch b2 HEAD~1
	git branch café
	tick
	git update-ref -m $'msg\twith tab é ü' refs/heads/b1 HEAD~1
	tick
	git update-ref -m 'back\slash and \n (not a newline)' refs/heads/b2 HEAD
	tick
	GIT_COMMITTER_NAME='Zoë Ünïcode' GIT_COMMITTER_EMAIL='zoe@example.org' \
		git update-ref -m 'non-ASCII committer' refs/heads/b1 HEAD
	tick
	git update-ref refs/heads/b2 HEAD~1 # no -m: empty message

	# Symrefs: one level, a chain, and a dangling one.
	tick
	git symbolic-ref -m "alias to b1" refs/heads/alias refs/heads/b1
	git symbolic-ref refs/heads/alias2 refs/heads/alias
	git symbolic-ref refs/heads/dangling refs/heads/no-such-branch

	# Deletions: a branch (with its reflog), bulk refs, a tag; and a
	# branch deleted then re-created (only the new reflog remains).
	tick
	git branch doomed HEAD~1
	tick
	git branch -q -D doomed
	git update-ref -d "$(sed -n 8p "$TEST_TMP/$label.bulk")"
	awk 'NR % 50 == 11 { print "delete " $0 }' "$TEST_TMP/$label.bulk" | git update-ref --stdin
	git tag -d light2 >/dev/null
	tick
	git branch phoenix HEAD~2
	tick
	git branch -q -D phoenix
	tick
	git branch phoenix HEAD~1

	# Notes.
	tick
	git notes add -m "first note" HEAD
	tick
	git notes add -m "second note" HEAD~1

	# Two stashes.
	tick
	echo change1 >>file.txt
	git stash -q
	tick
	echo change2 >>file.txt
	git stash push -q -m $'custom\tstash é'

	# HEAD moves: checkout and back; reset (writes ORIG_HEAD, a root ref).
	tick
	git checkout -q b2
	tick
	git checkout -q main
	tick
	git reset -q --hard HEAD~1
	tick
	git reset -q --hard ORIG_HEAD

	# A rewritten reflog: delete the middle entry; --rewrite fixes the old
	# id of the newer one (Git rewrites the kept entries in a new table).
	tick
	git branch rewritten HEAD~2
	tick
	git update-ref -m "rewritten 1" refs/heads/rewritten HEAD~1
	tick
	git update-ref -m "rewritten 2" refs/heads/rewritten HEAD
	tick
	git reflog delete --rewrite 'refs/heads/rewritten@{1}'

	# An expired reflog: Git keeps a placeholder (null ids) entry.
	tick
	git branch expired HEAD~1
	tick
	git reflog expire --expire=all refs/heads/expired
	git reflog exists refs/heads/expired || fail "expired reflog should still exist"

	# A second round on some topic branches.
	tick
	awk -v c3="$c3" 'BEGIN { for (i = 0; i < 64; i += 4) printf "update refs/heads/topic/t%03d %s\n", i, c3 }' |
		git update-ref -m "second round" --stdin

	case $mode in
	optimize) git refs optimize ;;
	small-pack) git pack-refs --all ;;
	esac
	git refs verify >verify.out 2>&1 || { cat verify.out; fail "git refs verify failed on the repository Git built"; }
	rm -f verify.out
}

# Header field block_size (uint24 at offset 5) of a table file.
table_block_size() {
	od -An -tu1 -j5 -N3 "$1" | awk '{ print $1 * 65536 + $2 * 256 + $3 }'
}

# cd into the repository of this variant; scratch files go to $W, outside it.
enter_repo() {
	W=$TEST_TMP/scratch.$label.$1
	mkdir -p "$W"
	cd "$TEST_TMP/$label"
}

# The repository has the shape this variant is meant to have.
check_shape() {
	local dir=$TEST_TMP/$label/.git/reftable ntables name big=0 size bs small=0
	ntables=$(wc -l <"$dir/tables.list")
	while read -r name; do
		size=$(wc -c <"$dir/$name")
		[ "$size" -gt "$big" ] && big=$size
		bs=$(table_block_size "$dir/$name")
		[ "$bs" -eq 1024 ] && small=$((small + 1))
		echo "$name $size bytes, block size $bs"
	done <"$dir/tables.list"
	echo "$ntables tables, largest $big bytes"
	case $mode in
	auto) [ "$ntables" -ge 2 ] || fail "expected a stack of several tables after auto-compaction, got $ntables" ;;
	many) [ "$ntables" -ge 20 ] || fail "expected many tables without auto-compaction, got $ntables" ;;
	optimize | small-pack) [ "$ntables" -eq 1 ] || fail "expected one table after compaction, got $ntables" ;;
	esac
	case $mode in
	small | small-pack)
		[ "$small" -ge 1 ] || fail "no table was written with reftable.blockSize=1024"
		[ "$big" -gt $((20 * 1024)) ] || fail "largest table ($big bytes) does not span many 1024-byte blocks"
		;;
	*) [ "$big" -gt $((8 * 4096)) ] || fail "largest table ($big bytes) does not span many 4096-byte blocks" ;;
	esac
}

# dump refs == Git's view of all refs.
#
# for-each-ref --include-root-refs lists HEAD, root refs such as ORIG_HEAD
# and everything under refs/, sorted bytewise by refname. Two gaps have to be
# filled in by hand:
#  - %(symref) is the *fully resolved* target (alias2 -> alias -> b1 shows
#    refs/heads/b1), while reftable stores one level; so symrefs are marked
#    and their stored target is read with `git symbolic-ref --no-recurse`.
#  - dangling symrefs are silently left out; the one we made is added after
#    checking its target with `git symbolic-ref --no-recurse`.
# Refnames contain no spaces, so sorting Git's lines on field 2 with
# LC_ALL=C gives the bytewise refname order that dump refs promises; our
# output is compared exactly as printed, so its order is checked too.
check_refs() {
	enter_repo check_refs
	local v name t
	# Also exercises -C: run from outside the repository.
	(cd "$TEST_TMP" && git reftable -C "$label" dump refs) >"$W/actual" ||
		fail "git reftable -C $label dump refs exited with $?"
	git for-each-ref --include-root-refs \
		--format='%(if)%(symref)%(then)SYMREF%(else)%(objectname)%(end) %(refname)' >"$W/fer"
	while read -r v name; do
		if [ "$v" = SYMREF ]; then
			t=$(git symbolic-ref --no-recurse "$name") || fail "git symbolic-ref --no-recurse $name failed"
			echo "ref:$t $name"
		else
			echo "$v $name"
		fi
	done <"$W/fer" >"$W/expect.unsorted"
	t=$(git symbolic-ref --no-recurse refs/heads/dangling) || fail "Git lost the dangling symref"
	[ "$t" = refs/heads/no-such-branch ] || fail "dangling symref points at '$t'"
	echo "ref:$t refs/heads/dangling" >>"$W/expect.unsorted"
	LC_ALL=C sort -k2,2 "$W/expect.unsorted" >"$W/expect"
	grep -q '^ref:refs/heads/main HEAD$' "$W/expect" || fail "test setup: HEAD is not a symref to main"
	grep -q '^ref:refs/remotes/origin/main refs/remotes/origin/HEAD$' "$W/expect" ||
		fail "test setup: refs/remotes/origin/HEAD is not a symref"
	grep -q '^ref:refs/heads/alias refs/heads/alias2$' "$W/expect" || fail "test setup: symref chain missing"
	grep -q ' ORIG_HEAD$' "$W/expect" || fail "test setup: ORIG_HEAD missing"
	[ "$(wc -l <"$W/expect")" -gt 2000 ] || fail "test setup: fewer refs than expected"
	expect_same "$W/expect" "$W/actual"
}

# dump refs --peeled: stored peeled values == `git show-ref -d` "^{}" lines.
# show-ref -d prints "<peeled> <ref>^{}" after every ref that points at a tag
# object (fully peeled: a nested tag peels to the commit). Git stores the
# peeled value for every such ref, so the two lists must be equal. Lines
# without a peeled value must be exactly the plain dump.
check_peeled() {
	enter_repo check_peeled
	git reftable -C "$TEST_TMP/$label" dump refs >"$W/plain" || fail "git reftable dump refs exited with $?"
	git reftable -C "$TEST_TMP/$label" dump refs --peeled >"$W/peeled" ||
		fail "git reftable dump refs --peeled exited with $?"
	sed 's/ \^[0-9a-f]*$//' "$W/peeled" >"$W/unpeeled"
	expect_same "$W/plain" "$W/unpeeled"
	awk 'NF == 3 { p = $3; sub(/^\^/, "", p); print p " " $2 "^{}" }' "$W/peeled" >"$W/actual"
	git show-ref -d | grep '\^{}$' >"$W/expect" || fail "git show-ref -d shows no peeled refs"
	grep -qx "$(git rev-parse 'refs/tags/nested^{commit}') refs/tags/nested^{}" "$W/expect" ||
		fail "test setup: nested tag does not peel to the commit"
	grep -qx "$(git rev-parse 'refs/tags/treetag^{tree}') refs/tags/treetag^{}" "$W/expect" ||
		fail "test setup: tree tag does not peel to the tree"
	expect_same "$W/expect" "$W/actual"
}

# dump logs: the set of refs with reflogs is `git reflog list` (which also
# lists a ref whose only entry is an expiry placeholder), our output is
# grouped by ref in bytewise order, and `dump logs <ref>` gives exactly that
# ref's part of the full dump.
check_log_refs() {
	enter_repo check_log_refs
	local ref
	git reftable dump logs >"$W/all" || fail "git reftable dump logs exited with $?"
	cut -f1 "$W/all" | uniq >"$W/actual"
	git reflog list | LC_ALL=C sort >"$W/expect"
	grep -qx refs/heads/expired "$W/expect" || fail "test setup: placeholder reflog not listed by Git"
	grep -qx refs/stash "$W/expect" || fail "test setup: no stash reflog"
	grep -qx refs/heads/doomed "$W/expect" && fail "test setup: deleted branch still has a reflog"
	expect_same "$W/expect" "$W/actual"
	while read -r ref; do
		git reftable dump logs "$ref" || fail "git reftable dump logs $ref exited with $?"
	done <"$W/expect" >"$W/concat"
	expect_same "$W/all" "$W/concat"
	# The expired reflog is Git's placeholder: one update record with null
	# ids, empty name and email, time 0, zone +0000 and an empty message
	# (no newline at all).
	local zero
	if [ "$format" = sha256 ]; then zero=$ZERO_SHA256; else zero=$ZERO_SHA1; fi
	awk -F'\t' '$1 == "refs/heads/expired"' "$W/all" >"$W/placeholder"
	awk -F'\t' -v z="$zero" 'NF != 9 || $3 != z || $4 != z || $5 != "" || $6 != "" || $7 != "0" || $8 != "+0000" || $9 != "" { exit 1 }
		END { if (NR != 1) exit 1 }' "$W/placeholder" || {
		cat "$W/placeholder"
		fail "refs/heads/expired should have exactly one placeholder entry: null ids, empty identity, time 0, +0000, no message"
	}
	# Within a ref, newest first: update indexes strictly decreasing.
	awk -F'\t' '$1 == r && $2 + 0 >= u + 0 { print "not newest first: " $0; bad = 1 }
		{ r = $1; u = $2 } END { exit bad }' "$W/all" || fail "entries of a ref are not in descending update index order"
}

# Per ref, the entries `git reflog show` prints, compared as full lists:
# new id, name, email, time, tz, message.
#
# Git's reflog walk (reflog show, log -g) silently skips entries whose new id
# is not a commit (the tag reflog's entries name tag objects) and never shows
# expiry placeholders (null old and new id), so ours are filtered the same
# way; those entries are checked by check_log_oids instead. %gD with
# --date=raw is "<ref>@{<time> <tz>}"; %gs is the message minus its trailing
# newline, to which we apply dump's escaping (backslash -> \\; Git never
# writes messages containing a newline, it folds whitespace to spaces).
check_log_entries() {
	enter_repo check_log_entries
	local ref
	git reftable dump logs >"$W/all" || fail "git reftable dump logs exited with $?"
	cut -f4 "$W/all" | git cat-file --batch-check='%(objecttype)' >"$W/types"
	paste "$W/types" "$W/all" | awk -F'\t' -v OFS='\t' '$1 == "commit" {
		line = $2; for (i = 5; i <= NF; i++) line = line OFS $i; print line }' >"$W/actual"
	git reflog list | LC_ALL=C sort >"$W/refs"
	while read -r ref; do
		git reflog show --date=raw --format='%H%x09%gn%x09%ge%x09%gD%x09%gs' "$ref" -- >"$W/git.out" ||
			fail "git reflog show $ref failed"
		awk -F'\t' -v OFS='\t' -v ref="$ref" '{
			d = $4; sub(/^.*@[{]/, "", d); sub(/[}]$/, "", d); split(d, tt, " ")
			msg = $5; for (i = 6; i <= NF; i++) msg = msg OFS $i
			print ref, $1, $2, $3, tt[1], tt[2], msg }' "$W/git.out"
	done <"$W/refs" | sed 's/\\/\\\\/g' >"$W/expect"
	grep -q $'^refs/heads/b1\t.*\tmsg with tab é ü$' "$W/expect" ||
		fail "test setup: Git should store the tab of the b1 message as a space"
	grep -q $'\tZoë Ünïcode\tzoe@example.org\t' "$W/expect" || fail "test setup: non-ASCII committer missing"
	grep -q '\\\\slash' "$W/expect" || fail "test setup: backslash message missing"
	[ "$(grep -c $'^refs/stash\t' "$W/expect")" -eq 2 ] || fail "test setup: expected two stash entries"
	expect_same "$W/expect" "$W/actual"
}

# Per ref: number of entries, every new id (commits or not) and every old id
# agree with Git's `<ref>@{n}`.
#
# `git rev-parse <ref>@{n}` (n >= 1) is the new id of the n-th newest entry,
# and Git warns "log for ref ... has gap" unless the old id of entry n-1
# equals the new id of entry n; so without such a warning, old(n-1) must be
# Git's <ref>@{n}. <ref>@{1980-01-01} (older than every entry) is the old id
# of the oldest entry, or its new id when that old id is null. <ref>@{0} is
# not used: Git answers it with the ref's current value. <ref>@{count} must
# not exist. Expiry placeholders are invisible to all of this.
check_log_oids() {
	enter_repo check_log_oids
	local ref n i zero
	if [ "$format" = sha256 ]; then zero=$ZERO_SHA256; else zero=$ZERO_SHA1; fi
	git reftable dump logs >"$W/all" || fail "git reftable dump logs exited with $?"
	git reflog list | LC_ALL=C sort >"$W/refs"
	: >"$W/expect"
	: >"$W/actual"
	while read -r ref; do
		awk -F'\t' -v r="$ref" -v z="$zero" '$1 == r && !($3 == z && $4 == z)' "$W/all" >"$W/ours"
		n=$(wc -l <"$W/ours")
		if [ "$n" -eq 0 ]; then
			git rev-parse -q --verify "$ref@{1}" >/dev/null &&
				fail "Git has reflog entries for $ref, we have none"
			continue
		fi
		git rev-parse -q --verify "$ref@{$n}" >/dev/null &&
			fail "Git has more than our $n reflog entries for $ref"
		local args=()
		for ((i = 1; i < n; i++)); do args+=("$ref@{$i}"); done
		args+=("$ref@{1980-01-01}")
		git rev-parse "${args[@]}" >"$W/git.out" 2>"$W/git.err" || { cat "$W/git.err"; fail "git rev-parse of $ref entries failed"; }
		if grep -E 'has gap|unexpectedly ended' "$W/git.err"; then
			fail "Git reports a gap in the reflog of $ref; old ids cannot be derived"
		fi
		awk -v r="$ref" -v n="$n" '{ if (NR < n + 0) print r "@{" NR "} new " $0 " = old of @{" NR - 1 "}"
			else print r " oldest entry old-or-new " $0 }' "$W/git.out" >>"$W/expect"
		awk -F'\t' -v r="$ref" -v z="$zero" '{ nw[NR - 1] = $4; od[NR - 1] = $3 }
			END {
				for (i = 1; i < NR; i++) {
					if (od[i - 1] == nw[i]) print r "@{" i "} new " nw[i] " = old of @{" i - 1 "}"
					else print r "@{" i "} new " nw[i] ", but old of @{" i - 1 "} is " od[i - 1]
				}
				print r " oldest entry old-or-new " (od[NR - 1] == z ? nw[NR - 1] : od[NR - 1])
			}' "$W/ours" >>"$W/actual"
	done <"$W/refs"
	expect_same "$W/expect" "$W/actual"
}

for variant in sha1:auto sha256:auto sha1:small sha256:many sha1:optimize sha256:small-pack; do
	format=${variant%%:*} mode=${variant#*:} label=$format-$mode
	test_case "$label: Git builds the repository (branches, tags, symrefs, deletions, notes, stash, reflogs)" build_repo
	test_case "$label: the stack has the intended shape ($mode)" check_shape
	test_case "$label: dump refs equals git for-each-ref --include-root-refs (+ symbolic-ref --no-recurse)" check_refs
	test_case "$label: dump refs --peeled matches the ^{} lines of git show-ref -d" check_peeled
	test_case "$label: dump logs covers exactly git reflog list; dump logs <ref> is that ref's part" check_log_refs
	test_case "$label: reflog entries (new id, identity, time, tz, message) equal git reflog show" check_log_entries
	test_case "$label: reflog counts, new and old ids agree with git rev-parse <ref>@{n}" check_log_oids
done
