# Helpers of the ahci-*.sh guest tests (sourced, not a test).
fail() { echo "ahci: FAILED: $*"; dmesg | grep -i -E "ata[0-9]|ahci|sd[a-z]" | tail -n 20; exit 1; }
step() { echo "ahci: $*"; "$@" || fail "$*"; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
# The disk on AHCI port N (libata's ataN+1): names follow probe order.
disk_on_port() {
	for b in /sys/block/sd*; do
		case "$(readlink -f "$b")" in */ata$(($1 + 1))/*) echo "/dev/${b##*/}" ;; esac
	done
}
ENC=$(disk_on_port 0)   # named by encrypt=ahci:0
PLAIN=$(disk_on_port 1) # not named: passes through
[ -b "$ENC" ] && [ -b "$PLAIN" ] || fail "no disks on AHCI ports 0 and 1"
echo "ahci: port 0 is $ENC, port 1 is $PLAIN"
# The regions of the encrypted disk (seed, MiB offset, MiB size, KiB
# blocks, processes, direct): 1 MiB direct requests 4 in flight, 4 KiB
# direct ones 8 in flight, buffered writes, 16 MiB direct requests.
for_each_region() {
	step ahciio "$1" "$ENC" 1 40 16 1024 4 direct
	step ahciio "$1" "$ENC" 2 56 4 4 8 direct
	step ahciio "$1" "$ENC" 3 60 4 64 2
	step ahciio "$1" "$ENC" 4 64 32 16384 2 direct
}
