#!/bin/bash
# mkguest.sh - build Lamina's demo/test guest from Debian packages.
#
#   tools/mkguest.sh kernel DIR
#       DIR/vmlinuz, DIR/modules/*.ko and DIR/modules/load-order from
#       the kernel package that linux-image-amd64 currently depends on.
#   tools/mkguest.sh busybox DIR
#       DIR/busybox from busybox-static.
#   tools/mkguest.sh initrd DIR FILE...
#       DIR/initrd.img (cpio newc, gzip): busybox, guest/init as /init,
#       guest/tests/*.sh as /tests/, the modules, and each FILE in /bin.
#
# Downloaded packages are kept in DIR/debs and extracted once; a rebuild
# touches the network only when the kernel package changes.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

# Storage drivers the tests may use.  Their dependencies (from each
# module's modinfo "depends=") are added, in load order.
# ext4 (which also mounts ext2) lets the disk tests put a file system on a
# disk; crc32c is what it asks for by algorithm name.
WANT_MODULES="ata_piix ata_generic ahci sd_mod nvme virtio_pci virtio_blk virtio_scsi crc32c_generic ext4"
# The kernel directories those modules and their dependencies live in.
MODULE_DIRS="drivers/ata drivers/scsi drivers/nvme/host drivers/virtio drivers/block block lib crypto fs"
# Host programs copied into the guest with the shared libraries they use
# (the guest's userland is busybox; these come from Debian's e2fsprogs).
HOST_PROGS="mke2fs e2fsck"

die() { echo "mkguest: $*" >&2; exit 1; }
log() { echo "mkguest: $*" >&2; }

need() { "$here/tools/need-pkgs.sh" "$@" || die "missing host packages"; }

have_lists() { ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; }

apt_update() {
	if [ "$(id -u)" -ne 0 ]; then
		die "apt package lists are missing or stale: run  sudo apt-get update"
	fi
	log "apt-get update"
	apt-get update -q >&2 || die "apt-get update failed"
}

# Prints the kernel package linux-image-amd64 depends on right now.
kernel_package() {
	local pkg=""
	have_lists || apt_update
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\(-unsigned\)\?\)$/\1/p' | head -n 1)
	if [ -z "$pkg" ]; then
		apt_update
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\(-unsigned\)\?\)$/\1/p' | head -n 1)
	fi
	[ -n "$pkg" ] || die "cannot resolve linux-image-amd64 to a kernel package"
	echo "$pkg"
}

# fetch_deb DIR PKG: prints the path of PKG's .deb under DIR/debs,
# downloading it only when no copy of the candidate version is there.
fetch_deb() {
	local dir=$1 pkg=$2 ver deb
	mkdir -p "$dir/debs"
	ver=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	if [ -z "$ver" ] || [ "$ver" = "(none)" ]; then
		apt_update
		ver=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	fi
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "no candidate version of $pkg"
	# .deb file names carry the version with ':' written as %3a.
	deb="$dir/debs/${pkg}_${ver//:/%3a}_amd64.deb"
	if [ ! -s "$deb" ]; then
		log "downloading $pkg $ver"
		(cd "$dir/debs" && apt-get download -q "$pkg=$ver" >&2 2>/dev/null) ||
			(apt_update && cd "$dir/debs" && apt-get download -q "$pkg=$ver" >&2) ||
			die "apt-get download $pkg failed"
	fi
	[ -s "$deb" ] || die "expected $deb after download"
	echo "$deb"
}

# The module's field from its .modinfo strings (depends=, softdep=).
modfield() { tr '\0' '\n' <"$1" | sed -n "s/^$2=//p" | head -n 1; }

