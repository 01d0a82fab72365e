#!/bin/bash
# Emulation of trapped device registers under QEMU (TCG, AMD SVM + NPT):
# Lamina traps every guest access to the local APIC page and to the CMOS
# ports (trap=mmio:0xfee00000 trap=io:0x70-0x71), decodes the guest's
# instruction and performs the access against the real device.  Without
# the MMIO/I/O emulation the guest would not boot at all (every timer
# tick and EOI goes through it).
#
#   tests/system/emul.sh          QEMU boots, results in $RESULTS/emul.txt
#   tests/system/emul.sh --vmx    the same under Bochs VT-x (one boot,
#                                 vmx-emul, ~3 min), in $RESULTS/emul-vmx.txt
#   --judge                       re-check the last logs without booting
#
# Boots (serial logs in $BUILD/system/emul/<boot>.log), one at a time:
#   emul      trap= on the APIC and CMOS; guest tests emul (mmioprobe,
#             RTC, hwclock, APIC timer, exit rates), status, memprotect,
#             cpuwork; the guest powers off
#   emulw     trap=mmio-writes:0xfee00000: the APIC page read-only, only
#             its writes trapped; guest tests emul, status
#   badtrap   trap=mmio:0x123 (not page-aligned): a clear error
# Tests (PASS/FAIL lines in $RESULTS/emul.txt):
#   emul/apic-mmio    the guest ran with its APIC trapped: exits_mmio > 0,
#                     still growing when idle (timer, EOI), and mmioprobe's
#                     emulated reads agree
#   emul/cmos-io      RTC reads through trapped ports: exits_io > 0,
#                     /proc/driver/rtc and hwclock work, and ioprobe's
#                     REP INSB / OUTSB (decoded by Lamina) agree with IN;
#                     word writes at 0x6f reaching into the trapped index
#                     port go through Lamina's handler (all 100 counted)
#   emul/fallback     an instruction Lamina does not emulate (an SSE movd)
#                     passes through to the device and is counted
#   emul/guest-tests  status, memprotect and cpuwork still pass; power-off
#   emul/apic-writes  with only writes trapped, the guest's reads go to the
#                     APIC directly (no emulated reads), writes are emulated
#   emul/bad-option   a bad trap= value stops Lamina with an error
#   emul/fast-path    the MMIO exit's shortcuts worked in the emul boot: at
#                     least 90% of the trapped instructions came from the
#                     per-vCPU decode memo (emul_decodes_remembered), and at
#                     most 1% of the operands needed a walk of the guest's
#                     page tables (SVM reports the fault's kind itself)
# --vmx judges emul-vmx/apic-mmio, cmos-io, fallback and guest-tests
# (status and memprotect only: cpuwork is slow under Bochs).
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
RESULTS=${RESULTS:-$BUILD/results}
SYS=$BUILD/system/emul
vmx=0 judge=0
for a in "$@"; do
	case "$a" in
	--vmx) vmx=1 ;;
	--judge) judge=1 ;;
	*) echo "usage: $0 [--vmx] [--judge]" >&2; exit 2 ;;
	esac
done
mkdir -p "$SYS" "$RESULTS"
suite=emul
[ "$vmx" = 1 ] && suite=emul-vmx
# One run at a time per tree: the boots share $SYS (several people or make
# invocations may start the suite at once).
exec 9>"$SYS/.lock"
if ! flock -n 9; then
	echo "$suite: another run holds $SYS/.lock; waiting"
	flock 9
fi
out=$RESULTS/$suite.txt
: >"$out"

pass() { echo "PASS $suite/$1" | tee -a "$out"; }
fail() { echo "FAIL $suite/$1: $2" | tee -a "$out"; tail -n 25 "$SYS/$3.log" 2>/dev/null | sed 's/^/    | /'; }
has() { grep -a -q -E -- "$2" "$SYS/$1.log"; }
st() { cat "$SYS/$1.status" 2>/dev/null || echo 255; }

# boot NAME "LAMINA OPTS" "GUEST PARAMS" TIMEOUT [runner args...]
boot() {
	local name=$1 opts=$2 params=$3 tmo=$4 runner=tools/qemu-run.sh
	shift 4
	[ "$judge" = 1 ] && return
	[ "$vmx" = 1 ] && runner=tools/bochs-run.sh
	if ! tools/mkiso.sh -o "$SYS/$name.iso" -m lamina -l "$opts" -c "$params" \
		>"$SYS/$name.mkiso" 2>&1; then
		cp "$SYS/$name.mkiso" "$SYS/$name.log"
		echo 3 >"$SYS/$name.status"
		return
	fi
	"$runner" -i "$SYS/$name.iso" -l "$SYS/$name.log" -t "$tmo" "$@"
	echo $? >"$SYS/$name.status"
}

TESTS="apic-mmio cmos-io fallback guest-tests apic-writes bad-option fast-path"
[ "$vmx" = 1 ] && TESTS="apic-mmio cmos-io fallback guest-tests"
if [ ! -s "$BUILD/lamina.elf" ] || [ ! -s "$BUILD/guest/initrd.img" ]; then
	for t in $TESTS; do
		echo "FAIL $suite/$t: lamina.elf or the guest image did not build" | tee -a "$out"
	done
	exit 0
