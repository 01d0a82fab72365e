#!/bin/bash
# IDE disk encryption under QEMU (TCG, AMD SVM + NPT, -M pc): Lamina
# mediates the primary slave (encrypt=ata:0.1); the primary master is not
# named and passes through.  --vmx boots once under Bochs (Intel VT-x).
#
#   tests/system/ide.sh [--judge] [--vmx]   (--judge: re-check the last logs)
#
# The encrypted image (96 MiB) starts as the host makes it: an MBR with one
# partition from 32 MiB, encrypted with `lamina-disk encrypt` (so Linux's
# first read of the disk is already a decryption).  Boots, one at a time,
# on the same images (logs in $BUILD/system/ide/<boot>.log):
#   write   key=<hex>; guest/tests/disk.sh write: regions written by direct
#           1 MiB, buffered, 4 KiB random, 8 MiB (in parts: larger than the
#           shadow) and PIO requests, read back both ways; ext4 with files;
#           a command Lamina does not mediate; the marker on the plain disk
#   storm   key=<hex> diskbuf=64K (every request in parts), two CPUs:
#           everything read again after the reboot, then files written with
#           fsync until the host kills QEMU in the middle
#   fsck    keyfile= (the same key as a GRUB module): the journal replays at
#           mount, files and regions verify, e2fsck -fn is clean; then
#           guest/idebad drives the channel itself with DMA aimed at
#           Lamina's region, also after moving the bus master's BAR
#   vmx     (--vmx) Bochs, passphrase= with salt= and iterations=, fresh
#           images: disk.sh small
# Tests (PASS/FAIL lines in $RESULTS/ide.txt, or ide-vmx.txt for --vmx,
# whose files are in $BUILD/system/ide-vmx):
#   ide/write ide/parts ide/pio ide/refused ide/ciphertext ide/decrypt
#   ide/secret ide/reboot ide/crash-fsck ide/keyfile ide/hostile ide/bar-move
#   ide/traps;
#   ide/vmx
set -uo pipefail

judge=0 vmx=0
for a in "$@"; do
	case "$a" in
	--judge) judge=1 ;;
	--vmx) vmx=1 ;;
	*) echo "usage: $0 [--judge] [--vmx]" >&2; exit 2 ;;
	esac
done
. "$(dirname "$0")/lib.sh"
suite_init ide$([ $vmx = 1 ] && echo -vmx)

pass() { echo "PASS ide/$1" | tee -a "$out"; }
fail() {
	echo "FAIL ide/$1: $2" | tee -a "$out"
	[ -n "${3:-}" ] && tail -n 25 "$3" 2>/dev/null | sed 's/^/    | /'
}

# A fixed test key (XTS-AES-256), as hex for Lamina and raw for lamina-disk.
KEY=$(for i in $(seq 0 63); do printf '%02x' $(( (i * 53 + 7) % 256 )); done)
PASSPHRASE=correct-horse-battery SALT=ide-test ITER=2000
MARK=LAMINA-PLAINTEXT-MARKER
ENC=$SYS/enc.img PLAIN=$SYS/plain.img
# AES-NI for Lamina's XTS (SSSE3 and SSE4 with it, see tests/system/README.md).
CPU=qemu64,+svm,+npt,+aes,+pclmulqdq,+ssse3,+sse4.1,+sse4.2
DISK="guest.test=disk,status guest.end=poweroff"
TESTS="write parts pio refused ciphertext decrypt secret reboot crash-fsck keyfile hostile bar-move traps"
# Trapped port accesses per 4 KiB DMA request at most (disk.sh's "traps"
# lines): 13 with one CPU, 15 with two (the device register traps too;
# docs/disk-encryption.md), and half an access for the commands of the
# file system running meanwhile.
TRAPS_1CPU=13.5 TRAPS_SMP=15.5
[ $vmx = 1 ] && TESTS=vmx

for f in "$BUILD/lamina.elf" "$BUILD/guest/initrd.img" "$BUILD/lamina-disk"; do
	if [ ! -s "$f" ]; then
		for t in $TESTS; do fail "$t" "$f did not build"; done
		exit 0
	fi
done
printf '%s' "$KEY" | xxd -r -p >"$SYS/disk.key"
printf '%s\n' "$PASSPHRASE" >"$SYS/passphrase"

