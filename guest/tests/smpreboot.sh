#!/bin/sh
# Restarts with every CPU running (asserted by tests/system/smp.sh): the
# first boot leaves a mark on the first disk and reboots; the second sees
# it, moves it on and restarts the machine the old way, with an INIT IPI
# to the boot CPU sent from CPU 1 (bare metal: the boot CPU restarts in
# the firmware); the third wipes the mark and goes on (guest.end=poweroff).
mark=LAMINA-SMP-REBOOT-MARK
dev=
for _ in $(seq 1 50); do
	[ -b /dev/sda ] && { dev=/dev/sda; break; }
	sleep 0.2
done
[ -n "$dev" ] || { echo "smpreboot: no disk found"; exit 1; }
online=$(cat /sys/devices/system/cpu/online)
put_mark() { echo "$mark $1" | dd of=$dev bs=512 count=1 conv=sync,fsync 2>/dev/null; }
seen=$(dd if=$dev bs=512 count=1 2>/dev/null | tr -d '\0' | sed -n "s/^$mark //p")
case "$seen" in
1)
	put_mark 2
	echo "smpreboot: second boot online=$online, INIT to the boot CPU"
	sleep 1
	taskset -c 1 ipiprobe init 0
	sleep 5
	echo "smpreboot: still running after the INIT"
	;;
2)
	dd if=/dev/zero of=$dev bs=512 count=1 conv=fsync 2>/dev/null
	echo "smpreboot: third boot online=$online"
	;;
*)
	put_mark 1
	echo "smpreboot: first boot online=$online, rebooting"
	sleep 1
	reboot -f
	;;
esac
