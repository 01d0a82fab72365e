#!/bin/bash
# bench-ahci.sh - what the AHCI mediator costs: the same disk workload
# (guest/tests/ahci-bench.sh: 1 MiB sequential and 4 KiB scrambled direct
# I/O, one command at a time) on AHCI port 0 of QEMU -M q35, in four
# configurations, runs alternating:
#   bare         no Lamina
#   lamina       Lamina, the controller not mediated
#   mediated     encrypt=ahci:0 key=none (shadow DMA, sectors stored as written)
#   encrypted    encrypt=ahci:0 with an XTS-AES-256 key
# QEMU's CPU has AES-NI (+aes), so Lamina's XTS takes its AES-NI path.
# Prints MB/s and the ratio to bare (time / bare time) of the medians and
# of the best runs.
#
#   tools/bench-ahci.sh [-n RUNS]     (BENCH_RUNS, default 3)
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
B=$BUILD/bench/ahci
runs=${BENCH_RUNS:-3}
[ "${1:-}" = -n ] && runs=$2
mkdir -p "$B"
exec 9>"$B/.lock"
flock -n 9 || { echo "bench-ahci: another run holds $B/.lock; waiting"; flock 9; }
CPU=qemu64,+svm,+npt,+aes,+pclmulqdq,+ssse3,+sse4.1,+sse4.2
KEY=$(for i in $(seq 0 63); do printf '%02x' $(( (i * 37 + 11) % 256 )); done)
configs="bare lamina mediated encrypted"
tests="seq-write-1m seq-read-1m rand-write-4k rand-read-4k"
declare -A mib=([seq-write-1m]=64 [seq-read-1m]=64 [rand-write-4k]=4 [rand-read-4k]=4)
params="guest.test=ahci-bench guest.end=poweroff"

iso() {
	case "$1" in
	bare) tools/mkiso.sh -o "$B/$1.iso" -m bare -c "$params" ;;
	lamina) tools/mkiso.sh -o "$B/$1.iso" -m lamina -c "$params" ;;
	mediated) tools/mkiso.sh -o "$B/$1.iso" -m lamina -l "encrypt=ahci:0 key=none" -c "$params" ;;
	encrypted) tools/mkiso.sh -o "$B/$1.iso" -m lamina -l "encrypt=ahci:0 key=$KEY" -c "$params" ;;
	esac
}
for c in $configs; do
	iso "$c" >"$B/$c.mkiso" 2>&1 || { echo "bench-ahci: mkiso $c failed" >&2; exit 1; }
done

for r in $(seq 1 "$runs"); do
	for c in $configs; do
		rm -f "$B/a.img" "$B/b.img"
		truncate -s 128M "$B/a.img" "$B/b.img"
		tools/qemu-run.sh -i "$B/$c.iso" -l "$B/$c.$r.log" -t 600 -M q35 -m 1024 \
			--cpu "$CPU" -d "$B/a.img" -d "$B/b.img"
		for t in $tests; do
			v=$(sed -n "s/^ahci-bench: $t \([0-9.]*\)$/\1/p" "$B/$c.$r.log" | head -n 1)
			echo "${v:-nan}" >>"$B/$c.$t"
		done
	done
done
rm -f "$B/a.img" "$B/b.img"

median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
best() { sort -g "$1" | head -n 1; }
# table PICK: MB/s of PICK (median or best) of the runs, ratio to bare's.
table() {
	printf '%-14s' "$1"
	for c in $configs; do printf ' %18s' "$c"; done
	echo
	for t in $tests; do
		printf '%-14s' "$t"
		bare=$($1 "$B/bare.$t")
		for c in $configs; do
			s=$($1 "$B/$c.$t")
			printf ' %18s' "$(awk -v s="$s" -v b="$bare" -v m="${mib[$t]}" \
				'BEGIN { if (s + 0 > 0) printf "%.1f (%.2fx)", m * 1.048576 / s, s / b; else printf "failed" }')"
		done
		echo
	done
}
{
	echo "AHCI disk I/O under QEMU TCG -M q35, direct, one command at a time; $runs runs;"
	echo "MB/s (ratio: time relative to bare); the best runs are less sensitive to host load"
	table median
	table best
} | tee "$B/summary.txt"
rm -f "$B"/*.seq-* "$B"/*.rand-*
