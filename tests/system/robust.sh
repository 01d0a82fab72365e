#!/bin/bash
# Robustness boots under QEMU (TCG, AMD SVM + NPT): what Lamina does when
# things go wrong or the machine is not the plain one-CPU demo.
#
#   tests/system/robust.sh
#
# Boots (serial logs in $BUILD/system/robust/<boot>.log), two at a time:
#   fault    Lamina with selftest=fault: its own page fault must give the
#            crash report (exception, registers, backtrace), then a reset
#   smp2     two CPUs on SeaBIOS: both run under Lamina, the guest sees
#            both online and memprotect passes (4 CPUs: tests/system/smp.sh)
#   reboot   the guest reboots (ACPI/keyboard controller): the machine
#            resets as on bare metal (QEMU runs with -no-reboot and exits)
#   triple   the guest reboots by triple fault (reboot=t): Lamina reports
#            the guest's state and resets the machine
#   uefi     OVMF instead of SeaBIOS (GRUB-EFI loads Lamina), 2 CPUs: the
#            guest finds ACPI through the RSDP Lamina hands it (there is
#            none in the BIOS areas), starts both CPUs, powers the machine off
#   aesni    a CPU with AES-NI: Lamina's boot self-test runs the AES-NI XTS
#            path inside a save/restore of the guest's SIMD state, and the
#            guest's own SIMD work (fpstate) is intact
# Tests (PASS/FAIL lines in $RESULTS/robust.txt): robust/<boot>.
set -uo pipefail

. "$(dirname "$0")/lib.sh"
suite_init robust

pass() { echo "PASS robust/$1" | tee -a "$out"; }
fail() { echo "FAIL robust/$1: $2" | tee -a "$out"; tail -n 25 "$SYS/$1.log" 2>/dev/null | sed 's/^/    | /'; }
has() { grep -a -q -E -- "$2" "$SYS/$1.log"; }

AESNI_CPU=qemu64,+svm,+npt,+aes,+pclmulqdq,+ssse3,+sse4.1,+sse4.2

# boot NAME "LAMINA OPTS" "GUEST PARAMS" TIMEOUT [qemu-run args...]
boot() {
	local name=$1 opts=$2 params=$3 tmo=$4
	shift 4
	if ! tools/mkiso.sh -o "$SYS/$name.iso" -m lamina -l "$opts" -c "$params" \
		>"$SYS/$name.mkiso" 2>&1; then
		cp "$SYS/$name.mkiso" "$SYS/$name.log"
		echo 3 >"$SYS/$name.status"
		return
	fi
	tools/qemu-run.sh -i "$SYS/$name.iso" -l "$SYS/$name.log" -t "$tmo" "$@"
	echo $? >"$SYS/$name.status"
}

if [ ! -s "$BUILD/lamina.elf" ] || [ ! -s "$BUILD/guest/initrd.img" ]; then
	for t in fault smp2 reboot triple uefi aesni; do
		echo "FAIL robust/$t: lamina.elf or the guest image did not build" | tee -a "$out"
	done
	exit 0
fi

boot fault "selftest=fault" "" 90 &
boot smp2 "" "guest.test=cpus,memprotect guest.end=poweroff" 300 -s 2 &
wait
boot reboot "" "guest.test=reboot" 180 &
boot triple "" "reboot=t guest.test=reboot" 180 &
wait
boot uefi "" "guest.test=status,cpus guest.end=poweroff" 240 --uefi -s 2 &
boot aesni "" "guest.test=fpstate,cpuwork guest.end=poweroff" 240 --cpu "$AESNI_CPU" &
wait

st() { cat "$SYS/$1.status" 2>/dev/null || echo 255; }

# A reset under -no-reboot ends QEMU with status 0; 124 is the timeout.
if [ "$(st fault)" = 0 ] && has fault 'PANIC: CPU exception 14 \(#PF' &&
   has fault 'faulting address \(cr2\)' && has fault 'rip [0-9a-f]{16} rsp' &&
   has fault 'backtrace: [0-9a-f]{16}' && has fault 'resetting|lamina: +\(decode with'; then
	pass fault
else
	fail fault "no complete crash report followed by a reset (status $(st fault))"
fi

if [ "$(st smp2)" = 0 ] && has smp2 'lamina: cpus: 2 running under Lamina' &&
   has smp2 '^cpus: online=0-1 nproc=2' && has smp2 'memprobe: PASS'; then
	pass smp2
else
	fail smp2 "the guest does not run both CPUs under Lamina, or memprotect failed (status $(st smp2))"
fi

if [ "$(st reboot)" = 0 ] && has reboot 'lamina-guest: rebooting' &&
   ! has reboot 'lamina: error'; then
	pass reboot
else
	fail reboot "the guest's reboot did not reset the machine cleanly (status $(st reboot))"
fi

if [ "$(st triple)" = 0 ] && has triple 'lamina: error: guest triple fault' &&
   has triple 'guest rip [0-9a-f]{16}' && has triple 'cr0 [0-9a-f]+ cr2' &&
   has triple 'lamina: resetting the machine'; then
	pass triple
else
	fail triple "no guest state report and reset on a triple fault (status $(st triple))"
fi

if [ "$(st uefi)" = 0 ] && has uefi '^backend: svm' && has uefi 'reboot: Power down' &&
   has uefi 'lamina: cpus: 2 running under Lamina' && has uefi '^cpus: online=0-1 nproc=2'; then
	pass uefi
else
	fail uefi "no ACPI power-off or not both CPUs under UEFI (status $(st uefi))"
fi

if [ "$(st aesni)" = 0 ] && has aesni 'crypto: XTS self-test passed, aesni path' &&
   has aesni 'guest-test fpstate: end rc=0' && has aesni 'cpuwork: result='; then
	pass aesni
else
	fail aesni "AES-NI self-test or guest SIMD state check failed (status $(st aesni))"
fi
exit 0
