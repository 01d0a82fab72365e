#!/bin/bash
# mkdisk.sh - build a raw BIOS disk image with GRUB on it, without loop
# devices or root: an MBR with one FAT partition at 1 MiB, GRUB's boot.img
# in the MBR and its core.img in the gap after it (what grub-install does).
#
#   tools/mkdisk.sh -o OUT.img [-m MODE] [-l "LAMINA OPTIONS"] [-c "GUEST PARAMS"]
#                   [--no-quiet] [--lamina ELF] [--kernel BZIMAGE] [--initrd IMG]
#                   [--speed BAUD]
#
# MODE:
#   guest    GRUB boots the guest kernel: linux vmlinuz CMDLINE; initrd
#   lamina   GRUB loads Lamina alone: multiboot2 lamina.elf OPTIONS (so
#            Lamina chain-boots the next disk, boot=chain)
#   chainload  GRUB alone, which chain-loads BIOS drive 0x81's boot sector
#            (chainloader +1): the same path as Lamina's boot=chain, without
#            Lamina, for comparisons
#   nosig    no GRUB and no boot signature: 1 MiB of text (negative test)
#
# The guest command line is "console=ttyS0,115200 iomem=relaxed [quiet]
# loglevel=3" followed by GUEST PARAMS, as in tools/mkiso.sh.  GRUB talks
# on COM1 (at 115200 unless --speed) and boots at once; its prefix is "(,msdos1)/boot/grub",
# so it finds its files on whichever BIOS drive it was started from.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}

out='' mode=guest opts='' params='' quiet=quiet speed=115200
lamina="$build/lamina.elf" kernel="$build/guest/vmlinuz" initrd="$build/guest/initrd.img"
grubdir=/usr/lib/grub/i386-pc

usage() { sed -n '2,24s/^# \{0,1\}//p' "$0" >&2; exit 2; }
die() { echo "mkdisk: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	-o) out=$2; shift 2 ;;
	-m) mode=$2; shift 2 ;;
	-l) opts=$2; shift 2 ;;
	-c) params=$2; shift 2 ;;
	--no-quiet) quiet=''; shift ;;
	--lamina) lamina=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--speed) speed=$2; shift 2 ;;
	-h|--help) usage ;;
	*) echo "mkdisk: unknown argument $1" >&2; usage ;;
	esac
done
[ -n "$out" ] || usage
case "$mode" in guest|lamina|chainload|nosig) ;; *) die "unknown mode $mode" ;; esac
mkdir -p "$(dirname "$out")"

if [ "$mode" = nosig ]; then
	head -c $((1 << 20)) < <(yes "this disk has no boot sector") >"$out.tmp"
	mv "$out.tmp" "$out"
	echo "mkdisk: $out ($mode)" >&2
	exit 0
fi

"$here/tools/need-pkgs.sh" grub-pc-bin grub-common mtools || die "missing host packages"

need_file() { [ -s "$1" ] || die "$1 is missing (build it first)"; }
stage=$(mktemp -d "${TMPDIR:-/tmp}/lamina-disk.XXXXXX")
trap 'rm -rf "$stage"' EXIT

cmdline="console=ttyS0,115200 iomem=relaxed${quiet:+ $quiet} loglevel=3${params:+ $params}"
files=()
{
	cat <<-EOF
	serial --unit=0 --speed=$speed --word=8 --parity=no --stop=1
	terminal_input serial console
	terminal_output serial
	set timeout=0
	set default=0
	EOF
	echo "menuentry \"disk-$mode\" {"
	case "$mode" in
	guest)
		need_file "$kernel"; need_file "$initrd"
		files+=("$kernel:vmlinuz" "$initrd:initrd.img")
		echo "  echo 'grub: booting the guest from its own disk'"
		echo "  linux /boot/vmlinuz $cmdline"
		echo "  initrd /boot/initrd.img"
		;;
	lamina)
		need_file "$lamina"
		files+=("$lamina:lamina.elf")
		echo "  echo 'grub: loading Lamina (chain boot)'"
		echo "  multiboot2 /boot/lamina.elf $opts"
		;;
	chainload)
		echo "  echo 'grub: chain-loading (hd1) without Lamina'"
		echo "  set root=(hd1)"
		echo "  chainloader +1"
		;;
	esac
	echo "  boot"
	echo "}"
} >"$stage/grub.cfg"

# FAT16 partition: the files plus GRUB's modules, with room to spare.
bytes=$(( $(cat "${files[@]%%:*}" | wc -c) + (8 << 20) ))
part_mib=$(( (bytes >> 20) + 8 ))
[ "$part_mib" -ge 32 ] || part_mib=32
part_sectors=$(( part_mib << 11 ))
part=$stage/part.img
truncate -s $((part_mib << 20)) "$part"
mformat -i "$part" -T "$part_sectors" -h 64 -s 32 -H 2048 -v LAMINA :: >/dev/null
mmd -i "$part" ::/boot ::/boot/grub ::/boot/grub/i386-pc
for f in "${files[@]}"; do
	mcopy -i "$part" "${f%%:*}" "::/boot/${f#*:}"
done
mcopy -i "$part" "$stage/grub.cfg" ::/boot/grub/grub.cfg
mcopy -i "$part" "$grubdir"/*.mod "$grubdir"/*.lst ::/boot/grub/i386-pc/

# core.img: enough to find the partition and read grub.cfg.
grub-mkimage -O i386-pc -o "$stage/core.img" -p '(,msdos1)/boot/grub' \
	biosdisk part_msdos fat normal configfile serial terminal echo linux multiboot2 chain test
core_sectors=$(( ($(stat -c %s "$stage/core.img") + 511) / 512 ))
[ "$core_sectors" -lt 2047 ] || die "core.img does not fit before the partition"

# The disk: MBR (boot.img code + partition table), core.img from sector 1.
disk=$stage/disk.img
truncate -s $(( (part_mib + 1) << 20 )) "$disk"
dd if="$grubdir/boot.img" of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$stage/core.img" of="$disk" bs=512 seek=1 conv=notrunc status=none
# Partition 1: active, type 0x0e (FAT16, LBA), CHS fields saturated.
le32() { printf "%b" "$(printf '\\x%02x' $(($1 & 255)) $(($1 >> 8 & 255)) \
	$(($1 >> 16 & 255)) $(($1 >> 24 & 255)))"; }
{
	printf '\x80\xfe\xff\xff\x0e\xfe\xff\xff'
	le32 2048
	le32 "$part_sectors"
} | dd of="$disk" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$disk" bs=1 seek=510 conv=notrunc status=none
dd if="$part" of="$disk" bs=1M seek=1 conv=notrunc status=none

mv "$disk" "$out"
cp "$stage/grub.cfg" "$out.cfg"
echo "mkdisk: $out ($mode)" >&2
