#!/bin/bash
# SMP boots under QEMU (TCG, AMD SVM + NPT, 4 CPUs): every CPU runs under
# Lamina and the guest drives them as on bare metal.
#
#   tests/system/smp.sh [--judge]   (--judge: check the last logs, no boots)
#
# Boots (serial logs in $BUILD/system/smp/<boot>.log), one at a time:
#   smp4     -smp 4, guest.test=smp,memprotect (guest/tests/smp.sh)
#   limit4   -smp 4 with Lamina's cpus=2: the two CPUs it leaves out are
#            hidden from the guest in the MADT
#   reboot4  -smp 4 with a scratch disk, QEMU restarts the machine on a
#            reset: the guest reboots (guest/tests/smpreboot.sh), then
#            sends an INIT IPI to the boot CPU, and powers off after the
#            third boot
# Tests (PASS/FAIL lines in $RESULTS/smp.txt):
#   smp/online        Lamina starts the 3 APs; the guest sees CPUs 0-3
#   smp/pinned        cpuwork pinned to each CPU ran there, same result
#   smp/offline-online  CPUs 1-3 offline and online again (INIT-SIPI-SIPI
#                     a second time), pinned work still right
#   smp/exits-per-cpu `laminactl status`: cpus: 4, every CPU counted exits
#   smp/bad-ipi       SIPI to a running CPU ignored, INIT/SIPI/fixed IPIs
#                     to an absent APIC ID dropped and counted, INIT to a
#                     parked CPU leaves it waiting for SIPI and the OS can
#                     start it again; Lamina reports no error
#   smp/guest-nmi     200 NMIs the guest sends to a busy CPU reach the guest
#                     (Lamina intercepts NMIs on SVM for its own kicks)
#   smp/memprotect    Lamina's memory is protected from every CPU
#   smp/poweroff      power-off with 4 CPUs running ends the run
#   smp/reboot        a reboot with 4 CPUs comes back up under Lamina
#   smp/init-bsp      an INIT IPI to the boot CPU restarts the machine (on
#                     bare metal the boot CPU restarts in the firmware),
#                     which comes back up under Lamina
#   smp/limit         cpus=2: Lamina runs 2 CPUs, the guest sees exactly
#                     those 2 (a CPU Lamina does not run never reaches it)
set -uo pipefail

. "$(dirname "$0")/lib.sh"
suite_init smp
TESTS="online pinned offline-online exits-per-cpu bad-ipi guest-nmi memprotect poweroff reboot init-bsp limit"

pass() { echo "PASS smp/$1" | tee -a "$out"; }
fail() { echo "FAIL smp/$1: $2" | tee -a "$out"; tail -n 25 "$SYS/$3.log" 2>/dev/null | sed 's/^/    | /'; }

if [ ! -s "$BUILD/lamina.elf" ] || [ ! -s "$BUILD/guest/initrd.img" ]; then
	for t in $TESTS; do echo "FAIL smp/$t: lamina.elf or the guest image did not build" | tee -a "$out"; done
	exit 0
fi

# boot NAME "LAMINA OPTIONS" "GUEST PARAMETERS" qemu-run args...
boot() {
	local name=$1 opts=$2 params=$3
	shift 3
	if ! tools/mkiso.sh -o "$SYS/$name.iso" -m lamina -l "$opts" -c "$params" \
		>"$SYS/$name.mkiso" 2>&1; then
		cp "$SYS/$name.mkiso" "$SYS/$name.log"
		echo 3 >"$SYS/$name.status"
		return
	fi
	tools/qemu-run.sh -i "$SYS/$name.iso" -l "$SYS/$name.log" "$@"
	echo $? >"$SYS/$name.status"
}

if [ "${1:-}" != --judge ]; then
	boot smp4 "" "guest.test=smp,memprotect guest.end=poweroff" -t 420 -s 4
	truncate -s 1M "$SYS/reboot4.img"
	boot reboot4 "" "guest.test=smpreboot guest.end=poweroff" -t 420 -s 4 --reboot \
		-d "$SYS/reboot4.img"
	boot limit4 "cpus=2" "guest.test=cpus,status guest.end=poweroff" -t 300 -s 4
fi

has() { grep -qE -- "$2" "$SYS/$1.log"; }
count() { grep -cE -- "$2" "$SYS/$1.log"; }
st() { cat "$SYS/$1.status" 2>/dev/null || echo 255; }
banner='lamina: cpus: 4 running under Lamina'

