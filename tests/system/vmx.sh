#!/bin/bash
# VT-x system tests: boot BIOS -> GRUB -> Lamina -> Linux under Bochs 2.7
# with an Intel CPU model (tools/bochs-run.sh) and check the serial console.
#
#   tests/system/vmx.sh [--judge] [--bench]
#
# One boot, `vmx-lamina` (log $BUILD/system/vmx-lamina.log): a machine with
# two CPUs, Lamina with the guest tests cpus, status, mtrr and memprotect; the
# guest powers off.  (No `log` test: Bochs's UART drains at
# the emulated baud rate, and a long dump right before the power-off loses
# the last lines.)
# --judge re-checks the existing log without booting.
# --bench (make bench-vmx) boots `vmx-bench` instead: the guest idles 5 s,
# works (cpuwork), then shows its status, on one CPU; prints Lamina's exits by reason
# and the idle/load exit rates (counts are what Bochs measures well; its
# wall-clock ratios are noisy).  No PASS/FAIL lines.
# Tests (one PASS/FAIL line each in $RESULTS/vmx.txt):
#   vmx/boot        Lamina chose VT-x with EPT, the guest reached userspace
#   vmx/status      laminactl status shows backend vmx, paging ept, exits
#   vmx/smp         Lamina runs CPU 1 under VT-x too: it started it, left it
#                   in the wait-for-SIPI state, the guest's INIT to it was
#                   absorbed at the APIC (it already waits; Bochs 2.7 would
#                   never clear an INIT that exits, docs/smp.md) and its
#                   startup IPI reached it as a SIPI exit; the guest runs
#                   both CPUs (cpus: online=0-1), status shows `cpus: 2` and
#                   exits on CPU 1, and Lamina reports no error
#   vmx/ept-types   EPT leaves carry the MTRRs' memory types: Lamina's log
#                   and status show the firmware's UC ranges (VGA and ROMs,
#                   the 3-4 GiB MMIO hole); the guest adds a write-through
#                   MTRR range through /proc/mtrr (guest test mtrr) and
#                   removes it, and the EPT types follow both changes
#   vmx/memprotect  the guest cannot read or write Lamina's memory
#   vmx/poweroff    the guest powered the machine off and Bochs exited
#   vmx/chain       boot=chain, a second short boot (vmx-chain): GRUB on disk
#                   0 loads Lamina alone, which starts BIOS drive 0x81's boot
#                   sector in real mode (unrestricted guest); that sector is
#                   tests/system/biosprobe.S and must see Lamina's region
#                   reserved in E820
#   vmx/chain-guest boot=chain into a guest disk with its own GRUB, kernel and
#                   initramfs (vmx-chain-guest): status answers with vmx,
#                   memprotect passes, the guest's map reserves exactly
#                   Lamina's region
set -uo pipefail

cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
RESULTS=${RESULTS:-$BUILD/results}
SYS=$BUILD/system
# Generous: ~2-4 minutes on an idle machine, much more on a loaded one.
TIMEOUT=${VMX_TIMEOUT:-1500}
judge=0 bench=0
for a in "$@"; do
	case "$a" in
	--judge) judge=1 ;;
	--bench) bench=1 ;;
	*) echo "usage: $0 [--judge] [--bench]" >&2; exit 2 ;;
	esac
done

mkdir -p "$SYS" "$RESULTS"
t_start=$(date +%s)
name=vmx-lamina
# memprotect last: short lines for the UART to drain before the power-off.
tests=cpus,status,mtrr,memprotect
cpus=2
out=$RESULTS/vmx.txt
if [ "$bench" = 1 ]; then
	name=vmx-bench
	cpus=1
	# cpuwork last: it gives the UART time to drain the status lines
	# before the power-off (see above).
	tests=exits-idle,exits-load,status,cpuwork
	out=/dev/null
fi
: >"$out"
log=$SYS/$name.log

pass() { echo "PASS vmx/$1" | tee -a "$out"; }
fail() { echo "FAIL vmx/$1: $2" | tee -a "$out"; }

status=
if [ "$judge" = 1 ]; then
	status=$(cat "$SYS/$name.status" 2>/dev/null || echo "missing: no earlier boot to judge")