le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# An image of MIB MiB with partition 1 from 32 MiB to the end, encrypted
# with KEY-ARGS (lamina-disk), and a plain one.
make_images() {
	local mib=$1
	shift
	rm -f "$ENC" "$PLAIN"
	truncate -s "${mib}M" "$ENC"
	truncate -s 32M "$PLAIN"
	# Partition entry: type 0x83, first sector 65536, the rest of the disk.
	printf "\0\0\0\0\x83\0\0\0$(le32 65536)$(le32 $((mib * 2048 - 65536)))" |
		dd of="$ENC" bs=1 seek=446 conv=notrunc 2>/dev/null
	printf '\x55\xaa' | dd of="$ENC" bs=1 seek=510 conv=notrunc 2>/dev/null
	"$BUILD/lamina-disk" encrypt "$@" "$ENC" >/dev/null
}

# boot NAME "LAMINA OPTIONS" "GUEST PARAMS" [mkiso args --] runner args...
boot() {
	local name=$1 opts=$2 params=$3 iso_args=()
	shift 3
	while [ $# -gt 0 ] && [ "$1" != -- ]; do iso_args+=("$1"); shift; done
	[ "${1:-}" = -- ] && shift
	if ! tools/mkiso.sh -o "$SYS/$name.iso" -m lamina -l "$opts" -c "$params" \
		${iso_args[@]+"${iso_args[@]}"} >"$SYS/$name.mkiso" 2>&1; then
		cp "$SYS/$name.mkiso" "$SYS/$name.log"
		echo 3 >"$SYS/$name.status"
		return
	fi
	echo "ide: booting $name" >&2
	"$@" -i "$SYS/$name.iso" -l "$SYS/$name.log"
	echo $? >"$SYS/$name.status"
}

st() { cat "$SYS/$1.status" 2>/dev/null || echo 255; }
has() { grep -a -q -E "$2" "$SYS/$1.log"; }
# The "disk-sha NAME OFF_KIB COUNT_KIB SUM" lines of a boot.
shas() { sed -n -E 's/^disk-sha ([A-Z]) ([0-9]+) ([0-9]+) ([0-9a-f]{64})$/\1 \2 \3 \4/p' "$SYS/$1.log"; }

# Decrypts a copy of the image with lamina-disk ARGS and compares every
# region the guest reported; extra checks of the file system follow.
check_decrypt() {
	local boot=$1 name off count sum got dec=$SYS/dec.img
	shift
	cp "$ENC" "$dec"
	"$BUILD/lamina-disk" decrypt "$@" "$dec" >/dev/null || { echo "lamina-disk failed"; return 1; }
	[ -n "$(shas "$boot")" ] || { echo "no disk-sha lines"; return 1; }
	while read -r name off count sum; do
		got=$(dd if="$dec" bs=1k skip="$off" count="$count" 2>/dev/null |
			sha256sum | cut -d' ' -f1)
		[ "$got" = "$sum" ] || { echo "region $name: $got, the guest wrote $sum"; return 1; }
	done < <(shas "$boot")
}

check_fs() {
	local dec=$SYS/dec.img part=$SYS/part.img a b
	dd if="$dec" of="$part" bs=1M skip=32 2>/dev/null
	e2fsck -fn "$part" >"$SYS/host-e2fsck.log" 2>&1 || { echo "host e2fsck: see $SYS/host-e2fsck.log"; return 1; }
	a=$(debugfs -R 'cat /data/a' "$part" 2>/dev/null | sha256sum | cut -d' ' -f1)
	b=$(debugfs -R 'cat /data/b' "$part" 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ "$a" = "$(shas write | awk '$1 == "A" {print $4}')" ] &&
		[ "$b" = "$(shas write | awk '$1 == "B" {print $4}')" ] ||
		{ echo "files a/b in the decrypted file system differ from regions A/B"; return 1; }
	rm -f "$part"
}

# The last value of ide_ata0's counter FIELD ("dma requests", "parts",
# "pio sectors", ...) in a boot's log (laminactl status lines).
counter() {
	grep -a -o 'ide_ata0: .*' "$SYS/$1.log" | tail -n 1 | cut -d' ' -f2- | tr ',' '\n' |
		sed -n -E "s/^ *([0-9]+) $2\$/\\1/p"
}

qemu() { tools/qemu-run.sh -t "${IDE_TIMEOUT:-400}" --cpu "$CPU" -d "$PLAIN" -d "$ENC" "$@"; }

# ------------------------------------------------------------------ VT-x

if [ $vmx = 1 ]; then
	if [ $judge = 0 ]; then
		make_images 40 --passphrase-file "$SYS/passphrase" --salt "$SALT" --iterations "$ITER"
		boot vmx "encrypt=ata:0.1 passphrase=$PASSPHRASE salt=$SALT iterations=$ITER" \
			"guest.test=disk,status guest.disk=small guest.end=poweroff" -- \
			tools/bochs-run.sh -t "${VMX_TIMEOUT:-1500}" -d "$PLAIN" -d "$ENC"
	fi
	if [ "$(st vmx)" != 0 ] || ! has vmx '^disk: ok small'; then
		fail vmx "the guest's checks did not pass under Bochs (status $(st vmx))" "$SYS/vmx.log"
	elif ! has vmx '^lamina: backend: vmx' || ! has vmx '^lamina: ide .* ata:0 mediated'; then
		fail vmx "not VT-x, or the channel was not mediated" "$SYS/vmx.log"
	elif grep -a -q -- "$PASSPHRASE" "$SYS/vmx.log"; then
		fail vmx "the passphrase reached the console"
	elif grep -a -q "$MARK" "$ENC" || ! grep -a -q "$MARK" "$PLAIN"; then
		fail vmx "plaintext on the encrypted disk, or none on the plain one"
	elif ! r=$(check_decrypt vmx --passphrase-file "$SYS/passphrase" --salt "$SALT" \
		--iterations "$ITER"); then
		fail vmx "$r"
	else
		pass vmx
	fi
	exit 0
fi

# ------------------------------------------------------------------ QEMU

if [ $judge = 0 ]; then
	make_images 96 --key-file "$SYS/disk.key"
	boot write "encrypt=ata:0.1 key=$KEY" "$DISK guest.disk=write" -- qemu
	# The images as the write boot left them, for the host-side checks.
	cp "$ENC" "$SYS/enc-write.img"
	cp "$PLAIN" "$SYS/plain-write.img"
	boot storm "encrypt=ata:0.1 key=$KEY diskbuf=64K" "$DISK guest.disk=storm" -- \
		qemu -s 2 --until '^disk: storm running' --grace 4
	boot fsck "encrypt=ata:0.1 keyfile=/boot/disk.key" "$DISK guest.disk=fsck" \
		--module "$SYS/disk.key" -- qemu
fi
ENC=$SYS/enc-write.img PLAIN=$SYS/plain-write.img

if [ "$(st write)" != 0 ] || ! has write '^disk: ok write'; then
	fail write "the guest's checks did not pass (status $(st write))" "$SYS/write.log"
elif ! has write '^lamina: ide 00:01.1: ata:0 mediated' || ! has write '^lamina: disk: ata:0.1: XTS-AES-256'; then
	fail write "the channel was not mediated"
elif [ "$(counter write 'dma requests')" -lt 100 ] 2>/dev/null; then
	fail write "Lamina counted too few DMA requests: $(counter write 'dma requests')"
else
	pass write
fi

if has write 'first request larger than the shadow buffer: [0-9]+ sectors in parts of 4096' &&
	[ "$(counter storm parts)" -gt "$(counter storm 'dma requests')" ] 2>/dev/null; then
	pass parts
else
	fail parts "no request in parts (8 MiB with the 2 MiB default, all with diskbuf=64K)"
fi

if [ "$(counter write 'pio sectors')" -ge 4096 ] 2>/dev/null && ! has write '^disk: FAIL (PIO|region D)'; then
	pass pio
else
	fail pio "PIO sectors: $(counter write 'pio sectors'), or the PIO checks failed"
fi

if has write '^lamina: warning: ide: ata:0.1: command 0x45 failed' && ! has write '^disk: FAIL WRITE'; then
	pass refused
else
	fail refused "WRITE UNCORRECTABLE EXT was not failed by Lamina"
fi

if [ "$(st write)" != 0 ]; then
	fail ciphertext "the write boot failed"
elif grep -a -q "$MARK" "$ENC"; then
	fail ciphertext "the encrypted image holds the plaintext marker"
elif ! grep -a -q "$MARK P" "$PLAIN"; then
	fail ciphertext "the plain disk does not hold the marker (not passed through?)"
else
	pass ciphertext
fi

if [ "$(st write)" != 0 ]; then
	fail decrypt "the write boot failed"
elif ! r=$(check_decrypt write --key-file "$SYS/disk.key") || ! r=$(check_fs); then
	fail decrypt "$r"
else
	pass decrypt
fi

if cat "$SYS"/{write,storm,fsck}.log | grep -a -q -i "$KEY"; then
	fail secret "the key reached the console"
elif ! has write '^lamina: options: encrypt=ata:0.1 key=\(hidden\)$'; then
	fail secret "the banner does not mask the key"
else
	pass secret
fi

if [ "$(st storm)" != 125 ] || ! has storm '^disk: storm running' || has storm '^disk: FAIL'; then
	fail reboot "after the reboot the data did not verify, or the storm never ran (status $(st storm))" "$SYS/storm.log"
else
	pass reboot
fi

if [ "$(st storm)" != 125 ]; then
	fail crash-fsck "QEMU was not killed in the middle of the writes"
elif [ "$(st fsck)" != 0 ] || ! has fsck '^disk: e2fsck rc=0' || has fsck '^disk: FAIL (files|region|mount|e2fsck)'; then
	fail crash-fsck "the file system did not survive the kill (status $(st fsck))" "$SYS/fsck.log"
else
	pass crash-fsck
fi

if has fsck '^lamina: options: encrypt=ata:0.1 keyfile=/boot/disk.key' &&
	has fsck '^lamina: disk: ata:0.1: XTS-AES-256' && has fsck '^disk: e2fsck rc=0'; then
	pass keyfile
else
	fail keyfile "the key from the GRUB module did not decrypt the disk"
fi

n_ok=$(grep -a -E "^idebad: .*failed with ERR/ABRT .* as it must" "$SYS/fsck.log" |
	grep -a -c -v 'moved bus master')
if has fsck '^idebad: FAIL' || [ "$n_ok" != 6 ] ||
	! has fsck '^idebad: the data went to the moved table' ||
	! has fsck '^idebad: PRD pointer moved to Lamina.s region after the command: no data'; then
	fail hostile "idebad: $n_ok of 6 hostile commands failed as they must, or a moved PRD pointer was not followed" "$SYS/fsck.log"
elif [ "$(grep -a -c '^idebad: read "LAMINA-PLAINTEXT-MARKER' "$SYS/fsck.log")" -lt 2 ]; then
	fail hostile "the honest reads around the hostile ones did not return the plaintext"
elif ! has fsck '^lamina: warning: ide: ata:0.1: command 0x(c8|ca) failed: PRD (region|table) outside guest RAM' ||
	! has fsck '^disk: after: ide_ata0: .* [1-9][0-9]* refused' || ! has fsck '^disk: ok fsck'; then
	fail hostile "Lamina did not log and count the refusals, or did not run on"
else
	pass hostile
fi

# The same refusals after the guest moved the bus master's BAR: the
# traps followed it.
n_moved=$(grep -a -c -E "^idebad: moved bus master, .* failed with ERR/ABRT .* as it must" \
	"$SYS/fsck.log")
if ! has fsck '^idebad: bus master moved to' ||
	! has fsck '^lamina: trapped guest I/O ports moved 0x[0-9a-f]+ -> 0x[0-9a-f]+ \(ide' ||
	[ "$n_moved" != 2 ] || ! has fsck '^idebad: moved bus master, honest read: ok' ||
	[ "$(grep -a -c '^idebad: read "LAMINA-PLAINTEXT-MARKER' "$SYS/fsck.log")" != 3 ]; then
	fail bar-move "after the guest moved BAR4, $n_moved of 2 hostile commands failed as they must (or the honest read did not work)" "$SYS/fsck.log"
else
	pass bar-move
fi
# "disk: traps LABEL: N requests, X trapped accesses each" of a boot: X.
traps_of() {
	sed -n -E "s/^disk: traps $2: [0-9]+ requests, ([0-9.]+) trapped accesses each\$/\1/p" \
		"$SYS/$1.log" | head -n 1
}
at_most() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 > 0 && a + 0 <= b) }'; }
r4=$(traps_of write 4k-read) w4=$(traps_of write 4k-write) s4=$(traps_of storm 4k-read)
if ! at_most "$r4" $TRAPS_1CPU || ! at_most "$w4" $TRAPS_1CPU; then
	fail traps "one CPU: ${r4:-?} trapped accesses per 4 KiB read, ${w4:-?} per write (at most $TRAPS_1CPU)"
elif ! has write '^lamina: ide: ata:0: count and LBA registers read back, device register read back$'; then
	fail traps "one CPU: the task file was trapped"
elif ! at_most "$s4" $TRAPS_SMP ||
	! has storm '^lamina: ide: ata:0: count and LBA registers read back, device register trapped$'; then
	fail traps "two CPUs: ${s4:-?} trapped accesses per 4 KiB read (at most $TRAPS_SMP), or the device register was not trapped"
else
	pass traps
fi
exit 0