cmd_kernel() {
	local dir=$1 pkg deb stamp x kver
	need dpkg xz-utils
	pkg=$(kernel_package)
	stamp="$dir/kernel.pkg"
	if [ -s "$dir/vmlinuz" ] && [ -s "$dir/modules/load-order" ] &&
	   [ "$(cat "$stamp" 2>/dev/null)" = "$pkg $WANT_MODULES" ]; then
		touch "$dir/vmlinuz"
		return 0
	fi
	deb=$(fetch_deb "$dir" "$pkg")
	x="$dir/kernel-x"
	rm -rf "$x" "$dir/modules"
	mkdir -p "$x" "$dir/modules"
	log "extracting $pkg"
	local pats=("./boot/vmlinuz-*")
	for d in $MODULE_DIRS; do pats+=("./lib/modules/*/kernel/$d/*"); done
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$x" --wildcards "${pats[@]}"
	kver=$(basename "$(ls -d "$x"/lib/modules/*)")

	# Resolve dependencies depth first: a module comes after what it needs.
	declare -A path=() seen=()
	local f n
	while IFS= read -r f; do
		n=$(basename "$f" .ko)
		path[$n]=$f
		path[${n//-/_}]=$f
	done < <(find "$x/lib/modules" -name '*.ko')
	local order=()
	add() {
		local m=${1//-/_} deps d
		[ -n "${seen[$m]:-}" ] && return 0
		[ -n "${path[$m]:-}" ] || die "module $1 not found in $pkg (dirs: $MODULE_DIRS)"
		seen[$m]=1
		deps=$(modfield "${path[$m]}" depends | tr ',' ' ')
		for d in $deps; do add "$d"; done
		order+=("$(basename "${path[$m]}" .ko)")
	}
	# crc-t10dif and crc64-rocksoft want a crypto provider ("softdep pre"
	# names an algorithm, not a module): give them the generic ones, not
	# the PCLMUL ones (they need SSSE3, which qemu64 lacks).
	for n in crct10dif_generic crc64_rocksoft_generic $WANT_MODULES; do add "$n"; done
	for n in "${order[@]}"; do cp "${path[${n//-/_}]}" "$dir/modules/"; done
	printf '%s\n' "${order[@]}" >"$dir/modules/load-order"
	echo "$kver" >"$dir/modules/kernel-version"
	cp "$x"/boot/vmlinuz-* "$dir/vmlinuz"
	rm -rf "$x"
	echo "$pkg $WANT_MODULES" >"$stamp"
	log "kernel $kver: vmlinuz and ${#order[@]} modules"
}

cmd_busybox() {
	local dir=$1 deb x
	need dpkg
	if [ -x "$dir/busybox" ]; then return 0; fi
	deb=$(fetch_deb "$dir" busybox-static)
	x="$dir/busybox-x"
	rm -rf "$x"; mkdir -p "$x"
	dpkg-deb -x "$deb" "$x"
	cp "$x/bin/busybox" "$dir/busybox"
	rm -rf "$x"
}

# HOST_PROGS into ROOT/sbin, with their libraries and the dynamic loader
# at the paths the programs name.
copy_host_progs() {
	local root=$1 p bin lib
	need e2fsprogs
	for p in $HOST_PROGS; do
		bin=$(PATH=/usr/sbin:/sbin:$PATH command -v "$p") || die "$p not found on the host"
		install -m 0755 "$bin" "$root/sbin/$p"
		for lib in $(ldd "$bin" | awk '/=> \//{print $3} /^[[:space:]]*\//{print $1}'); do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
	ln -sf mke2fs "$root/sbin/mkfs.ext4"
}

cmd_initrd() {
	local dir=$1; shift
	local root="$dir/initrd-root" a
	need cpio gzip
	[ -s "$dir/modules/load-order" ] || cmd_kernel "$dir"
	cmd_busybox "$dir"
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,root,etc,tests,lib/modules}
	cp "$dir/busybox" "$root/bin/busybox"
	for a in $("$dir/busybox" --list); do
		[ "$a" = busybox ] || [ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
	install -m 0755 "$here/guest/init" "$root/init"
	for a in "$here"/guest/tests/*.sh; do install -m 0755 "$a" "$root/tests/"; done
	# Stripped copies: the initramfs is loaded by GRUB on every boot.
	for a in "$@"; do install -m 0755 -s "$a" "$root/bin/"; done
	cp "$dir"/modules/*.ko "$dir/modules/load-order" "$dir/modules/kernel-version" "$root/lib/modules/"
	copy_host_progs "$root"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\n' >"$root/etc/group"
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -6n >"$dir/initrd.img.tmp"
	mv "$dir/initrd.img.tmp" "$dir/initrd.img"
	rm -rf "$root"
	log "initrd.img: $(du -k "$dir/initrd.img" | cut -f1) KiB"
}

[ $# -ge 2 ] || die "usage: mkguest.sh kernel|busybox|initrd DIR [FILE...]"
cmd=$1 dir=$2; shift 2
mkdir -p "$dir"
# Parallel makes (check-system and check-vmx both need the guest) take turns.
exec 8>"$dir/.lock"
flock 8
case "$cmd" in
kernel) cmd_kernel "$dir" ;;
busybox) cmd_busybox "$dir" ;;
initrd) cmd_initrd "$dir" "$@" ;;
*) die "unknown command $cmd" ;;
esac