elif [ ! -s "$BUILD/lamina.elf" ]; then
	status="missing: $BUILD/lamina.elf does not build"
elif [ ! -s "$BUILD/guest/vmlinuz" ] || [ ! -s "$BUILD/guest/initrd.img" ]; then
	status="missing: the guest image did not build (make guest)"
elif ! tools/mkiso.sh -o "$SYS/$name.iso" -m lamina \
	-c "guest.test=$tests guest.end=poweroff" >"$SYS/$name.mkiso" 2>&1; then
	cp "$SYS/$name.mkiso" "$log"
	status=3
else
	echo "vmx: booting $name under Bochs, $cpus CPUs (timeout $TIMEOUT s)"
	tools/bochs-run.sh -i "$SYS/$name.iso" -l "$log" -t "$TIMEOUT" -s "$cpus" \
		--stamp 'lamina: starting the guest' --stamp 'lamina-guest: userspace up' \
		--until 'lamina: .*(resetting the machine|halting)|PANIC' --grace 2
	status=$?
	# 2: bochs-run could not start Bochs (packages missing, not root).
	[ "$status" = 2 ] && status="missing: Bochs did not start: $(tail -n 2 "$log.stderr" 2>/dev/null | tr '\n' ' ')(packages bochs bochsbios vgabios)"
	echo "$status" >"$SYS/$name.status"
	echo "vmx: $name finished with status $status ($(tail -n 1 "$log.stderr" 2>/dev/null))"
fi

# A boot that did not run, timed out or stopped early fails every test.
usable() {
	case "$status" in
	missing:*) fail "$1" "${status#missing: }"; return 1 ;;
	124)
		fail "$1" "the boot timed out after $TIMEOUT s (log $log); its last 30 lines:"
		tail -n 30 "$log" | sed 's/^/    | /'
		return 1 ;;
	3)
		if [ ! -s "$log.stderr" ]; then
			fail "$1" "could not build the ISO:"
			tail -n 10 "$log" | sed 's/^/    | /'
			return 1
		fi ;;
	esac
	return 0
}

section() {
	sed -n "/^guest-test $1: begin/,/^guest-test $1: end/p" "$log"
}
section_rc() {
	sed -n "s/^guest-test $1: end rc=\([0-9]*\).*/\1/p" "$log" | tail -n 1
}
has() { grep -qaE -- "$1" "$log"; }

