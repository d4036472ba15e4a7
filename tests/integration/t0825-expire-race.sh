#!/usr/bin/env bash
# t0825: expiry never brings back a reflog Git deleted while it ran.
#
# 4,000 refs whose every reflog entry expires (so expire writes an
# existence placeholder for each); while `git reftable expire` runs, Git
# deletes all of them, in batches, with `git update-ref --stdin`. Git
# deletes a ref's reflog with it, so afterwards `git reflog list` must
# list none of them, whichever of the two committed first. A few rounds,
# started within 20 s, so about 30 s in all; at least one must show that
# Git deleted reflogs while expire ran (expire left fewer empty than it
# walked: its re-check dropped their placeholders), else more rounds
# follow, up to 60 s, and the test fails without one. An expire that
# finds tables.list.lock held by Git past its lock timeout changes
# nothing and says it is busy: allowed, and the round is checked all
# the same (it cannot show an overlap).
. "$(dirname "$0")/../lib.sh"

N=4000

setup_refs() {
	local i
	rm -rf repo
	git init -q --ref-format=reftable repo
	cd repo
	git commit -q --allow-empty -m base
	for ((i = 0; i < N; i++)); do
		echo "create refs/heads/b$i HEAD"
	done | git update-ref --stdin
	git pack-refs # one table: expire's walk is the long part
	[ "$(git reflog list | grep -c '^refs/heads/b')" = "$N" ] ||
		fail "setup: not $N reflogs"
}

# Delete every b<i>, 100 per transaction, from the last to the first.
delete_refs() {
	local i j
	for ((i = N - 100; i >= 0; i -= 100)); do
		for ((j = i; j < i + 100; j++)); do
			echo "delete refs/heads/b$j"
		done | git update-ref --stdin || echo "batch $i failed" >>../deleter.err
	done
}

test_no_resurrection() {
	local round end=$((SECONDS + 20)) last=$((SECONDS + 60)) left
	local walked emptied overlapped=0 busy
	# Rounds for 20 s (at most 6), and on (up to 60 s) until one round
	# saw the two overlap.
	for ((round = 1; SECONDS < last; round++)); do
		if [ "$overlapped" -gt 0 ] && { [ "$round" -gt 6 ] || [ "$SECONDS" -ge "$end" ]; }; then
			break
		fi
		cd "$TEST_TMP"
		setup_refs
		rm -f ../deleter.err
		git reftable expire --expire=now --expire-unreachable=now \
			>../expire.out 2>&1 &
		delete_refs
		busy=false
		if ! wait $!; then
			# Git's transactions, back to back, may keep
			# tables.list.lock past the lock timeout all through
			# expire's commit: then it changed nothing and says
			# so. Allowed; the round checks the rest all the same.
			grep -q ': busy: .*tables\.list\.lock' ../expire.out || {
				cat ../expire.out >&2
				fail "round $round: expire failed"
			}
			busy=true
		fi
		[ ! -s ../deleter.err ] || fail "round $round: $(cat ../deleter.err)"
		git for-each-ref refs/heads/b* | grep -q . && fail "round $round: refs left"
		left=$(git reflog list | grep -c '^refs/heads/b' || :)
		echo "round $round: $left of $N deleted refs still have a reflog" \
			"(expire: $(tr '\n' ' ' <../expire.out))"
		[ "$left" = 0 ] || {
			git reflog list | grep '^refs/heads/b' | head -5 >&2
			fail "round $round: $left deleted refs have a reflog again"
		}
		refs_verify_clean
		$busy && continue
		# Overlap: Git deleted some reflogs between expire's walk and
		# its commit, so their placeholders were dropped at the
		# re-check: fewer left empty than walked (all of them expire).
		read -r walked emptied < <(sed -n \
			's/.* in \([0-9]*\) reflogs (\([0-9]*\) left empty).*/\1 \2/p' \
			../expire.out) || fail "round $round: no summary from expire"
		[ "$emptied" -ge "$walked" ] || overlapped=$((overlapped + 1))
	done
	echo "$overlapped of $((round - 1)) rounds overlapped"
	[ "$overlapped" -gt 0 ] ||
		fail "expire and the deletions never overlapped: the re-check was not exercised"
}

test_case "reflogs Git deletes while expire runs stay deleted" test_no_resurrection
echo "1..$test_count"
