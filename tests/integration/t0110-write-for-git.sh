#!/usr/bin/env bash
# t0110: Git reads exactly what we write.
#
# In SHA-1 and SHA-256 repositories created by Git, rt-write-table (our
# library's writer) writes a table with update index max+1 holding new
# branches, an update of an existing branch, a ref deletion (with its reflog),
# symrefs (HEAD and a branch alias), an annotated tag with its peeled value
# and reflog entries (tabs, backslashes, non-ASCII, odd time zones). We
# install it the way Git does (tables.list.lock, rename), then Git must see
# exactly that: for-each-ref, show-ref -d, reflog show, rev-parse,
# symbolic-ref, and a clean `git refs verify`. Git then appends and compacts
# (rewriting our records) and everything must still read back.
#
# Then tables with 256-byte blocks and 500 refs (many blocks, a ref index;
# with and without obj blocks) are written and read back the same way,
# including `for-each-ref --points-at`.

# c1, c2, c3, v1obj, v2obj, tobj, gone_idx come from the sourced $label.vars.
# shellcheck disable=SC2154
. "$(dirname "$0")/../lib.sh"

RT_WRITE=$RT_BUILD/tests/rt-write-table

ZERO_SHA1=0000000000000000000000000000000000000000
ZERO_SHA256=0000000000000000000000000000000000000000000000000000000000000000

# Git's view of all refs: "<oid> <refname>" or "ref:<target> <refname>".
# (%(symref) is the fully resolved target; all our symrefs are one level.)
FER_FORMAT='%(if)%(symref)%(then)ref:%(symref)%(else)%(objectname)%(end) %(refname)'
# One line per reflog entry Git shows: new id, name, email,
# <ref>@{<time> <tz>}, message without its trailing newline.
REFLOG_FORMAT='%H%x09%gn%x09%ge%x09%gD%x09%gs'

clock=0
tick() {
	clock=$((clock + 1))
	export GIT_COMMITTER_DATE="$((1700000000 + clock * 60)) +0100" GIT_AUTHOR_DATE="$((1700000000 + clock * 60)) +0100"
}

