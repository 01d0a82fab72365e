#!/bin/sh
# Devices whose registers Lamina traps and emulates (tests/system/emul.sh
# boots with trap=mmio:0xfee00000 trap=io:0x70-0x71): the local APIC must
# keep ticking and read consistently (mmioprobe), the RTC behind the CMOS
# ports must still read, also with string I/O (ioprobe), and Lamina must
# have counted the emulated accesses.  Also prints the trapped exits per
# second, idle.
mmioprobe
ioprobe
# Word writes at 0x6f reach into the trapped index port: each must pass
# through Lamina's handler (counted as an emulated I/O write).
w1=$(laminactl status | sed -n 's/^emul_io: .* \([0-9]*\) writes$/\1/p')
ioprobe straddle 100
w2=$(laminactl status | sed -n 's/^emul_io: .* \([0-9]*\) writes$/\1/p')
echo "emul: straddling writes counted: $((${w2:-0} - ${w1:-0}))"
echo "emul: rtc: $(grep -E '^(rtc_time|rtc_date)' /proc/driver/rtc | tr -s ' \t' ' ' | tr '\n' ' ')"
if hwclock -r >/tmp/hwclock.out 2>&1; then
	echo "emul: hwclock: $(cat /tmp/hwclock.out)"
else
	echo "emul: hwclock failed: $(cat /tmp/hwclock.out)"
fi
count() { laminactl status | sed -n "s/^$1: //p"; }
loc() { grep -m1 'LOC:' /proc/interrupts | tr -s ' ' | cut -d' ' -f3; }
a=$(loc) m1=$(count exits_mmio) i1=$(count exits_io) t1=$(count exits_total)
sleep 2
b=$(loc) m2=$(count exits_mmio) i2=$(count exits_io) t2=$(count exits_total)
echo "emul: apic timer interrupts in 2 s: $((b - a)) (LOC)"
echo "emul: idle exits per second: mmio $(((m2 - m1) / 2)) io $(((${i2:-0} - ${i1:-0}) / 2)) total $(((t2 - t1) / 2))"
laminactl status | grep -E '^(exits_(total|mmio|io)|emul_)'