problems=()
want() { problems+=("$1"); }
verdict() {
	if [ ${#problems[@]} -eq 0 ]; then
		pass "$1"
	else
		local IFS=';'
		fail "$1" "${problems[*]}"
		echo "    (log: $log)"
		# Lamina's own report of a failure says what went wrong.
		grep -aE '^lamina: (error|  )|check failed|PANIC' "$log" | head -n 40 | sed 's/^/    | /'
	fi
	problems=()
}

lamina_ran() {
	has 'lamina: Lamina v' || want "no Lamina banner 'lamina: Lamina v'"
}

test_boot() {
	usable boot || return
	lamina_ran
	has '^lamina: backend: vmx, nested paging ept' ||
		want "no 'lamina: backend: vmx, nested paging ept' line"
	has '^lamina-guest: userspace up' || want "the guest never reached userspace"
	verdict boot
}

test_status() {
	local s rc n
	usable status || return
	lamina_ran
	s=$(section status)
	rc=$(section_rc status)
	[ -n "$s" ] || want "guest test 'status' did not run"
	[ "$rc" = 0 ] || want "laminactl status exited with '${rc:-none}'"
	grep -q '^backend: vmx' <<<"$s" || want "no 'backend: vmx'"
	grep -q '^paging: ept' <<<"$s" || want "no 'paging: ept'"
	n=$(sed -n 's/^exits_total: *\([0-9]*\).*/\1/p' <<<"$s" | head -n 1)
	[ -n "$n" ] && [ "$n" -gt 0 ] || want "exits_total is '${n:-missing}', not > 0"
	grep -q '^exits_cpuid' <<<"$s" || want "no 'exits_cpuid' line"
	verdict status
}

# status_value NAME: the number on the `NAME: N` line of laminactl status.
status_value() {
	section status | sed -n "s/^$1: *\([0-9]*\).*/\1/p" | head -n 1
}

test_smp() {
	local n
	usable smp || return
	lamina_ran
	has '^lamina: cpus: 2 running under Lamina' || want "Lamina did not start the second CPU"
	n=$(status_value cpus)
	[ "$n" = 2 ] || want "laminactl status shows 'cpus: ${n:-missing}', not 2"
	section status | grep -qE '^cpu1_exits: [1-9][0-9]* ' || want "no exits counted on CPU 1"
	n=$(status_value exits_sipi)
	[ -n "$n" ] && [ "$n" -ge 1 ] || want "exits_sipi is '${n:-missing}': no startup IPI reached CPU 1"
	section status | grep -qE '^ipi_emulated: [1-9][0-9]* init, 0 sipi' ||
		want "the guest's INIT was not absorbed, or Lamina emulated a SIPI (VT-x takes SIPIs itself)"
	has '^cpus: online=0-1 nproc=2' || want "the guest does not run on both CPUs"
	! has '^lamina: error' || want "Lamina reported an error"
	verdict smp
}

# The memory types as Lamina's start-up line, the status and the guest's
# mtrr test show them (Bochs's BIOS: VGA and ROMs UC, the hole UC).
test_ept_types() {
	local s before added removed
	usable ept-types || return
	lamina_ran
	has '^lamina: EPT memory types: UC 0xa0000-0x[b-f]ffff, .*UC 0xc0000000-0xffffffff.*, default WB' ||
		want "no start-up line 'EPT memory types: UC 0xa0000-..., UC 0xc0000000-0xffffffff, default WB'"
	section status | grep -q '^ept_memory_types: UC 0xa0000-.*UC 0xc0000000-0xffffffff' ||
		want "laminactl status shows no ept_memory_types with the VGA and hole UC ranges"
	s=$(section mtrr)
	[ "$(section_rc mtrr)" = 0 ] || want "guest test mtrr exited with '$(section_rc mtrr)': $(grep '^mtrr:' <<<"$s" | head -n 2)"
	before=$(sed -n 's/^before: ept_memory_types: \(.*\) ept_mtrr_writes: .*/\1/p' <<<"$s")
	added=$(sed -n 's/^added: ept_memory_types: \(.*\) ept_mtrr_writes: .*/\1/p' <<<"$s")
	removed=$(sed -n 's/^removed: ept_memory_types: \(.*\) ept_mtrr_writes: .*/\1/p' <<<"$s")
	[ -n "$before" ] || want "no 'before:' types from the guest"
	grep -q 'WT 0x2004000-0x2007fff' <<<"$added" ||
		want "after the guest's MTRR write the types are '${added:-missing}', without WT 0x2004000-0x2007fff"
	[ -n "$removed" ] && [ "$removed" = "$before" ] ||
		want "after removing the range the types are '${removed:-missing}', not '$before'"
	grep -qE '^added: .*ept_mtrr_writes: [1-9][0-9]* \(0 refused, [1-9]' <<<"$s" ||
		want "no counted MTRR writes that changed the types"
	verdict ept-types
}

test_memprotect() {
	local s rc
	usable memprotect || return
	lamina_ran
	s=$(section memprotect)
	rc=$(section_rc memprotect)
	[ -n "$s" ] || want "guest test 'memprotect' did not run"
	[ "$rc" = 0 ] || want "memprobe exited with '${rc:-none}'"
	grep -q 'found_lamina_strings=0$' <<<"$s" ||
		want "memprobe saw Lamina's strings (or did not finish reading)"
	grep -q 'memprobe: wrote 3 pages' <<<"$s" || want "memprobe did not write 3 pages"
	grep -q 'laminactl status after writes: ok' <<<"$s" ||
		want "laminactl status failed after the writes"
	has 'lamina: .*blocked' || want "Lamina logged no blocked guest access"
	verdict memprotect
}

test_poweroff() {
	usable poweroff || return
	lamina_ran
	# Bochs's UART drains at the emulated baud rate and `poweroff -f`
	# does not wait for it: the line may be cut short.
	has '^lamina-guest: pow' || want "the guest did not reach power-off"
	[ "$status" = 0 ] || want "bochs-run status $status, not 0 (Bochs did not exit by ACPI power-off)"
	verdict poweroff
}

# rate TEST: exits per guest second between the "again" and "end" samples
# of exits-idle / exits-load, less one sampling's own exits.
rate() {
	section "$1" | awk '
		/^sample begin exits_total=/ { split($0, a, "="); e0 = a[2] }
		/^sample again exits_total=/ { split($0, a, "="); e1 = a[2] }
		/^sample end exits_total=/   { split($0, a, "="); e2 = a[2] }
		/^sample again guest_uptime=/ { split($0, a, "="); u1 = a[2] }
		/^sample end guest_uptime=/   { split($0, a, "="); u2 = a[2] }
		END { r = u2 > u1 ? (e2 - e1 - (e1 - e0)) / (u2 - u1) : 0; if (r < 0) r = 0
		      if (u2 > u1) printf "%.1f exits/s over %.1f s", r, u2 - u1;
		      else printf "no samples" }'
}

if [ "$bench" = 1 ]; then
	if ! has '^exits_total: '; then
		echo "vmx-bench: no status from the guest (boot status $status, log $log)"
		tail -n 20 "$log" | sed 's/^/    | /'
		exit 1
	fi
	echo "vmx-bench: Lamina's exits under Bochs (VT-x), boot + 5 s idle + cpuwork:"
	section status | sed -n 's/^exits_\([a-z_]*\): *\([0-9]*\).*/\1 \2/p' |
		awk '{ printf "vmx-bench:   %-14s %10d\n", $1, $2 }'
	echo "vmx-bench: idle: $(rate exits-idle)"
	echo "vmx-bench: load: $(rate exits-load)"
	[ -s "$log.stamps" ] && sed -n 's/^\([0-9]*\)\t.*userspace up/\1/p' "$log.stamps" |
		awk '{ printf "vmx-bench: userspace after %.1f s (wall clock, noisy)\n", $1 / 1000 }'
	exit 0
fi

# vmx/chain: its own boot, from two disks.
chain_disks() {
	local o=$SYS/vmx-chain-probe.o bin=$SYS/vmx-chain-probe.bin
	tools/mkdisk.sh -o "$SYS/vmx-chain-lamina.img" -m lamina &&
		${CC:-cc} -c tests/system/biosprobe.S -o "$o" &&
		ld -Ttext=0x7c00 --oformat binary -e _start -o "$bin" "$o" &&
		cp "$bin" "$SYS/vmx-chain-probe.img" && truncate -s 1M "$SYS/vmx-chain-probe.img"
}

test_chain() {
	local cst base end size
	log=$SYS/vmx-chain.log
	if [ "$judge" = 1 ]; then
		cst=$(cat "$SYS/vmx-chain.status" 2>/dev/null || echo "missing: no earlier boot to judge")
	elif [ ! -s "$BUILD/lamina.elf" ]; then
		cst="missing: $BUILD/lamina.elf does not build"
	elif ! chain_disks >"$SYS/vmx-chain.mkdisk" 2>&1; then
		cst="missing: could not build the disks: $(tail -n 2 "$SYS/vmx-chain.mkdisk" | tr '\n' ' ')"
	else
		echo "vmx: booting vmx-chain under Bochs"
		tools/bochs-run.sh -d "$SYS/vmx-chain-lamina.img" -d "$SYS/vmx-chain-probe.img" \
			-l "$log" -t 600 --grace 2 \
			--until '^probe: end|lamina: .*(error|resetting the machine|halting)|PANIC'
		cst=$?
		[ "$cst" = 2 ] && cst="missing: Bochs did not start (packages bochs bochsbios vgabios)"
		echo "$cst" >"$SYS/vmx-chain.status"
	fi
	case "$cst" in
	missing:*) fail chain "${cst#missing: }"; return ;;
	124)
		fail chain "the boot timed out (log $log); its last 20 lines:"
		tail -n 20 "$log" | sed 's/^/    | /'
		return ;;
	esac
	lamina_ran
	has '^lamina: backend: vmx, nested paging ept' ||
		want "no 'lamina: backend: vmx, nested paging ept' line"
	has '^lamina: chain: booting BIOS drive 0x81' || want "Lamina did not chain-boot drive 0x81"
	has '^probe: end' || want "the probe boot sector did not run to its end"
	base=$(sed -n 's/^lamina: memory: 0x\([0-9a-f]*\)-0x\([0-9a-f]*\).*/\1/p' "$log" | head -n 1)
	end=$(sed -n 's/^lamina: memory: 0x\([0-9a-f]*\)-0x\([0-9a-f]*\).*/\2/p' "$log" | head -n 1)
	if [ -n "$base" ] && [ -n "$end" ]; then
		size=$(printf '%016x' $((0x$end - 0x$base)))
		has "^probe: e820 $(printf '%016x' $((0x$base))) $size 00000002" ||
			want "E820 (INT 15h) did not show Lamina's region $base-$end as reserved"
	else
		want "no 'lamina: memory: 0x...-0x...' line"
	fi
	verdict chain
}

