#!/bin/sh
# What the guest kernel sees: CPU flags, clock source, mitigations, memory.
grep -m1 '^flags' /proc/cpuinfo
grep -m1 '^model name' /proc/cpuinfo
echo "clocksource: $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
for f in /sys/devices/system/cpu/vulnerabilities/*; do
	echo "vulnerability $(basename "$f"): $(cat "$f")"
done
grep -E '^(MemTotal|MemFree):' /proc/meminfo
dmesg | grep -iE 'tsc|clocksource|hypervisor|x2apic|apic' | head -n 20
