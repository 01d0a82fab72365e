#!/bin/sh
# A reboot with every CPU running (asserted by tests/system/smp.sh): the
# first boot leaves a mark on the first disk and reboots; the boot after
# sees the mark, wipes it and goes on (guest.end=poweroff).
mark=LAMINA-SMP-REBOOT-MARK
dev=
for _ in $(seq 1 50); do
	[ -b /dev/sda ] && { dev=/dev/sda; break; }
	sleep 0.2
done
[ -n "$dev" ] || { echo "smpreboot: no disk found"; exit 1; }
online=$(cat /sys/devices/system/cpu/online)
if dd if=$dev bs=512 count=1 2>/dev/null | grep -q "$mark"; then
	dd if=/dev/zero of=$dev bs=512 count=1 conv=fsync 2>/dev/null
	echo "smpreboot: second boot online=$online"
else
	echo "$mark" | dd of=$dev bs=512 count=1 conv=sync,fsync 2>/dev/null
	echo "smpreboot: first boot online=$online, rebooting"
	sleep 1
	reboot -f
fi
