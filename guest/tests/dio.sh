#!/bin/sh
# 4 KiB direct reads from the first disk (attached by the host as IDE).
# DIO_COUNT blocks, default 2000.
dev=
for _ in $(seq 1 50); do
	for d in /dev/sda /dev/vda /dev/nvme0n1; do
		[ -b "$d" ] && { dev=$d; break 2; }
	done
	sleep 0.2
done
[ -n "$dev" ] || { echo "dio: no disk found"; exit 1; }
count=2000
for p in $(cat /proc/cmdline); do
	case "$p" in guest.dio_count=*) count=${p#guest.dio_count=} ;; esac
done
dio "$dev" "$count"