if has smp4 "$banner" && has smp4 '^smp: online=0-3 nproc=4'; then
	pass online
else
	fail online "Lamina did not start 4 CPUs or the guest does not see them" smp4
fi

# cpuwork 30 gives the same result everywhere: compare with CPU 0's.
ref=$(sed -n 's/^smp: pinned cpu0 result=\([0-9a-f]*\) .*/\1/p' "$SYS/smp4.log")
pinned_ok() { # PHASE: every CPU 0-3 ran it, on itself, with ref's result
	local c
	for c in 0 1 2 3; do
		has smp4 "^smp: $1 cpu$c result=$ref ran_on=$c\$" || return 1
	done
}
if [ -n "$ref" ] && has smp4 "$banner" && pinned_ok pinned; then
	pass pinned
else
	fail pinned "work pinned to each CPU did not run there with the same result" smp4
fi

if has smp4 "$banner" && has smp4 '^smp: offlined online=0$' &&
   has smp4 '^smp: onlined online=0-3$' && pinned_ok again && ! has smp4 'failed'; then
	pass offline-online
else
	fail offline-online "CPUs did not go offline and come back" smp4
fi

if has smp4 '^smp: status cpus: 4$' &&
   [ "$(count smp4 '^smp: status cpu[0-3]_exits: [1-9][0-9]* \(apic [0-9]+, running\)$')" = 4 ]; then
	pass exits-per-cpu
else
	fail exits-per-cpu "status does not show 4 running CPUs with exits each" smp4
fi

if has smp4 "$banner" && has smp4 '^smp: after-sipi cpu3 result='"$ref"' ran_on=3$' &&
   has smp4 '^smp: parked cpu3_exits: [0-9]+ \(apic 3, waiting for SIPI\)$' &&
   has smp4 '^smp: after-init cpu3 result='"$ref"' ran_on=3$' &&
   has smp4 '^smp: final online=0-3$' &&
   has smp4 '^smp: status ipi_emulated: .* [2-9][0-9]* to no CPU$' &&
   ! has smp4 'lamina: (error|PANIC)'; then
	pass bad-ipi
else
	fail bad-ipi "odd IPIs were not handled as bare hardware does" smp4
fi

n=$(sed -n 's/^smp: guest nmis delivered=\([0-9]*\)$/\1/p' "$SYS/smp4.log")
if has smp4 "$banner" && [ "${n:-0}" -ge 150 ] && has smp4 '^smp: final online=0-3$'; then
	pass guest-nmi
else
	fail guest-nmi "the guest's NMIs did not reach it (${n:-none} of 200 seen)" smp4
fi

if has smp4 "$banner" && has smp4 'memprobe: PASS'; then
	pass memprotect
else
	fail memprotect "memprotect failed with 4 CPUs" smp4
fi

if [ "$(st smp4)" = 0 ] && has smp4 "$banner" && has smp4 'reboot: Power down'; then
	pass poweroff
else
	fail poweroff "power-off with 4 CPUs did not end the run (status $(st smp4))" smp4
fi

if [ "$(st reboot4)" = 0 ] && has reboot4 '^smpreboot: first boot online=0-3, rebooting' &&
   has reboot4 '^smpreboot: second boot online=0-3, INIT' &&
   [ "$(count reboot4 "$banner")" = 3 ]; then
	pass reboot
else
	fail reboot "the reboot did not come back up under Lamina with 4 CPUs (status $(st reboot4))" reboot4
fi

if has reboot4 'lamina: warning: INIT to the boot CPU: resetting the machine' &&
   ! has reboot4 '^smpreboot: still running after the INIT' &&
   has reboot4 '^smpreboot: third boot online=0-3$'; then
	pass init-bsp
else
	fail init-bsp "an INIT to the boot CPU did not restart the machine under Lamina" reboot4
fi

if [ "$(st limit4)" = 0 ] && has limit4 'lamina: cpus: 2 running under Lamina' &&
   has limit4 'lamina: warning: 2 CPUs hidden from the guest \(0 failed to start, 2 beyond cpus=2\)' &&
   has limit4 '^cpus: online=0-1 nproc=2$' && has limit4 '^cpus: 2$'; then
	pass limit
else
	fail limit "cpus=2 on 4 CPUs: Lamina or the guest did not run exactly 2 (status $(st limit4))" limit4
fi
