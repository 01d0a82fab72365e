#!/bin/sh
# Disk benchmark (tools/bench-disk.sh): diskio bench on the disk at SCSI
# address guest.bench_disk= (default 0:0:0:0: the IDE primary master, or
# the disk on AHCI port 0): 1 MiB sequential writes and reads over 64 MiB,
# then 4 KiB random writes and reads for guest.bench_seconds= (default 5)
# each, all O_DIRECT, one request at a time.  Under Lamina each test also
# prints the trapped register accesses (I/O and MMIO exits) per request:
#   diskbench: TEST traps_per_request N
addr=0:0:0:0 seconds=5
for p in $(cat /proc/cmdline); do
	case "$p" in
	guest.bench_disk=*) addr=${p#guest.bench_disk=} ;;
	guest.bench_seconds=*) seconds=${p#guest.bench_seconds=} ;;
	esac
done
# Trapped accesses so far; empty without Lamina.
traps() {
	laminactl status 2>/dev/null |
		awk '/^exits_(io|mmio): / { n += $2; seen = 1 } END { if (seen) print n }'
}
dev=
for _ in $(seq 1 100); do
	for d in /sys/block/sd*; do
		[ -e "$d/device/scsi_device/$addr" ] && dev=/dev/${d##*/}
	done
	[ -n "$dev" ] && break
	sleep 0.1
done
[ -n "$dev" ] || { echo "diskbench: no disk at $addr"; exit 1; }
for t in seq-write seq-read rand-write rand-read; do
	t0=$(traps)
	out=$(diskio bench "$dev" 1 64 "$seconds" $t) || exit 1
	t1=$(traps)
	echo "$out"
	n=$(echo "$out" | sed -n 's/.* \([0-9]*\) requests$/\1/p')
	[ -n "$t0" ] && [ "${n:-0}" -gt 0 ] &&
		echo "diskbench: $t traps_per_request $(( (t1 - t0) / n ))"
done
exit 0
