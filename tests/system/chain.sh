#!/bin/bash
# Transparent boot (boot=chain) under QEMU (TCG, AMD SVM + NPT): GRUB on
# IDE disk 0 loads Lamina alone; Lamina virtualizes the CPU and lets the
# BIOS boot the next disk, which has its own GRUB, kernel and initramfs
# (tools/mkdisk.sh builds all the disks).
#
#   tests/system/chain.sh [--judge]
#
# Boots (serial logs in $BUILD/system/chain/<boot>.log), one at a time:
#   chain     disk 0 Lamina (default options), disk 1 the guest disk; the
#             guest runs status, memprotect, dmesg and powers off
#   bare      the guest disk alone, no Lamina (the firmware's E820 map)
#   nosig     disk 0 Lamina, disk 1 without a boot signature
#   nodrive   disk 0 Lamina with boot=chain:0x85 (no such drive), disk 1
#             the guest disk (must not be booted)
#   probe     disk 0 Lamina, disk 1 the boot sectors of biosprobe.S, which
#             print INT 12h, the INT 15h vector, E820, E801, 88h, the IVT,
#             BDA and EBDA, PIC masks, A20, COM1 and PIT channel 2
#   probe-grub  the same, with GRUB on disk 0 chain-loading disk 1 itself
#             (chainloader +1): the reference for what may differ
#   probe-bare  the probe disk alone (the firmware's own state)
#   fallback  disk 0 Lamina, disk 1 without a boot signature, disk 2 the
#             probe: the stub reports disk 1 and boots disk 2
#   readerr   disk 0 Lamina, disk 1 the probe behind QEMU's blkdebug,
#             which fails every read of sector 0
# Tests (PASS/FAIL lines in $RESULTS/chain.txt):
#   chain/boot chain/status chain/e820 chain/memprotect chain/poweroff
#   chain/no-signature chain/no-drive chain/read-error chain/fallback
#   chain/bios-view chain/no-leak
# --judge boots nothing and checks the logs of the last run.
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
RESULTS=${RESULTS:-$BUILD/results}
SYS=$BUILD/system/chain
judge=0
case "${1:-}" in
--judge) judge=1 ;;
"") ;;
*) echo "usage: $0 [--judge]" >&2; exit 2 ;;
esac

mkdir -p "$SYS" "$RESULTS"
exec 9>"$SYS/.lock"
if ! flock -n 9; then
	echo "chain: another run holds $SYS/.lock; waiting"
	flock 9
fi
out=$RESULTS/chain.txt
: >"$out"
t_start=$(date +%s)

pass() { echo "PASS chain/$1" | tee -a "$out"; }
fail() { echo "FAIL chain/$1: $2" | tee -a "$out"; }

GUEST_PARAMS="guest.test=status,memprotect,dmesg guest.end=poweroff"
declare -A status=()

# disk NAME MODE [mkdisk args...]: builds $SYS/NAME.img, or records why not.
disk() {
	local name=$1 mode=$2
	shift 2
	tools/mkdisk.sh -o "$SYS/$name.img" -m "$mode" "$@" >"$SYS/$name.mkdisk" 2>&1
}