# vmx/chain-guest: boot=chain into a whole guest disk (its own GRUB, kernel
# and initramfs): the guest runs under Lamina on VT-x, sees Lamina's region
# reserved, cannot reach it, and powers off.
test_chain_guest() {
	local cst mem
	log=$SYS/vmx-chain-guest.log
	if [ "$judge" = 1 ]; then
		cst=$(cat "$SYS/vmx-chain-guest.status" 2>/dev/null || echo "missing: no earlier boot to judge")
	elif [ ! -s "$BUILD/lamina.elf" ]; then
		cst="missing: $BUILD/lamina.elf does not build"
	elif ! { tools/mkdisk.sh -o "$SYS/vmx-chain-lamina.img" -m lamina &&
		 tools/mkdisk.sh -o "$SYS/vmx-chain-guest.img" -m guest \
			-c "guest.test=status,memprotect guest.end=poweroff"; } \
		>"$SYS/vmx-chain-guest.mkdisk" 2>&1; then
		cst="missing: could not build the disks: $(tail -n 2 "$SYS/vmx-chain-guest.mkdisk" | tr '\n' ' ')"
	else
		echo "vmx: booting vmx-chain-guest under Bochs (timeout $TIMEOUT s)"
		tools/bochs-run.sh -d "$SYS/vmx-chain-lamina.img" -d "$SYS/vmx-chain-guest.img" \
			-l "$log" -t "$TIMEOUT" --grace 2 \
			--until 'lamina: .*(error|resetting the machine|halting)|PANIC'
		cst=$?
		[ "$cst" = 2 ] && cst="missing: Bochs did not start (packages bochs bochsbios vgabios)"
		echo "$cst" >"$SYS/vmx-chain-guest.status"
	fi
	case "$cst" in
	missing:*) fail chain-guest "${cst#missing: }"; return ;;
	124)
		fail chain-guest "the boot timed out (log $log); its last 20 lines:"
		tail -n 20 "$log" | sed 's/^/    | /'
		return ;;
	esac
	lamina_ran
	has '^lamina: backend: vmx, nested paging ept' ||
		want "no 'lamina: backend: vmx, nested paging ept' line"
	has '^lamina: chain: booting BIOS drive 0x81' || want "Lamina did not chain-boot drive 0x81"
	has '^backend: vmx' || want "laminactl status did not answer with backend: vmx"
	has '^memprobe: PASS' || want "the memory-protection probe did not pass"
	mem=$(sed -n 's/^lamina: memory: 0x\([0-9a-f]*\)-0x\([0-9a-f]*\).*/\1 \2/p' "$log" | head -n 1)
	if [ -n "$mem" ]; then
		set -- $mem
		has "^memprobe: guest iomem 0*$1-0*$(printf '%x' $((0x$2 - 1))) : Reserved" ||
			want "the guest's memory map does not reserve exactly Lamina's region $1-$2"
	else
		want "no 'lamina: memory: 0x...-0x...' line"
	fi
	verdict chain-guest
}

test_boot
test_status
test_smp
test_ept_types
test_memprotect
test_poweroff
test_chain
test_chain_guest

if [ -s "$SYS/$name.log.stamps" ]; then
	while IFS=$'\t' read -r ms what; do
		echo "vmx: '$what' after $((ms / 1000)).$(( (ms % 1000) / 100 )) s"
	done <"$SYS/$name.log.stamps"
fi
echo "vmx: suite took $(( $(date +%s) - t_start )) s"
echo "vmx: $(grep -c '^PASS' "$out") passed, $(grep -c '^FAIL' "$out") failed"
! grep -q '^FAIL' "$out"