fi

TRAPS="trap=mmio:0xfee00000 trap=io:0x70-0x71"
if [ "$vmx" = 1 ]; then
	e=vmx-emul
	boot $e "$TRAPS" "guest.test=emul,status,memprotect guest.end=poweroff" 900 \
		--until 'lamina: .*(resetting the machine|halting)|PANIC' --grace 2
	guest_tests="status memprotect"
else
	e=emul
	# Two CPUs: the SMP INIT/SIPI emulation takes over the trapped APIC page.
	boot $e "$TRAPS" "guest.test=emul,status,memprotect,cpuwork,cpus guest.end=poweroff" 360 -s 2
	boot emulw "trap=mmio-writes:0xfee00000" "guest.test=emul,status,cpus guest.end=poweroff" 300 -s 2
	boot badtrap "trap=mmio:0x123" "guest.end=poweroff" 90 --until 'lamina: error:'
	guest_tests="status memprotect cpuwork"
fi

# On SVM with 2 CPUs the INIT/SIPI emulation takes the trapped page over.
smp_takeover() {
	[ "$vmx" = 1 ] || { has $e 'now handled by apic' && has $e '^cpus: online=0-1 nproc=2'; }
}

banner='lamina: Lamina v'
if [ "$(st $e)" = 0 ] && has $e "$banner" &&
   has $e 'trapping guest MMIO 0xfee00000-0xfee00fff' && smp_takeover &&
   has $e '^exits_mmio: [1-9]' && has $e 'emul: idle exits per second: mmio [1-9]' &&
   has $e 'mmioprobe: PASS'; then
	pass apic-mmio
else
	fail apic-mmio "APIC accesses not trapped and emulated, or the guest misread them (status $(st $e))" $e
fi

if has $e "$banner" && has $e 'trapping guest I/O ports 0x70-0x71' &&
   has $e '^exits_io: [1-9]' && has $e '^emul_io: [1-9][0-9]* reads, [1-9]' &&
   has $e 'emul: rtc: rtc_time ?: [0-9]{2}:[0-9]{2}:[0-9]{2}' &&
   has $e 'emul: hwclock: [A-Za-z0-9]' && has $e 'ioprobe: PASS' &&
   has $e 'ioprobe: straddle 100 word writes, .*PASS' &&
   has $e 'emul: straddling writes counted: ([1-9][0-9]{2,})$'; then
	pass cmos-io
else
	fail cmos-io "CMOS port accesses not trapped, or the RTC stopped working" $e
fi

if has $e "$banner" && has $e '^emul_unsupported: [1-9][0-9]* \([1-9][0-9]* passed through\)' &&
   has $e 'lamina: warning: cannot emulate the guest.s instruction' &&
   has $e 'mmioprobe: .* sse [0-9a-f]{8}$' && has $e 'mmioprobe: PASS'; then
	pass fallback
else
	fail fallback "the unemulated SSE read did not pass through, or was not counted" $e
fi

ok=1
for t in $guest_tests; do has $e "guest-test $t: end rc=0" || ok=0; done
if [ "$(st $e)" = 0 ] && [ "$ok" = 1 ] && has $e "$banner" &&
   has $e 'lamina-guest: powering off' && ! has $e 'lamina: error'; then
	pass guest-tests
else
	fail guest-tests "guest tests failed or no power-off under trapping (status $(st $e))" $e
fi

[ "$vmx" = 1 ] && exit 0
if [ "$(st emulw)" = 0 ] && has emulw "$banner" &&
   has emulw 'trapping guest MMIO writes 0xfee00000-0xfee00fff' &&
   has emulw '^exits_mmio: [1-9]' && has emulw '^emul_mmio: 0 reads, [1-9]' &&
   has emulw 'mmioprobe: PASS' && has emulw 'guest-test status: end rc=0' &&
   has emulw 'lamina-guest: powering off' && ! has emulw 'lamina: error'; then
	pass apic-writes
else
	fail apic-writes "writes-only trapping of the APIC failed (status $(st emulw))" emulw
fi

# The last status the emul boot printed.
last() { grep -a -E "^$2: [0-9]+" "$SYS/$1.log" | tail -n 1 | sed -E 's/^[^:]*: ([0-9]+).*/\1/'; }
exits=$(last $e exits_mmio) memo=$(last $e emul_decodes_remembered) walks=$(last $e emul_operand_walks)
if [ "${exits:-0}" -ge 1000 ] && [ $((${memo:-0} * 10)) -ge $((exits * 9)) ] &&
   [ $((${walks:-$exits} * 100)) -le "$exits" ]; then
	pass fast-path
else
	fail fast-path "of ${exits:-no} MMIO exits ${memo:-none} decoded from the memo, ${walks:-unknown} operands walked" $e
fi

if has badtrap "lamina: error: bad value in option 'trap=mmio:0x123'" &&
   has badtrap 'lamina: error: bad options'; then
	pass bad-option
else
	fail bad-option "trap=mmio:0x123 was not refused clearly" badtrap
fi
exit 0
