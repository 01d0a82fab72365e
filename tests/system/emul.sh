#!/bin/bash
# Emulation of trapped device registers under QEMU (TCG, AMD SVM + NPT):
# Lamina traps every guest access to the local APIC page and to the CMOS
# ports (trap=mmio:0xfee00000 trap=io:0x70-0x71), decodes the guest's
# instruction and performs the access against the real device.  Without
# the MMIO/I/O emulation the guest would not boot at all (every timer
# tick and EOI goes through it).
#
#   tests/system/emul.sh
#
# Boots (serial logs in $BUILD/system/emul/<boot>.log), one at a time:
#   emul      trap= on the APIC and CMOS; guest tests emul (mmioprobe,
#             RTC, hwclock, APIC timer, exit rates), status, memprotect,
#             cpuwork; the guest powers off
#   badtrap   trap=mmio:0x123 (not page-aligned): a clear error
# Tests (PASS/FAIL lines in $RESULTS/emul.txt):
#   emul/apic-mmio    the guest ran with its APIC trapped: exits_mmio > 0,
#                     still growing when idle (timer, EOI), and mmioprobe's
#                     emulated reads agree
#   emul/cmos-io      RTC reads through trapped ports: exits_io > 0,
#                     /proc/driver/rtc and hwclock work
#   emul/fallback     an instruction Lamina does not emulate (bt) passes
#                     through to the device and is counted
#   emul/guest-tests  status, memprotect and cpuwork still pass; power-off
#   emul/bad-option   a bad trap= value stops Lamina with an error
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
RESULTS=${RESULTS:-$BUILD/results}
SYS=$BUILD/system/emul
mkdir -p "$SYS" "$RESULTS"
out=$RESULTS/emul.txt
: >"$out"

pass() { echo "PASS emul/$1" | tee -a "$out"; }
fail() { echo "FAIL emul/$1: $2" | tee -a "$out"; tail -n 25 "$SYS/$3.log" 2>/dev/null | sed 's/^/    | /'; }
has() { grep -a -q -E -- "$2" "$SYS/$1.log"; }
st() { cat "$SYS/$1.status" 2>/dev/null || echo 255; }

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

TESTS="apic-mmio cmos-io fallback guest-tests bad-option"
if [ ! -s "$BUILD/lamina.elf" ] || [ ! -s "$BUILD/guest/initrd.img" ]; then
	for t in $TESTS; do
		echo "FAIL emul/$t: lamina.elf or the guest image did not build" | tee -a "$out"
	done
	exit 0
fi

boot emul "trap=mmio:0xfee00000 trap=io:0x70-0x71" \
	"guest.test=emul,status,memprotect,cpuwork guest.end=poweroff" 360
boot badtrap "trap=mmio:0x123" "guest.end=poweroff" 90 --until 'lamina: error:'

banner='lamina: Lamina v'
if [ "$(st emul)" = 0 ] && has emul "$banner" &&
   has emul 'trapping guest MMIO 0xfee00000-0xfee00fff' &&
   has emul '^exits_mmio: [1-9]' && has emul 'emul: idle exits per second: mmio [1-9]' &&
   has emul 'mmioprobe: PASS'; then
	pass apic-mmio
else
	fail apic-mmio "APIC accesses not trapped and emulated, or the guest misread them (status $(st emul))" emul
fi

if has emul "$banner" && has emul 'trapping guest I/O ports 0x70-0x71' &&
   has emul '^exits_io: [1-9]' && has emul '^emul_io: [1-9][0-9]* reads, [1-9]' &&
   has emul 'emul: rtc: rtc_time ?: [0-9]{2}:[0-9]{2}:[0-9]{2}' &&
   has emul 'emul: hwclock: [A-Za-z0-9]'; then
	pass cmos-io
else
	fail cmos-io "CMOS port accesses not trapped, or the RTC stopped working" emul
fi

if has emul "$banner" && has emul '^emul_unsupported: [1-9][0-9]* \([1-9][0-9]* passed through\)' &&
   has emul 'lamina: warning: cannot emulate the guest.s instruction' &&
   has emul 'mmioprobe: .* bt0 [01] bt4 [01]$'; then
	pass fallback
else
	fail fallback "the unemulated bt did not pass through, or was not counted" emul
fi

if [ "$(st emul)" = 0 ] && has emul "$banner" && has emul 'guest-test status: end rc=0' &&
   has emul 'guest-test memprotect: end rc=0' && has emul 'guest-test cpuwork: end rc=0' &&
   has emul 'lamina-guest: powering off' && ! has emul 'lamina: error'; then
	pass guest-tests
else
	fail guest-tests "guest tests failed or no power-off under trapping (status $(st emul))" emul
fi

if has badtrap "lamina: error: bad value in option 'trap=mmio:0x123'" &&
   has badtrap 'lamina: error: bad options'; then
	pass bad-option
else
	fail bad-option "trap=mmio:0x123 was not refused clearly" badtrap
fi
exit 0
