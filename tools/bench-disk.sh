#!/bin/bash
# bench-disk.sh - what disk mediation and encryption cost the guest: the
# same guest and disk in four set-ups, runs alternating:
#   bare       no Lamina
#   lamina     Lamina, the disk not named (its controller untouched)
#   mediated   the disk named with key=none: every request through
#              Lamina's shadow buffer, sectors stored as written
#   encrypted  the disk named with an XTS-AES-256 key
# The controller is IDE (-c ide: QEMU -M pc, PIIX, primary master,
# encrypt=ata:0.0) or AHCI (-c ahci: -M q35, ICH9, port 0, encrypt=ahci:0).
# The guest runs guest/tests/diskbench.sh: 1 MiB sequential writes and
# reads over 64 MiB, 4 KiB random writes and reads for 5 s each, O_DIRECT,
# one request at a time, and counts Lamina's trapped register accesses per
# request.  QEMU gets AES-NI (+aes).  Prints the medians, the times slower
# than bare, and the traps per request (medians).
#
#   tools/bench-disk.sh [-c ide|ahci] [-n RUNS]     (default ide, BENCH_RUNS or 2)
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
runs=${BENCH_RUNS:-2} ctl=ide
while [ $# -gt 0 ]; do
	case "$1" in
	-c) ctl=$2; shift 2 ;;
	-n) runs=$2; shift 2 ;;
	*) echo "usage: $0 [-c ide|ahci] [-n RUNS]" >&2; exit 2 ;;
	esac
done
case "$ctl" in
ide) machine=pc name="IDE (PIIX) primary master" target=ata:0.0 ;;
ahci) machine=q35 name="AHCI (ICH9) port 0" target=ahci:0 ;;
*) echo "bench-disk: no controller $ctl (ide or ahci)" >&2; exit 2 ;;
esac
B=$BUILD/bench/disk-$ctl
mkdir -p "$B"
. tools/bench-lib.sh
bench_start bench-disk "$BUILD/bench/.disk-lock"

CPU=qemu64,+svm,+npt,+aes,+pclmulqdq,+ssse3,+sse4.1,+sse4.2
KEY=$(for i in $(seq 0 63); do printf '%02x' $(( (i * 29 + 3) % 256 )); done)
KINDS="bare lamina mediated encrypted"
TESTS="seq-write seq-read rand-write rand-read"
params="guest.test=diskbench guest.end=poweroff"
declare -A opts=([lamina]="" [mediated]="encrypt=$target key=none"
		 [encrypted]="encrypt=$target key=$KEY")
for k in $KINDS; do
	if [ "$k" = bare ]; then
		tools/mkiso.sh -o "$B/$k.iso" -m bare -c "$params" 2>/dev/null || exit 1
	else
		tools/mkiso.sh -o "$B/$k.iso" -m lamina -l "${opts[$k]}" -c "$params" 2>/dev/null || exit 1
	fi
done
# Written out in full: a sparse image would make the first run pay for
# the host's block allocation.
disk=$B/disk.img
dd if=/dev/zero of="$disk" bs=1M count=128 status=none || exit 1

declare -A samples=() traps=()
for i in $(seq 1 "$runs"); do
	for k in $KINDS; do
		log=$B/$k-$i.log
		echo "bench-disk: $ctl run $i/$runs $k"
		if ! tools/qemu-run.sh -i "$B/$k.iso" -l "$log" -t 400 -M "$machine" \
			--cpu "$CPU" -d "$disk"; then
			echo "bench-disk: $k run $i failed (log $log)" >&2
			continue
		fi
		for t in $TESTS; do
			v=$(sed -n -E "s/^diskio $t ([0-9.]+) .*/\\1/p" "$log" | head -n 1)
			[ -n "$v" ] && samples["$k $t"]+="$v "
			v=$(sed -n -E "s/^diskbench: $t traps_per_request ([0-9]+).*/\\1/p" "$log" | head -n 1)
			[ -n "$v" ] && traps["$k $t"]+="$v "
		done
	done
done
rm -f "$disk"

# How many times slower than bare (throughput: bare / kind).
slowdown() { awk -v b="$1" -v k="$2" 'BEGIN { if (b == "-" || k == "-" || k == 0) print "-"; else printf "%.2fx\n", b / k }'; }

{
	echo "Disk benchmark: QEMU TCG -M $machine, $name, $runs runs each, medians"
	echo "(host load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
	printf '%-24s %9s %9s %9s %9s   %-22s %s\n' test bare lamina mediated encrypted \
		"slower: lam/med/enc" "traps per request: med/enc"
	for t in "seq-write:1 MiB seq write MB/s" "seq-read:1 MiB seq read MB/s" \
		 "rand-write:4 KiB rand write IOPS" "rand-read:4 KiB rand read IOPS"; do
		k=${t%%:*} label=${t#*:}
		b=$(median "${samples[bare $k]:-}" 1) l=$(median "${samples[lamina $k]:-}" 1)
		m=$(median "${samples[mediated $k]:-}" 1) e=$(median "${samples[encrypted $k]:-}" 1)
		printf '%-24s %9s %9s %9s %9s   %-22s %s / %s\n' "$label" "$b" "$l" "$m" "$e" \
			"$(slowdown "$b" "$l") / $(slowdown "$b" "$m") / $(slowdown "$b" "$e")" \
			"$(median "${traps[mediated $k]:-}" 0)" "$(median "${traps[encrypted $k]:-}" 0)"
	done
	echo "(raw samples:"
	for k in "${!samples[@]}"; do echo "  $k: ${samples[$k]}"; done | sort
	echo ")"
} | tee "$B/summary.txt"
