#!/bin/sh
# SMP under Lamina (asserted by the host, tests/system/smp.sh): every CPU
# online, work pinned to each, CPUs taken offline and online again, odd
# IPIs (SIPI without INIT, IPIs to absent CPUs, INIT to a parked CPU).
cpus=/sys/devices/system/cpu
n=$(nproc)
last=$((n - 1))
echo "smp: online=$(cat $cpus/online) nproc=$n"

# Runs cpuwork pinned to CPU $1 and reports its result and where it ran.
pinned() {
	r=$(taskset -c "$1" cpuwork 30 | sed -n 's/^cpuwork: result=//p')
	on=$(taskset -c "$1" cut -d' ' -f39 /proc/self/stat)
	echo "smp: $2 cpu$1 result=$r ran_on=$on"
}

for c in $(seq 0 $last); do pinned "$c" pinned; done

for c in $(seq 1 $last); do echo 0 >$cpus/cpu$c/online || echo "smp: offline cpu$c failed"; done
echo "smp: offlined online=$(cat $cpus/online)"
for c in $(seq 1 $last); do echo 1 >$cpus/cpu$c/online || echo "smp: online cpu$c failed"; done
echo "smp: onlined online=$(cat $cpus/online)"
for c in $(seq 0 $last); do pinned "$c" again; done

# Odd IPIs, sent from CPU 0.
apic() { sed -n "/^processor[[:space:]]*: $1\$/,/^\$/s/^apicid[[:space:]]*: //p" /proc/cpuinfo; }
target=$(apic $last)
taskset -c 0 ipiprobe sipi "$target" 0x10      # SIPI to a running CPU: ignored
pinned "$last" after-sipi
taskset -c 0 ipiprobe init 0x42                # INIT, SIPI, fixed to no CPU
taskset -c 0 ipiprobe sipi 0x42 0x10
taskset -c 0 ipiprobe fixed 0x42 0xf0
echo 0 >$cpus/cpu$last/online
taskset -c 0 ipiprobe init "$target"           # INIT to a parked CPU
laminactl status | grep "^cpu$last"_exits | sed 's/^/smp: parked /'
echo 1 >$cpus/cpu$last/online || echo "smp: online cpu$last after INIT failed"
pinned "$last" after-init
# NMIs the guest sends reach the guest (Linux logs them as unknown); with
# the target running work, Lamina takes none for its own.
before=$(dmesg | grep -c 'NMI received for unknown reason')
level=$(cut -f1 /proc/sys/kernel/printk)
dmesg -n 1 # keep the console quiet: Linux logs each unknown NMI
taskset -c "$last" cpuwork 30 >/dev/null &
taskset -c 0 ipiprobe nmi "$target" 200
wait
dmesg -n "$level"
after=$(dmesg | grep -c 'NMI received for unknown reason')
echo "smp: guest nmis delivered=$((after - before))"
echo "smp: final online=$(cat $cpus/online)"
laminactl status | grep -E '^(cpus|cpu[0-9]+_exits|ipi_emulated):' | sed 's/^/smp: status /'
