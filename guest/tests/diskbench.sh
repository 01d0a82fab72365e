#!/bin/sh
# Disk benchmark (tools/bench-disk.sh): diskio bench on the disk at SCSI
# address guest.bench_disk= (default 0:0:0:0, the primary master): 1 MiB
# sequential writes and reads over 64 MiB, then 4 KiB random writes and
# reads for guest.bench_seconds= (default 5) each, all O_DIRECT.
addr=0:0:0:0 seconds=5
for p in $(cat /proc/cmdline); do
	case "$p" in
	guest.bench_disk=*) addr=${p#guest.bench_disk=} ;;
	guest.bench_seconds=*) seconds=${p#guest.bench_seconds=} ;;
	esac
done
for _ in $(seq 1 100); do
	for d in /sys/block/sd*; do
		[ -e "$d/device/scsi_device/$addr" ] && exec diskio bench "/dev/${d##*/}" 1 64 "$seconds"
	done
	sleep 0.1
done
echo "diskbench: no disk at $addr"
exit 1