# boot NAME TIMEOUT UNTIL DISK...: one QEMU run; its exit status in status[].
# A disk "blkdebug:NAME" is NAME behind QEMU's blkdebug with NAME.blkdebug.
boot() {
	local name=$1 tmo=$2 until=$3 args=() extra=() n=0
	shift 3
	for d in "$@"; do
		if [[ $d == blkdebug:* ]]; then
			d=${d#blkdebug:}
			extra+=(-drive "file=blkdebug:$SYS/$d.blkdebug:$SYS/$d.img,format=raw,if=ide,index=$n,media=disk")
		else
			args+=(-d "$SYS/$d.img")
		fi
		n=$((n + 1))
	done
	[ -n "$until" ] && args+=(--until "$until" --grace 2)
	echo "chain: booting $name ($*)"
	tools/qemu-run.sh -l "$SYS/$name.log" -t "$tmo" --stamp 'lamina-guest: userspace up' \
		"${args[@]}" ${extra[@]+-- "${extra[@]}"}
	status[$name]=$?
	echo "${status[$name]}" >"$SYS/$name.status"
}

missing=''
[ -s "$BUILD/lamina.elf" ] || missing="$BUILD/lamina.elf does not build"
[ -s "$BUILD/guest/vmlinuz" ] && [ -s "$BUILD/guest/initrd.img" ] ||
	missing="${missing:+$missing; }the guest image did not build (make guest)"

BOOTS=(chain bare nosig nodrive readerr fallback probe probe-grub probe-bare)

# The probe disk: biosprobe.S as its boot sector, 1 MiB in all.
probe_disk() {
	local o=$SYS/biosprobe.o
	${CC:-cc} -c tests/system/biosprobe.S -o "$o" &&
		ld -Ttext=0x7c00 --oformat binary -e _start -o "$SYS/biosprobe.bin" "$o" &&
		[ "$(stat -c %s "$SYS/biosprobe.bin")" = 2048 ] &&
		cp "$SYS/biosprobe.bin" "$SYS/probe.img" && truncate -s 1M "$SYS/probe.img" &&
		cp "$SYS/probe.img" "$SYS/readerr.img" &&
		printf '[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "0"\n' \
			>"$SYS/readerr.blkdebug"
} >"$SYS/probe.mkdisk" 2>&1
if [ -n "$missing" ]; then
	for b in "${BOOTS[@]}"; do status[$b]="missing: $missing"; done
elif [ "$judge" = 1 ]; then
	for b in "${BOOTS[@]}"; do status[$b]=$(cat "$SYS/$b.status" 2>/dev/null || echo "missing: not booted"); done
else
	# GRUB sets COM1 to 57600 baud before Lamina (115200) takes it: the
	# probe must see 57600 again.
	if disk lamina lamina --speed 57600 && disk lamina-0x85 lamina -l "boot=chain:0x85" &&
	   disk guest guest -c "$GUEST_PARAMS" && disk nosig nosig &&
	   disk grubchain chainload --speed 57600 && probe_disk; then
		boot chain 420 '' lamina guest
		boot bare 240 '' guest
		boot nosig 90 'lamina: error:' lamina nosig
		boot nodrive 90 'lamina: error:' lamina-0x85 guest
		boot readerr 90 'lamina: error:' lamina blkdebug:readerr
		boot fallback 90 '^probe: end' lamina nosig probe
		boot probe 90 '^probe: end' lamina probe
		boot probe-grub 60 '^probe: end' grubchain probe
		boot probe-bare 60 '^probe: end' probe
	else
		for b in "${BOOTS[@]}"; do
			status[$b]="missing: tools/mkdisk.sh failed: $(tail -n 1 "$SYS"/*.mkdisk | tr '\n' ' ')"
		done
	fi
fi

# ------------------------------------------------------------ helpers
LOG() { echo "$SYS/$1.log"; }
has() { grep -qaE -- "$2" "$(LOG "$1")"; }
line_of() { grep -naE -m1 -- "$2" "$(LOG "$1")" | cut -d: -f1; }
section() { sed -n "/^guest-test $2: begin/,/^guest-test $2: end/p" "$(LOG "$1")"; }
section_rc() { sed -n "s/^guest-test $2: end rc=\([0-9]*\).*/\1/p" "$(LOG "$1")" | tail -n 1; }

# usable BOOT TEST EXPECTED-STATUS...: the boot ran and ended as expected.
usable() {
	local b=$1 t=$2 st=${status[$1]:-"missing: not booted"}
	shift 2
	case "$st" in
	missing:*) fail "$t" "${st#missing: }"; return 1 ;;
	124)
		fail "$t" "boot '$b' timed out (log $(LOG "$b")); its last 20 lines:"
		tail -n 20 "$(LOG "$b")" | sed 's/^/    | /'
		return 1 ;;
	esac
	return 0
}

