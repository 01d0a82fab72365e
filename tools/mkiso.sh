#!/bin/bash
# mkiso.sh - build a GRUB rescue ISO for one boot scenario.
#
#   tools/mkiso.sh -o OUT.iso [-m MODE] [-l "LAMINA OPTIONS"] [-c "GUEST PARAMS"]
#                  [--no-quiet] [--lamina ELF] [--kernel BZIMAGE] [--initrd IMG]
#                  [--module FILE]
#
# MODE:
#   lamina   multiboot2 lamina.elf OPTIONS; module2 vmlinuz CMDLINE; module2 initrd
#   bare     GRUB boots the same kernel directly: linux vmlinuz CMDLINE; initrd
#   nomod    Lamina without any module (negative test)
#   garbage  Lamina with a garbage file where the bzImage belongs (negative test)
#
# --module FILE (lamina mode, repeatable) adds FILE as /boot/<name> with
# `module2 /boot/<name> /boot/<name>` after the initrd (e.g. keyfile=).
#
# The guest command line is "console=ttyS0,115200 iomem=relaxed [quiet]
# loglevel=3" followed by GUEST PARAMS.  The ISO boots with BIOS, and with
# UEFI too when grub-efi-amd64-bin is installed.  GRUB talks on COM1 at
# 115200 and boots at once (timeout=0).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}

out='' mode=lamina opts='' params='' quiet=quiet extra_modules=()
lamina="$build/lamina.elf" kernel="$build/guest/vmlinuz" initrd="$build/guest/initrd.img"

usage() { sed -n '2,22s/^# \{0,1\}//p' "$0" >&2; exit 2; }
die() { echo "mkiso: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
	case "$1" in
	-o) out=$2; shift 2 ;;
	-m) mode=$2; shift 2 ;;
	-l) opts=$2; shift 2 ;;
	-c) params=$2; shift 2 ;;
	--no-quiet) quiet=; shift ;;
	--lamina) lamina=$2; shift 2 ;;
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrd=$2; shift 2 ;;
	--module) extra_modules+=("$2"); shift 2 ;;
	-h|--help) usage ;;
	*) echo "mkiso: unknown argument $1" >&2; usage ;;
	esac
done
[ -n "$out" ] || usage
case "$mode" in lamina|bare|nomod|garbage) ;; *) die "unknown mode $mode" ;; esac

"$here/tools/need-pkgs.sh" grub-pc-bin grub-common xorriso mtools || die "missing host packages"

cmdline="console=ttyS0,115200 iomem=relaxed${quiet:+ $quiet} loglevel=3${params:+ $params}"

stage=$(mktemp -d "${TMPDIR:-/tmp}/lamina-iso.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"

need_file() { [ -s "$1" ] || die "$1 is missing (build it first)"; }

if [ "$mode" != bare ]; then
	need_file "$lamina"
	cp "$lamina" "$stage/boot/lamina.elf"
fi
if [ "$mode" != nomod ]; then
	need_file "$kernel"; need_file "$initrd"
	cp "$kernel" "$stage/boot/vmlinuz"
	cp "$initrd" "$stage/boot/initrd.img"
fi

{
	cat <<-'EOF'
	serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1
	terminal_input serial console
	terminal_output serial
	set timeout=0
	set default=0
	EOF
	echo "menuentry \"lamina-$mode\" {"
	case "$mode" in
	lamina)
		echo "  echo 'grub: loading Lamina'"
		echo "  multiboot2 /boot/lamina.elf $opts"
		echo "  module2 /boot/vmlinuz $cmdline"
		echo "  module2 /boot/initrd.img"
		for m in ${extra_modules[@]+"${extra_modules[@]}"}; do
			need_file "$m"
			cp "$m" "$stage/boot/$(basename "$m")"
			echo "  module2 /boot/$(basename "$m") /boot/$(basename "$m")"
		done
		;;
	bare)
		echo "  echo 'grub: loading Linux directly (no Lamina)'"
		echo "  linux /boot/vmlinuz $cmdline"
		echo "  initrd /boot/initrd.img"
		;;
	nomod)
		echo "  echo 'grub: loading Lamina without modules'"
		echo "  multiboot2 /boot/lamina.elf $opts"
		;;
	garbage)
		# Not a bzImage: text and a counter, no setup header magic.
		for i in $(seq 1 4096); do echo "this is not a kernel image, line $i"; done \
			>"$stage/boot/garbage.bin"
		echo "  echo 'grub: loading Lamina with a garbage module'"
		echo "  multiboot2 /boot/lamina.elf $opts"
		echo "  module2 /boot/garbage.bin $cmdline"
		echo "  module2 /boot/initrd.img"
		;;
	esac
	echo "  boot"
	echo "}"
} >"$stage/boot/grub/grub.cfg"

mkdir -p "$(dirname "$out")"
log=$(mktemp "${TMPDIR:-/tmp}/lamina-iso-log.XXXXXX")
if ! grub-mkrescue -o "$out.tmp" \
	--fonts= --locales= --themes= \
	"$stage" >"$log" 2>&1; then
	cat "$log" >&2; rm -f "$log"
	die "grub-mkrescue failed"
fi
rm -f "$log"
mv "$out.tmp" "$out"
cp "$stage/boot/grub/grub.cfg" "$out.cfg"
echo "mkiso: $out ($mode)" >&2
