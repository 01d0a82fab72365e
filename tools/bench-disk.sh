#!/bin/bash
# bench-disk.sh - what disk mediation and encryption cost the guest: the
# same guest and IDE disk (-M pc, primary master) in four set-ups, runs
# alternating:
#   bare       no Lamina
#   lamina     Lamina, the disk not named (its controller untouched)
#   mediated   encrypt=ata:0.0 key=none: every request through Lamina's
#              shadow buffer, sectors stored as written
#   encrypted  encrypt=ata:0.0 key=<XTS-AES-256>
# The guest runs guest/tests/diskbench.sh (diskio bench: 1 MiB sequential
# write/read over 64 MiB, 4 KiB random write/read for 5 s each, O_DIRECT).
# QEMU gets AES-NI (+aes).  Prints medians and ratios to bare.
#
#   tools/bench-disk.sh [-n RUNS]        (default BENCH_RUNS or 2)
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
B=$BUILD/bench/disk
runs=${BENCH_RUNS:-2}
[ "${1:-}" = -n ] && runs=$2
mkdir -p "$B"
exec 9>"$B/.lock"
flock -n 9 || { echo "bench-disk: another run holds $B/.lock; waiting"; flock 9; }
for f in "$BUILD/lamina.elf" "$BUILD/guest/vmlinuz" "$BUILD/guest/initrd.img"; do
	[ -s "$f" ] || { echo "bench-disk: $f is missing" >&2; exit 1; }
done

CPU=qemu64,+svm,+npt,+aes,+pclmulqdq,+ssse3,+sse4.1,+sse4.2
KEY=$(for i in $(seq 0 63); do printf '%02x' $(( (i * 29 + 3) % 256 )); done)
KINDS="bare lamina mediated encrypted"
params="guest.test=diskbench guest.end=poweroff"
declare -A opts=([lamina]="" [mediated]="encrypt=ata:0.0 key=none" [encrypted]="encrypt=ata:0.0 key=$KEY")
for k in $KINDS; do
	if [ "$k" = bare ]; then
		tools/mkiso.sh -o "$B/$k.iso" -m bare -c "$params" 2>/dev/null || exit 1
	else
		tools/mkiso.sh -o "$B/$k.iso" -m lamina -l "${opts[$k]}" -c "$params" 2>/dev/null || exit 1
	fi
done
disk=$B/disk.img
rm -f "$disk"
truncate -s 128M "$disk"

declare -A samples=()
for i in $(seq 1 "$runs"); do
	for k in $KINDS; do
		log=$B/$k-$i.log
		echo "bench-disk: run $i/$runs $k"
		if ! tools/qemu-run.sh -i "$B/$k.iso" -l "$log" -t 400 --cpu "$CPU" -d "$disk"; then
			echo "bench-disk: $k run $i failed (log $log)" >&2
			continue
		fi
		for t in seq-write seq-read rand-write rand-read; do
			v=$(sed -n -E "s/^diskio $t ([0-9.]+) .*/\\1/p" "$log" | head -n 1)
			[ -n "$v" ] && samples["$k $t"]+="$v "
		done
	done
done

. tools/bench-lib.sh
# How many times slower than bare (throughput: bare / kind).
slowdown() { awk -v b="$1" -v k="$2" 'BEGIN { if (b == "-" || k == "-" || k == 0) print "-"; else printf "%.2fx\n", b / k }'; }

echo
echo "Disk benchmark: QEMU TCG -M pc, IDE (PIIX) primary master, $runs runs each, medians"
echo "(host load average at the end: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-24s %10s %10s %10s %10s   %s\n' test bare lamina mediated encrypted "slowdown vs bare: lamina / mediated / encrypted"
for t in "seq-write:1 MiB seq write MB/s" "seq-read:1 MiB seq read MB/s" \
	 "rand-write:4 KiB rand write IOPS" "rand-read:4 KiB rand read IOPS"; do
	k=${t%%:*} label=${t#*:}
	b=$(median "${samples[bare $k]:-}" 1) l=$(median "${samples[lamina $k]:-}" 1)
	m=$(median "${samples[mediated $k]:-}" 1) e=$(median "${samples[encrypted $k]:-}" 1)
	printf '%-24s %10s %10s %10s %10s   %s / %s / %s\n' "$label" "$b" "$l" "$m" "$e" \
		"$(slowdown "$b" "$l")" "$(slowdown "$b" "$m")" "$(slowdown "$b" "$e")"
done
echo "(raw samples:"
for k in "${!samples[@]}"; do echo "  $k: ${samples[$k]}"; done | sort
echo ")"