problems=()
want() { problems+=("$1"); }
verdict() {
	if [ ${#problems[@]} -eq 0 ]; then
		pass "$1"
	else
		local msg=${problems[0]} p
		for p in "${problems[@]:1}"; do msg="$msg; $p"; done
		fail "$1" "$msg"
		echo "    (log: $2)"
	fi
	problems=()
}

# "start end type" for each BIOS-e820 line the guest kernel logged.
e820_of() {
	section "$1" dmesg |
		sed -n 's/.*BIOS-e820: \[mem \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\)\] \(.*\)$/\1 \2 \3/p'
}
usable_bytes() {
	local s e t sum=0
	while read -r s e t; do
		[ "$t" = usable ] && sum=$((sum + e - s + 1))
	done
	echo "$sum"
}

# -------------------------------------------------------------- tests
test_boot() {
	local b=chain lb lg
	usable $b boot || return
	has $b 'lamina: Lamina v' || want "no Lamina banner"
	has $b 'lamina: .*backend:? svm' || want "no 'backend: svm' line"
	has $b 'lamina: chain: BIOS drives to try: 0x81 \(Lamina loaded from 0x80' ||
		want "Lamina did not plan to boot drive 0x81 after being loaded from 0x80"
	has $b '^lamina: chain: booting BIOS drive 0x81' || want "the stub did not boot drive 0x81"
	has $b '^lamina-guest: userspace up' || want "the guest never reached userspace"
	# Order: Lamina, then the guest disk's own GRUB, then the guest.
	lb=$(line_of $b 'lamina: Lamina v')
	lg=$(line_of $b 'grub: booting the guest from its own disk')
	if [ -z "$lg" ]; then
		want "the guest disk's GRUB did not run"
	elif [ -n "$lb" ] && [ "$lb" -gt "$lg" ]; then
		want "the guest's GRUB ran before Lamina"
	fi
	verdict boot "$(LOG $b)"
}

test_status() {
	local b=chain s
	usable $b status || return
	s=$(section $b status)
	[ -n "$s" ] || want "guest test 'status' did not run"
	[ "$(section_rc $b status)" = 0 ] || want "laminactl status exited with '$(section_rc $b status)'"
	grep -q '^backend: svm' <<<"$s" || want "no 'backend: svm'"
	grep -qE '^memory: 0x[0-9a-f]+-0x[0-9a-f]+' <<<"$s" || want "no 'memory: 0x...-0x...'"
	verdict status "$(LOG $b)"
}

# The guest's E820 reserves exactly Lamina's region; the only other change
# from the firmware's map is the stub's few KiB below 640 KiB.
test_e820() {
	local a z s e t found=0 bare_sum lam_sum extra
	usable chain e820 || return
	usable bare e820 || return
	read -r a z < <(section chain status | sed -n 's/^memory: \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\).*/\1 \2/p')
	if [ -z "${a:-}" ]; then
		want "no Lamina region in laminactl status"
		verdict e820 "$(LOG chain)"
		return
	fi
	[ -n "$(e820_of chain)" ] || want "no BIOS-e820 lines in the guest's dmesg under Lamina"
	[ -n "$(e820_of bare)" ] || want "no BIOS-e820 lines in the bare guest's dmesg"
	while read -r s e t; do
		if [ $((s)) -eq $((a)) ] && [ $((e)) -eq $((z - 1)) ] && [ "$t" = reserved ]; then
			found=1
		elif [ "$t" = usable ] && [ $((s)) -lt $((z)) ] && [ $((e)) -ge $((a)) ]; then
			want "usable range $s-$e overlaps Lamina's region $a-$z"
		fi
	done < <(e820_of chain)
	[ "$found" = 1 ] || want "no 'BIOS-e820: [mem $a-$(printf '0x%016x' $((z - 1)))] reserved' line"
	# In the firmware's own map the region is plain RAM.
	found=0
	while read -r s e t; do
		[ "$t" = usable ] && [ $((s)) -le $((a)) ] && [ $((e)) -ge $((z - 1)) ] && found=1
	done < <(e820_of bare)
	[ "$found" = 1 ] || want "the bare boot's map does not have Lamina's region as usable RAM"
	bare_sum=$(e820_of bare | usable_bytes)
	lam_sum=$(e820_of chain | usable_bytes)
	extra=$((bare_sum - lam_sum - (z - a)))
	if [ "$extra" -le 0 ] || [ "$extra" -gt 8192 ]; then
		want "usable RAM bare $bare_sum - under Lamina $lam_sum - region $((z - a)) = $extra bytes, expected the stub's 1..8192"
	fi
	verdict e820 "$(LOG chain) $(LOG bare)"
	echo "    Lamina's region $a-$z reserved; besides it the guest lost $extra bytes (the stub below 640 KiB)"
}

test_memprotect() {
	local b=chain s n
	usable $b memprotect || return
	s=$(section $b memprotect)
	[ -n "$s" ] || want "guest test 'memprotect' did not run"
	[ "$(section_rc $b memprotect)" = 0 ] || want "memprobe exited with '$(section_rc $b memprotect)'"
	grep -q 'found_lamina_strings=0$' <<<"$s" || want "memprobe saw Lamina's strings (or did not finish)"
	grep -q 'memprobe: wrote 3 pages' <<<"$s" || want "memprobe did not write 3 pages"
	grep -q 'laminactl status after writes: ok' <<<"$s" || want "laminactl status failed after the writes"
	n=$(sed -n 's/^memprobe: lamina guard_blocked_reads: *\([0-9]*\).*/\1/p' <<<"$s" | head -n 1)
	[ -n "$n" ] && [ "$n" -gt 0 ] || want "Lamina counted no blocked reads ('${n:-none}')"
	verdict memprotect "$(LOG $b)"
}

test_poweroff() {
	usable chain poweroff || return
	has chain '^lamina-guest: powering off' || want "the guest did not reach power-off"
	[ "${status[chain]}" = 0 ] || want "QEMU exit status ${status[chain]}, not 0 (powered off by itself)"
	verdict poweroff "$(LOG chain)"
}

# negative TEST BOOT MESSAGE: the message, then the halt line, no guest.
negative() {
	local t=$1 b=$2 msg=$3
	usable "$b" "$t" || return
	has "$b" "$msg" || want "no '$msg' line"
	has "$b" 'lamina: error: chain boot: no BIOS drive left to boot from; halting' ||
		want "no halt line"
	has "$b" 'lamina-guest: userspace up|grub: booting the guest' && want "a guest booted anyway"
	[ "${status[$b]}" = 125 ] || want "QEMU status ${status[$b]}: the halt line never came"
	verdict "$t" "$(LOG "$b")"
}

# A bad disk is reported, then the next one boots.
test_fallback() {
	local b=fallback l1 l2
	usable $b fallback || return
	l1=$(line_of $b 'lamina: chain: BIOS drive 0x81 has no boot signature')
	l2=$(line_of $b '^lamina: chain: booting BIOS drive 0x82')
	[ -n "$l1" ] || want "drive 0x81 was not reported"
	[ -n "$l2" ] || want "drive 0x82 was not booted"
	[ -n "$l1" ] && [ -n "$l2" ] && [ "$l1" -gt "$l2" ] && want "0x82 booted before 0x81 was tried"
	[ "$(probe_val $b drive)" = 00000082 ] || want "the boot sector got DL=$(probe_val $b drive), not 0x82"
	verdict fallback "$(LOG $b)"
}

# What a boot sector sees from the BIOS under Lamina, against bare.
probe_val() { sed -n "s/^probe: $2 //p" "$(LOG "$1")" | head -n 1; }
probe_e820() { sed -n 's/^probe: e820 \([0-9a-f]*\) \([0-9a-f]*\) \([0-9a-f]*\)$/\1 \2 \3/p' "$(LOG "$1")"; }
test_bios_view() {
	local a z s n t found=0 k kb sum=0 sumb=0 lowend='' ax bx cx dx bxb ext
	usable probe bios-view || return
	usable probe-bare bios-view || return
	read -r a z < <(sed -n 's/^lamina: memory: \(0x[0-9a-f]*\)-\(0x[0-9a-f]*\).*/\1 \2/p' "$(LOG probe)")
	if [ -z "${a:-}" ] || ! has probe '^probe: end' || ! has probe-bare '^probe: end'; then
		want "no Lamina region line, or a probe did not finish"
		verdict bios-view "$(LOG probe) $(LOG probe-bare)"
		return
	fi
	[ "$(probe_val probe drive)" = 00000081 ] || want "the boot sector got DL=$(probe_val probe drive), not 0x81"
	[ "$(probe_val probe-bare drive)" = 00000080 ] || want "bare: DL=$(probe_val probe-bare drive)"
	[ "$(probe_val probe ivt15)" != "$(probe_val probe-bare ivt15)" ] ||
		want "INT 15h is not hooked under Lamina"
	while read -r s n t; do
		s=$((16#$s)) n=$((16#$n)) t=$((16#$t))
		[ "$s" = $((a)) ] && [ "$n" = $((z - a)) ] && [ "$t" = 2 ] && found=1
		if [ "$t" = 1 ]; then
			sum=$((sum + n))
			[ "$s" -lt $((z)) ] && [ $((s + n)) -gt $((a)) ] &&
				want "E820 usable $(printf '%x+%x' "$s" "$n") overlaps Lamina's region"
			[ "$s" = 0 ] && lowend=$n
		fi
	done < <(probe_e820 probe)
	while read -r s n t; do
		[ "$((16#$t))" = 1 ] && sumb=$((sumb + 16#$n))
	done < <(probe_e820 probe-bare)
	[ "$found" = 1 ] || want "E820 has no reserved entry for exactly Lamina's region $a-$z"
	k=$((16#$(probe_val probe int12))) kb=$((16#$(probe_val probe-bare int12)))
	[ -n "$lowend" ] && [ $((k * 1024)) -ge "$lowend" ] && [ $((k * 1024 - lowend)) -lt 1024 ] ||
		want "INT 12h ($k KiB) and E820's first RAM entry (${lowend:-none} bytes) disagree"
	[ "$k" -lt "$kb" ] || want "INT 12h did not shrink ($kb -> $k KiB)"
	[ $((sumb - sum)) = $(((z - a) + kb * 1024 - lowend)) ] ||
		want "E820 RAM bare $sumb - under Lamina $sum is not Lamina's region plus the stub"
	read -r ax bx cx dx < <(probe_val probe e801)
	read -r _ bxb _ _ < <(probe_val probe-bare e801)
	if [ -z "${dx:-}" ]; then
		want "no E801 answer under Lamina"
	else
		[ $((16 << 20 | 0)) -le $((a)) ] &&
		[ $(((16 << 20) + 16#$bx * 65536)) -le $((a)) ] &&
		[ $(((16 << 20) + 16#$dx * 65536)) -le $((a)) ] &&
		[ $((16#$ax)) -le $((0x3c00)) ] && [ $((16#$cx)) -le $((0x3c00)) ] ||
			want "E801 ($ax $bx $cx $dx) reports memory at or above Lamina's region $a"
		[ -n "${bxb:-}" ] && [ $((16#$bxb)) -gt $((16#$bx)) ] ||
			want "E801 BX was not lowered (bare '${bxb:-none}', Lamina '$bx')"
	fi
	ext=$(probe_val probe ext88)
	[ -n "$ext" ] && [ $((16#$ext * 1024 + (1 << 20))) -le $((a)) ] ||
		want "AH=88h reports ${ext:-nothing} KiB, reaching Lamina's region"
	verdict bios-view "$(LOG probe) $(LOG probe-bare)"
	echo "    INT 12h $kb -> $k KiB; E801 BX $((16#${bxb:-0})) -> $((16#${bx:-0})) blocks; 88h $((16#${ext:-0})) KiB"
}

# bytes_diff A B SKIP: offsets (hex) where the hex byte strings A and B
# differ, except those matching the regex SKIP.
bytes_diff() {
	local a=$1 b=$2 skip=$3 i o out=''
	[ ${#a} = ${#b} ] || { echo "length ${#a} vs ${#b}"; return; }
	for ((i = 0; i < ${#a}; i += 2)); do
		[ "${a:i:2}" = "${b:i:2}" ] && continue
		o=$(printf '%x' $((i / 2)))
		[[ $o =~ ^($skip)$ ]] || out="$out $o:${a:i:2}/${b:i:2}"
	done
	echo "${out# }"
}

# Nothing of Lamina leaks into what a boot sector sees, compared with GRUB
# chain-loading the same disk (same firmware, same disks, same GRUB): only
# INT 15h, the base-memory size, the tick count and the cursor differ.
# A20 must be as the firmware left it (GRUB's chainloader turns it off).
test_no_leak() {
	local d p l g
	usable probe no-leak || return
	usable probe-grub no-leak || return
	usable probe-bare no-leak || return
	for d in ivt bda ebda; do
		[ -n "$(probe_val probe $d)" ] || want "no $d dump under Lamina"
	done
	d=$(bytes_diff "$(probe_val probe ivt)" "$(probe_val probe-grub ivt)" '5[4-7]')
	[ -z "$d" ] || want "IVT differs from GRUB's chain load at $d (offset:Lamina/GRUB)"
	d=$(bytes_diff "$(probe_val probe bda)" "$(probe_val probe-grub bda)" '1[34]|5[0-9a-f]|6[c-f]|70')
	[ -z "$d" ] || want "BDA differs at $d"
	d=$(bytes_diff "$(probe_val probe ebda)" "$(probe_val probe-grub ebda)" '')
	[ -z "$d" ] || want "EBDA differs at $d"
	# ports: 21 a1 92 IER LCR MCR SCR DLL DLM IIR PIT2
	read -r -a l < <(probe_val probe ports)
	read -r -a g < <(probe_val probe-grub ports)
	read -r -a p < <(probe_val probe-bare ports)
	if [ ${#l[@]} != 11 ] || [ ${#g[@]} != 11 ] || [ ${#p[@]} != 11 ]; then
		want "a ports line is missing or short"
	else
		[ "${l[0]} ${l[1]}" = "${g[0]} ${g[1]}" ] || want "PIC masks ${l[0]} ${l[1]}, GRUB ${g[0]} ${g[1]}"
		[ "${l[2]}" = "${p[2]}" ] || want "port 92h (A20) ${l[2]}, the firmware left ${p[2]}"
		[ "${l[*]:3:7}" = "${g[*]:3:7}" ] || want "COM1 registers ${l[*]:3:7}, GRUB ${g[*]:3:7}"
		[ "${l[7]}${l[8]}" = 0200 ] || want "COM1 divisor ${l[8]}${l[7]}, not GRUB's 57600 baud (0002)"
		[ $((16#${l[10]} & 0x3f)) = $((16#${g[10]} & 0x3f)) ] ||
			want "PIT channel 2 mode ${l[10]}, GRUB ${g[10]}"
	fi
	verdict no-leak "$(LOG probe) $(LOG probe-grub) $(LOG probe-bare)"
}

test_boot
test_status
test_e820
test_memprotect
test_poweroff
negative no-signature nosig 'lamina: chain: BIOS drive 0x81 has no boot signature \(55 AA\)'
negative no-drive nodrive 'lamina: chain: BIOS drive 0x85 does not exist'
negative read-error readerr 'lamina: chain: cannot read the boot sector of BIOS drive 0x81 \(INT 13h status 0x[0-9a-f]{2}\)'
test_fallback
test_bios_view
test_no_leak

st=$(sed -n 's/^\([0-9]*\)\t.*userspace up/\1/p' "$SYS/chain.log.stamps" 2>/dev/null | head -n 1)
sb=$(sed -n 's/^\([0-9]*\)\t.*userspace up/\1/p' "$SYS/bare.log.stamps" 2>/dev/null | head -n 1)
[ -n "$st" ] && echo "chain: guest userspace after $((st / 1000)).$(((st % 1000) / 100)) s under Lamina${sb:+, $((sb / 1000)).$(((sb % 1000) / 100)) s bare}"
echo "chain: suite took $(($(date +%s) - t_start)) s"
echo "chain: $(grep -c '^PASS' "$out") passed, $(grep -c '^FAIL' "$out") failed"
! grep -q '^FAIL' "$out"