# Max update index of the stack: the second field of the newest table name
# 0x<min:12 hex>-0x<max:12 hex>-<random:8 hex>.ref, last in tables.list.
max_update_index() {
	local last hex
	last=$(tail -n 1 .git/reftable/tables.list)
	hex=$(printf '%s\n' "$last" | sed -n 's/^0x[0-9a-f]\{12\}-0x\([0-9a-f]\{12\}\)-[0-9a-f]\{8\}\.ref$/\1/p')
	[ -n "$hex" ] || fail "unexpected table name '$last' in tables.list"
	echo $((16#$hex))
}

# Install table file $1 (update indexes $2..$3) into the stack as Git does:
# name it min-max-random, move it into the reftable directory, then take
# tables.list.lock (created exclusively), write the old list plus the new
# name, and rename the lock over tables.list.
install_table() {
	local file=$1 min=$2 max=$3 dir=.git/reftable rand name
	rand=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
	name=$(printf '0x%012x-0x%012x-%s.ref' "$min" "$max" "$rand")
	(set -C && : >"$dir/tables.list.lock") || fail "tables.list.lock is taken"
	mv "$file" "$dir/$name"
	cat "$dir/tables.list" >"$dir/tables.list.lock"
	echo "$name" >>"$dir/tables.list.lock"
	mv "$dir/tables.list.lock" "$dir/tables.list"
	echo "installed $name"
}

# Unsigned big-endian integer of $3 bytes at offset $2 of file $1.
read_be() {
	od -An -tu1 -j"$2" -N"$3" "$1" | awk '{ for (i = 1; i <= NF; i++) v = v * 256 + $i } END { printf "%.0f\n", v }'
}

# Git's reflog of $1 in the form "<new>\t<name>\t<email>\t<time>\t<tz>\t<msg>".
git_reflog() {
	git reflog show --date=raw --format="$REFLOG_FORMAT" "$1" -- |
		awk -F'\t' -v OFS='\t' '{
			d = $4; sub(/^.*@[{]/, "", d); sub(/[}]$/, "", d); split(d, tt, " ")
			msg = $5; for (i = 6; i <= NF; i++) msg = msg OFS $i
			print $1, $2, $3, tt[1], tt[2], msg }'
}

# ---------------------------------------------------------------------------
# Part 1: one table with every kind of record, on top of Git's own stack.

setup_repo() {
	local repo=$TEST_TMP/$label
	git init -q --ref-format=reftable --object-format="$format" "$repo"
	cd "$repo"
	[ "$(git rev-parse --show-object-format)" = "$format" ] || fail "repository is not $format"
	git config advice.nestedTag false
	local i
	for i in 1 2 3; do
		tick
		echo "$i" >>file.txt
		git add file.txt
		git commit -q -m "commit $i"
	done
	tick
	git tag -a -m "release 1" v1 HEAD~1
	git branch keep
	tick
	git update-ref -m "keep moves" refs/heads/keep HEAD~1
	tick
	git update-ref -m "keep moves back" refs/heads/keep HEAD
	tick
	git branch gone HEAD~2
	local gone_idx
	gone_idx=$(max_update_index) || fail "cannot read the max update index"
	# An annotated tag object that no ref names (yet): the tag ref is ours.
	tick
	git tag -a -m "release 2" v2 HEAD~1
	local v2obj
	v2obj=$(git rev-parse refs/tags/v2)
	git tag -d v2 >/dev/null
	git cat-file -e "$v2obj" || fail "tag object vanished"
	[ "$(git reflog show refs/heads/gone | wc -l)" -eq 1 ] || fail "gone should have one reflog entry"
	{
		echo "c1=$(git rev-parse HEAD~2) c2=$(git rev-parse HEAD~1) c3=$(git rev-parse HEAD)"
		echo "v1obj=$(git rev-parse refs/tags/v1) v2obj=$v2obj gone_idx=$gone_idx"
	} >"$TEST_TMP/$label.vars"
	git_reflog refs/heads/keep >"$TEST_TMP/$label.keep.before"
	git_reflog HEAD >"$TEST_TMP/$label.head.before"
	[ "$(wc -l <"$TEST_TMP/$label.keep.before")" -eq 3 ] || fail "keep should have three reflog entries"
	git refs verify || fail "git refs verify fails before we touch anything"
}

# cd into the repository; scratch files go to $W; load the saved oids.
enter_repo() {
	W=$TEST_TMP/scratch.$label.$1
	mkdir -p "$W"
	cd "$TEST_TMP/$label"
	# shellcheck source=/dev/null
	. "$TEST_TMP/$label.vars"
	if [ "$format" = sha256 ]; then zero=$ZERO_SHA256; else zero=$ZERO_SHA1; fi
}

write_and_install() {
	enter_repo write_and_install
	local u
	u=$(max_update_index) || fail "cannot read the max update index"
	u=$((u + 1))
	echo "$u" >"$TEST_TMP/$label.u"
	# Records in no particular order (the tool sorts). The message is the
	# last field, everything after the 9th TAB, so it may hold TABs (as
	# dump logs prints them); \\ is a backslash, \n a newline.
	{
		printf 'ref\trefs/heads/new-a\t%s\t%s\n' "$u" "$c1"
		printf 'ref\trefs/heads/new-b\t%s\t%s\n' "$u" "$c2"
		printf 'ref\trefs/heads/caf\303\251\t%s\t%s\n' "$u" "$c3"
		printf 'ref\trefs/heads/keep\t%s\t%s\n' "$u" "$c1"
		printf 'delref\trefs/heads/gone\t%s\n' "$u"
		printf 'dellog\trefs/heads/gone\t%s\n' "$gone_idx"
		printf 'symref\trefs/heads/alias\t%s\trefs/heads/new-a\n' "$u"
		printf 'symref\tHEAD\t%s\trefs/heads/new-b\n' "$u"
		printf 'ref\trefs/tags/v2\t%s\t%s\t%s\n' "$u" "$v2obj" "$c2"
		printf 'ref\trefs/heads/tabbed\t%s\t%s\n' "$u" "$c2"
		printf 'log\trefs/heads/tabbed\t%s\t%s\t%s\tWri Ter\twriter@example.com\t1700100030\t+0100\ttab\there\tand there é\n' "$u" "$zero" "$c2"
		printf 'log\trefs/heads/new-a\t%s\t%s\t%s\tWri Ter\twriter@example.com\t1700100000\t+0200\tcreate é ü\n' "$u" "$zero" "$c1"
		printf 'log\trefs/heads/new-b\t%s\t%s\t%s\tWri Ter\twriter@example.com\t1700100060\t-0030\tÜnïcödé ✓ message\n' "$u" "$zero" "$c2"
		printf 'log\trefs/heads/caf\303\251\t%s\t%s\t%s\tWri Ter\twriter@example.com\t1700100120\t+1400\tcreated café\n' "$u" "$zero" "$c3"
		printf 'log\trefs/heads/keep\t%s\t%s\t%s\tZoë Ünïcode\tzoe@example.org\t1700100180\t-0730\trewind keep: back\\\\slash ü\n' "$u" "$c3" "$c1"
		printf 'log\tHEAD\t%s\t%s\t%s\tWri Ter\twriter@example.com\t1700100240\t+0000\tcheckout: moving from main to new-b\n' "$u" "$c3" "$c2"
	} >"$W/records"
	"$RT_WRITE" --hash "$format" --min "$u" --max "$u" "$W/new.ref" <"$W/records" ||
		fail "rt-write-table exited with $?"
	[ -s "$W/new.ref" ] || fail "rt-write-table wrote no table"
	[ "$(head -c 4 "$W/new.ref")" = REFT ] || fail "the table does not start with the REFT magic"
	install_table "$W/new.ref" "$u" "$u"

	# What Git must now show.
	{
		echo "ref:refs/heads/new-b HEAD"
		echo "ref:refs/heads/new-a refs/heads/alias"
		printf '%s refs/heads/caf\303\251\n' "$c3"
		echo "$c1 refs/heads/keep"
		echo "$c3 refs/heads/main"
		echo "$c1 refs/heads/new-a"
		echo "$c2 refs/heads/new-b"
		echo "$c2 refs/heads/tabbed"
		echo "$v1obj refs/tags/v1"
		echo "$v2obj refs/tags/v2"
	} | LC_ALL=C sort -k2,2 >"$TEST_TMP/$label.expect-refs"
}

check_for_each_ref() {
	enter_repo check_for_each_ref
	git for-each-ref --include-root-refs --format="$FER_FORMAT" >"$W/actual" ||
		fail "git for-each-ref failed"
	cp "$TEST_TMP/$label.expect-refs" "$W/expect"
	[ -f "$TEST_TMP/$label.extra-refs" ] && cat "$TEST_TMP/$label.extra-refs" >>"$W/expect"
	LC_ALL=C sort -k2,2 -o "$W/expect" "$W/expect"
	expect_same "$W/expect" "$W/actual"
	[ "$(git rev-parse refs/heads/keep)" = "$c1" ] || fail "git rev-parse refs/heads/keep is not our update"
}

check_peeled() {
	enter_repo check_peeled
	git show-ref -d refs/tags/v2 >"$W/actual" || fail "git show-ref -d refs/tags/v2 failed"
	printf '%s refs/tags/v2\n%s refs/tags/v2^{}\n' "$v2obj" "$c2" >"$W/expect"
	expect_same "$W/expect" "$W/actual"
	git show-ref -d | grep '\^{}$' >"$W/actual" || fail "git show-ref -d shows no peeled refs"
	printf '%s refs/tags/v1^{}\n%s refs/tags/v2^{}\n' "$c2" "$c2" >"$W/expect"
	expect_same "$W/expect" "$W/actual"
}

check_reflogs() {
	enter_repo check_reflogs
	local ref
	{
		printf '%s\tWri Ter\twriter@example.com\t1700100000\t+0200\tcreate é ü\n' "$c1"
		printf '%s\tWri Ter\twriter@example.com\t1700100060\t-0030\tÜnïcödé ✓ message\n' "$c2"
		printf '%s\tWri Ter\twriter@example.com\t1700100120\t+1400\tcreated café\n' "$c3"
	} >"$W/expect.new"
	for ref in refs/heads/new-a refs/heads/new-b refs/heads/caf$'\303\251'; do
		git_reflog "$ref" || fail "git reflog show $ref failed"
	done >"$W/actual"
	expect_same "$W/expect.new" "$W/actual"

	printf '%s\tZoë Ünïcode\tzoe@example.org\t1700100180\t-0730\trewind keep: back\\slash ü\n' "$c1" >"$W/expect"
	cat "$TEST_TMP/$label.keep.before" >>"$W/expect"
	git_reflog refs/heads/keep >"$W/actual" || fail "git reflog show refs/heads/keep failed"
	expect_same "$W/expect" "$W/actual"

	printf '%s\tWri Ter\twriter@example.com\t1700100240\t+0000\tcheckout: moving from main to new-b\n' "$c2" >"$W/expect"
	cat "$TEST_TMP/$label.head.before" >>"$W/expect"
	git_reflog HEAD >"$W/actual" || fail "git reflog show HEAD failed"
	expect_same "$W/expect" "$W/actual"

	# Old ids: Git resolves keep@{1} to the new id of the entry before ours
	# and warns of a gap unless our entry's old id equals it.
	git rev-parse 'refs/heads/keep@{1}' >"$W/out" 2>"$W/err" || fail "git rev-parse keep@{1} failed"
	[ "$(cat "$W/out")" = "$c3" ] || fail "keep@{1} is $(cat "$W/out"), expected $c3"
	if grep -E 'gap|unexpectedly' "$W/err"; then fail "Git sees a gap: our old id for keep is wrong"; fi
	# The oldest (only) entry of new-a has a null old id: Git then answers
	# new-a@{<before everything>} with its new id.
	[ "$(git rev-parse 'refs/heads/new-a@{1980-01-01}' 2>/dev/null)" = "$c1" ] ||
		fail "new-a's only reflog entry does not read back with a null old id"
	git rev-parse -q --verify 'refs/heads/new-a@{1}' >/dev/null && fail "new-a has more than one reflog entry"
	return 0
}

# A TAB inside a message: everything after the 9th field is the message.
check_tab_message() {
	enter_repo check_tab_message
	printf '%s\tWri Ter\twriter@example.com\t1700100030\t+0100\ttab\there\tand there é\n' "$c2" >"$W/expect"
	git_reflog refs/heads/tabbed >"$W/actual" || fail "git reflog show refs/heads/tabbed failed"
	expect_same "$W/expect" "$W/actual"
}

check_deleted() {
	enter_repo check_deleted
	git rev-parse -q --verify refs/heads/gone && fail "refs/heads/gone still resolves"
	git show-ref --exists refs/heads/gone 2>/dev/null && fail "git show-ref --exists finds refs/heads/gone"
	git reflog exists refs/heads/gone && fail "the reflog of refs/heads/gone still exists"
	git reflog list >"$W/list"
	grep -qx refs/heads/gone "$W/list" && fail "git reflog list still lists refs/heads/gone"
	return 0
}

check_symrefs() {
	enter_repo check_symrefs
	local t
	t=$(git symbolic-ref HEAD) || fail "git symbolic-ref HEAD failed"
	[ "$t" = refs/heads/new-b ] || fail "HEAD points at '$t', expected refs/heads/new-b"
	t=$(git symbolic-ref --no-recurse refs/heads/alias) || fail "git symbolic-ref refs/heads/alias failed"
	[ "$t" = refs/heads/new-a ] || fail "alias points at '$t', expected refs/heads/new-a"
	[ "$(git rev-parse HEAD)" = "$c2" ] || fail "HEAD does not resolve through new-b"
	[ "$(git rev-parse refs/heads/alias)" = "$c1" ] || fail "alias does not resolve through new-a"
}

check_verify() {
	enter_repo check_verify
	git refs verify >"$W/out" 2>&1 || { cat "$W/out"; fail "git refs verify exited non-zero"; }
	[ -s "$W/out" ] && { cat "$W/out"; fail "git refs verify printed something"; }
	git fsck --no-progress --no-dangling >"$W/out" 2>&1 || { cat "$W/out"; fail "git fsck failed"; }
	[ -s "$W/out" ] && { cat "$W/out"; fail "git fsck printed something"; }
	return 0
}

# Git appends a table (its auto-compaction may merge ours), then compacts
# everything (rewriting our records itself); all must still read back.
git_writes_again() {
	enter_repo git_writes_again
	tick
	git branch after "$c1" || fail "git branch after failed"
	# Git took its next update index from our table's header.
	local u now
	u=$(cat "$TEST_TMP/$label.u")
	now=$(max_update_index) || fail "cannot read the max update index"
	[ "$now" -eq $((u + 1)) ] || fail "Git wrote update index $now after our $u"
	echo "$c1 refs/heads/after" >"$TEST_TMP/$label.extra-refs"
	# The checks below fail this case directly (errexit); the echo lines
	# say which stage failed.
	echo "--- after git branch"
	check_for_each_ref
	check_reflogs
	enter_repo git_writes_again
	git refs optimize || fail "git refs optimize failed"
	[ "$(wc -l <.git/reftable/tables.list)" -eq 1 ] || fail "git refs optimize left more than one table"
	echo "--- after git refs optimize"
	check_for_each_ref
	check_peeled
	check_reflogs
	check_deleted
	check_symrefs
	check_verify
	check_tab_message
	enter_repo git_writes_again
	[ "$(git reflog show refs/heads/after | wc -l)" -eq 1 ] || fail "Git's own reflog entry for 'after' is missing"
}

# show-ref -d cannot tell a stored peeled value from one Git computes by
# reading the tag object. So, in a copy of the repository, write a ref whose
# stored peeled value is deliberately wrong (c3; the tag points at c2) and
# one without a peeled value: Git must show the stored value for the first
# (proving we wrote a value+peeled record with that value) and compute c2
# for the second (proving a plain value record).
check_peeled_is_stored() {
	enter_repo check_peeled_is_stored
	rm -rf "$TEST_TMP/$label-peel"
	cp -R "$TEST_TMP/$label" "$TEST_TMP/$label-peel"
	cd "$TEST_TMP/$label-peel"
	local u
	u=$(max_update_index) || fail "cannot read the max update index"
	u=$((u + 1))
	{
		printf 'ref\trefs/tags/stored-peel\t%s\t%s\t%s\n' "$u" "$v2obj" "$c3"
		printf 'ref\trefs/tags/no-peel\t%s\t%s\n' "$u" "$v2obj"
	} >"$W/records"
	"$RT_WRITE" --hash "$format" --min "$u" --max "$u" "$W/peel.ref" <"$W/records" ||
		fail "rt-write-table exited with $?"
	install_table "$W/peel.ref" "$u" "$u"
	git show-ref -d refs/tags/stored-peel refs/tags/no-peel >"$W/actual" || fail "git show-ref -d failed"
	printf '%s refs/tags/no-peel\n%s refs/tags/no-peel^{}\n%s refs/tags/stored-peel\n%s refs/tags/stored-peel^{}\n' \
		"$v2obj" "$c2" "$v2obj" "$c3" >"$W/expect"
	expect_same "$W/expect" "$W/actual"
}

for format in sha1 sha256; do
	label=$format-mixed
	test_case "$format: Git creates the repository (commits, annotated tag, branches with reflogs)" setup_repo
	test_case "$format: rt-write-table writes a table at max update index + 1; it is installed via tables.list.lock" write_and_install
	test_case "$format: git for-each-ref --include-root-refs lists exactly our new, updated, deleted, symbolic and tag refs" check_for_each_ref
	test_case "$format: git show-ref -d shows our stored peeled value of the new annotated tag" check_peeled
	test_case "$format: Git uses the peeled value we store (a deliberately wrong one shows through show-ref -d)" check_peeled_is_stored
	test_case "$format: git reflog show has our entries on top (new/old id, identity, time, tz, message)" check_reflogs
	test_case "$format: a TAB inside a log message (all after the 9th field) reaches Git intact" check_tab_message
	test_case "$format: our ref deletion and log deletion remove the ref and its reflog for Git" check_deleted
	test_case "$format: git symbolic-ref reads our symrefs (HEAD and a branch alias)" check_symrefs
	test_case "$format: git refs verify and git fsck are clean and silent" check_verify
	test_case "$format: after Git appends (git branch) and compacts (git refs optimize), everything reads back" git_writes_again
done

# ---------------------------------------------------------------------------
# Part 2: 256-byte blocks, 500 refs: many ref blocks, a ref index, with and
# without obj blocks. (Git 2.55 never reads obj blocks: nothing in Git calls
# the reftable object lookup, so --points-at only checks the ref values; the
# obj section must still be laid out so that Git's reader skips it.)

setup_small_blocks() {
	local repo=$TEST_TMP/$label i
	git init -q --ref-format=reftable --object-format="$format" "$repo"
	cd "$repo"
	for i in 1 2 3; do
		tick
		echo "$i" >>file.txt
		git add file.txt
		git commit -q -m "commit $i"
	done
	tick
	git tag -a -m "tag two" t2 HEAD~1
	local tobj
	tobj=$(git rev-parse refs/tags/t2)
	git tag -d t2 >/dev/null
	{
		echo "c1=$(git rev-parse HEAD~2) c2=$(git rev-parse HEAD~1) c3=$(git rev-parse HEAD)"
		echo "tobj=$tobj"
	} >"$TEST_TMP/$label.vars"
	git_reflog HEAD >"$TEST_TMP/$label.head.before"
}

write_small_blocks() {
	enter_repo write_small_blocks
	local u size bs fsz hsz refidx objpos
	u=$(max_update_index) || fail "cannot read the max update index"
	u=$((u + 1))
	# 500 refs: every 4th value is the tag object (peeled to c2); 100 of
	# them are branches with one reflog entry each.
	awk -v u="$u" -v z="$zero" -v c1="$c1" -v c2="$c2" -v c3="$c3" -v t="$tobj" 'BEGIN {
		split(c1 " " c2 " " c3, c, " ")
		for (i = 0; i < 500; i++) {
			if (i % 5 == 0) {
				name = sprintf("refs/heads/many/branch-%04d", i)
				printf "log\t%s\t%d\t%s\t%s\tWri Ter\twriter@example.com\t%d\t-0800\tmade branch %d\n", name, u, z, c[i % 3 + 1], 1700200000 + i, i
			} else {
				name = sprintf("refs/many/%s/ref-%04d", (i % 2 ? "odd" : "even"), i)
			}
			if (i % 4 == 3 && i % 5 != 0)
				printf "ref\t%s\t%d\t%s\t%s\n", name, u, t, c2
			else
				printf "ref\t%s\t%d\t%s\n", name, u, c[i % 3 + 1]
		}
	}' >"$W/records"
	# The tool sorts: feed it shuffled.
	sort -R "$W/records" >"$W/records.shuffled"
	"$RT_WRITE" --hash "$format" --block-size 256 ${index_opt:+"$index_opt"} --min "$u" --max "$u" "$W/new.ref" \
		<"$W/records.shuffled" || fail "rt-write-table exited with $?"

	# Header: block_size (uint24 at offset 5) is 256. Footer (last 68 bytes
	# for SHA-1 / version 1, 72 for version 2): after its header copy come
	# ref_index_position and obj_position_and_id_len (uint64 each).
	bs=$(read_be "$W/new.ref" 5 3)
	[ "$bs" -eq 256 ] || fail "header block size is $bs, expected 256"
	size=$(wc -c <"$W/new.ref")
	[ "$size" -gt $((40 * 256)) ] || fail "table of $size bytes cannot span many 256-byte blocks"
	if [ "$format" = sha1 ]; then fsz=68 hsz=24; else fsz=72 hsz=28; fi
	refidx=$(read_be "$W/new.ref" $((size - fsz + hsz)) 8)
	objpos=$(read_be "$W/new.ref" $((size - fsz + hsz + 8)) 8)
	echo "table: $size bytes, ref index at $refidx, obj_position_and_id_len $objpos"
	[ "$refidx" -gt 0 ] || fail "no ref index in a table with many ref blocks"
	if [ -n "$index_opt" ]; then
		[ "$objpos" -eq 0 ] || fail "--no-index-objects still wrote an obj section ($objpos)"
	else
		[ $((objpos / 32)) -gt 0 ] || fail "no obj section although objects are indexed"
		[ $((objpos % 32)) -ge 2 ] || fail "obj id_len $((objpos % 32)) is below 2"
	fi
	install_table "$W/new.ref" "$u" "$u"

	awk -F'\t' '$1 == "ref" { print $4 " " $2 }' "$W/records" >"$W/expect.many"
	{
		echo "ref:refs/heads/main HEAD"
		echo "$c3 refs/heads/main"
		cat "$W/expect.many"
	} | LC_ALL=C sort -k2,2 >"$TEST_TMP/$label.expect-refs"
	awk -F'\t' '$1 == "ref" && NF == 5 { print $5 " " $2 "^{}" }' "$W/records" |
		LC_ALL=C sort -k2,2 >"$TEST_TMP/$label.expect-peeled"
	awk -F'\t' '$1 == "log" { print $5 "\t" $6 "\t" $7 "\t" $8 "\t" $9 "\t" $10 "\t" $2 }' "$W/records" |
		LC_ALL=C sort -t"$(printf '\t')" -k7,7 >"$TEST_TMP/$label.expect-logs"
	cp "$W/records" "$TEST_TMP/$label.records"
}

