#!/usr/bin/env bash
# Seed corpus for fuzz_table: small valid tables of every shape, written
# by lib/ through rt-write-table (several block sizes, both hashes, with
# and without obj blocks, log-only and empty tables).
set -euo pipefail
tool=$1 out=$2
mkdir -p "$out"
oid1=1111111111111111111111111111111111111111
oid2=2222222222222222222222222222222222222222
z40=0000000000000000000000000000000000000000
records() {
	local o1=$1 o2=$2 z=$3
	for i in $(seq 1 40); do
		printf 'ref\trefs/heads/b%02d\t1\t%s\n' "$i" "$o1"
		printf 'log\trefs/heads/b%02d\t1\t%s\t%s\tA\ta@x\t1700000000\t+0100\tmsg %d\n' \
			"$i" "$z" "$o1" "$i"
	done
	printf 'ref\trefs/tags/v1\t1\t%s\t%s\n' "$o2" "$o1"
	printf 'symref\tHEAD\t1\trefs/heads/b01\n'
	printf 'delref\trefs/heads/gone\t1\n'
	printf 'dellog\trefs/heads/gone\t1\n'
}
for bs in 256 1024 4096; do
	records $oid1 $oid2 $z40 | "$tool" --block-size $bs --min 1 --max 1 "$out/sha1-$bs.ref"
	records $oid1 $oid2 $z40 | "$tool" --block-size $bs --no-index-objects --min 1 --max 1 "$out/sha1-noobj-$bs.ref"
	records ${oid1}${oid1:0:24} ${oid2}${oid2:0:24} ${z40}${z40:0:24} |
		"$tool" --hash sha256 --block-size $bs --min 1 --max 1 "$out/sha256-$bs.ref"
done
printf 'log\trefs/heads/x\t2\t%s\t%s\tA\ta@x\t1\t+0000\tm\n' $z40 $oid1 |
	"$tool" --min 2 --max 2 "$out/logonly.ref"
: | "$tool" --min 1 --max 1 "$out/empty.ref"