check_small_refs() {
	enter_repo check_small_refs
	git for-each-ref --include-root-refs --format="$FER_FORMAT" >"$W/actual" || fail "git for-each-ref failed"
	expect_same "$TEST_TMP/$label.expect-refs" "$W/actual"
	git show-ref -d | grep '\^{}$' >"$W/actual" || fail "git show-ref -d shows no peeled refs"
	expect_same "$TEST_TMP/$label.expect-peeled" "$W/actual"
	# Single lookups go through the ref index.
	local name oid
	for name in refs/many/odd/ref-0001 refs/many/even/ref-0498 refs/heads/many/branch-0255 refs/many/odd/ref-0499; do
		oid=$(awk -F'\t' -v n="$name" '$1 == "ref" && $2 == n { print $4 }' "$TEST_TMP/$label.records")
		[ "$(git rev-parse --verify "$name")" = "$oid" ] || fail "git rev-parse $name is not $oid"
	done
	git rev-parse -q --verify refs/many/odd/ref-0000 && fail "a ref we never wrote resolves"
	return 0
}

# --points-at=<oid> lists refs whose value is <oid> or whose value is a tag
# object pointing at <oid>.
check_points_at() {
	enter_repo check_points_at
	local c
	for c in "$c1" "$c2" "$c3" "$tobj"; do
		awk -F'\t' -v c="$c" '$1 == "ref" && ($4 == c || $5 == c) { print $2 }' "$TEST_TMP/$label.records" >"$W/expect"
		[ "$c" = "$c3" ] && echo refs/heads/main >>"$W/expect"
		LC_ALL=C sort -o "$W/expect" "$W/expect"
		git for-each-ref --points-at="$c" --format='%(refname)' >"$W/actual" ||
			fail "git for-each-ref --points-at=$c failed"
		[ -s "$W/expect" ] || fail "test setup: nothing points at $c"
		expect_same "$W/expect" "$W/actual"
	done
}

check_small_logs() {
	enter_repo check_small_logs
	local ref
	: >"$W/actual"
	cut -f7 "$TEST_TMP/$label.expect-logs" >"$W/refs"
	while read -r ref; do
		git_reflog "$ref" | awk -v r="$ref" '{ print $0 "\t" r }' >>"$W/actual"
	done <"$W/refs"
	[ -s "$W/actual" ] || fail "no reflogs read"
	expect_same "$TEST_TMP/$label.expect-logs" "$W/actual"
	git reflog list | grep -c '^refs/heads/many/' >"$W/count" || true
	[ "$(cat "$W/count")" -eq 100 ] || fail "git reflog list shows $(cat "$W/count") of our 100 reflogs"
	git_reflog HEAD >"$W/actual"
	expect_same "$TEST_TMP/$label.head.before" "$W/actual"
}

check_small_after_optimize() {
	enter_repo check_small_after_optimize
	git refs verify >"$W/out" 2>&1 || { cat "$W/out"; fail "git refs verify exited non-zero"; }
	[ -s "$W/out" ] && { cat "$W/out"; fail "git refs verify printed something"; }
	git refs optimize || fail "git refs optimize failed"
	[ "$(wc -l <.git/reftable/tables.list)" -eq 1 ] || fail "git refs optimize left more than one table"
	echo "--- after git refs optimize"
	check_small_refs
	check_small_logs
	enter_repo check_small_after_optimize
	git refs verify >"$W/out" 2>&1 || { cat "$W/out"; fail "git refs verify exited non-zero after optimize"; }
	[ -s "$W/out" ] && { cat "$W/out"; fail "git refs verify printed something after optimize"; }
	return 0
}

for format in sha1 sha256; do
	for index_opt in "" --no-index-objects; do
		label=$format-256${index_opt:+-noobj}
		desc="$format, 256-byte blocks${index_opt:+, $index_opt}"
		obj_section=present
		[ -n "$index_opt" ] && obj_section=absent
		test_case "$desc: Git creates the repository" setup_small_blocks
		test_case "$desc: 500 refs span many blocks with a ref index (obj section $obj_section); installed" write_small_blocks
		test_case "$desc: git for-each-ref, rev-parse and show-ref -d read all 500 refs and peeled values" check_small_refs
		test_case "$desc: git for-each-ref --points-at=<oid> finds exactly the refs at each object" check_points_at
		test_case "$desc: git reflog show reads the 100 reflogs" check_small_logs
		test_case "$desc: git refs verify is clean; after git refs optimize all still reads back" check_small_after_optimize
	done
done

# ---------------------------------------------------------------------------
# Part 3: time zones at the ends of the stored range (a signed 16-bit hhmm
# as Git writes it): `dump logs` prints each as Git does, a signed decimal
# of at least four digits (+32767, -32768, +0000, -0030).

check_extreme_zones() {
	local u c zone
	git init -q --ref-format=reftable "$TEST_TMP/zones"
	cd "$TEST_TMP/zones"
	git commit -q --allow-empty -m base
	c=$(git rev-parse HEAD)
	u=$(($(max_update_index) + 1))
	for zone in +32767 -32768 +0000 -0030 +1400; do
		printf 'ref\trefs/heads/z%s\t%s\t%s\n' "${zone#[+-]}${zone%%[0-9]*}" "$u" "$c"
		printf 'log\trefs/heads/z%s\t%s\t%s\t%s\tZ\tz@example.com\t1700000000\t%s\tzone %s\n' \
			"${zone#[+-]}${zone%%[0-9]*}" "$u" "$ZERO_SHA1" "$c" "$zone" "$zone"
	done >"$TEST_TMP/zones.records"
	"$RT_WRITE" --min "$u" --max "$u" "$TEST_TMP/zones.ref" <"$TEST_TMP/zones.records" ||
		fail "rt-write-table exited with $?"
	install_table "$TEST_TMP/zones.ref" "$u" "$u"
	git reftable dump logs | awk -F'\t' '$1 ~ /^refs\/heads\/z/ { print $1, $8 }' |
		sort >"$TEST_TMP/zones.ours"
	for ref in $(git for-each-ref --format='%(refname)' 'refs/heads/z*'); do
		git_reflog "$ref" | awk -F'\t' -v r="$ref" '{ print r, $5 }'
	done | sort >"$TEST_TMP/zones.git"
	cat "$TEST_TMP/zones.ours"
	grep -qx 'refs/heads/z32767+ +32767' "$TEST_TMP/zones.ours" ||
		fail "+32767 not printed as +32767"
	grep -qx 'refs/heads/z32768- -32768' "$TEST_TMP/zones.ours" ||
		fail "-32768 not printed as -32768"
	grep -qx 'refs/heads/z0030- -0030' "$TEST_TMP/zones.ours" ||
		fail "-0030 not printed as -0030"
	expect_same "$TEST_TMP/zones.git" "$TEST_TMP/zones.ours"
}

test_case "dump logs prints stored time zones as Git does (+32767, -32768)" check_extreme_zones
