#!/bin/bash
# qemu-run.sh - boot one ISO under QEMU (TCG, AMD SVM + NPT for the guest).
#
#   tools/qemu-run.sh -i ISO [-l LOG] [options]
#
#   -i ISO          the image to boot (tools/mkiso.sh); without it the
#                   first disk boots (-d ... : tools/mkdisk.sh)
#   -l LOG          serial output goes here (default: ISO with .log)
#   -t SECONDS      give up after this long (default 180; 0: never)
#   -M pc|q35       machine (default pc)
#   -m MIB          memory (default 1024)
#   -s N            CPUs (default 1)
#   -d IMG          attach a raw disk image (IDE on pc, AHCI on q35);
#                   repeat for more disks (BIOS drives 0x80, 0x81, ...)
#   --drive-opts O  more -drive options for every disk, e.g. a slow disk:
#                   throttling.bps-write=16000000
#   --cpu MODEL     -cpu value (default qemu64,+svm,+npt)
#   --kvm           use KVM when /dev/kvm offers nested SVM/VMX (else TCG)
#   --uefi          boot with OVMF instead of SeaBIOS
#   --reboot        a guest reset restarts the machine (default: QEMU exits)
#   --tee           also copy the serial output to stdout
#   --until REGEX   stop QEMU once a serial line matches (after --grace s)
#   --grace S       seconds to keep running after --until matched (default 1)
#   --stamp REGEX   record the milliseconds from QEMU start to the first line
#                   matching REGEX in LOG.stamps (repeatable)
#   --interactive   serial and monitor on this terminal (make run)
#   -- ARGS...      extra QEMU arguments
#
# Exit status: QEMU's own status when it exited by itself (0 after a
# guest power-off), 124 when the timeout hit, 125 when --until stopped it,
# 2 on a usage error.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

iso='' log='' timeout=180 machine=pc mem=1024 smp=1 cpu=qemu64,+svm,+npt
kvm=0 uefi=0 tee=0 until='' grace=1 interactive=0
stamps=() extra=() disks=() drive_opts=''

usage() { sed -n '2,30s/^# \{0,1\}//p' "$0" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case "$1" in
	-i) iso=$2; shift 2 ;;
	-l) log=$2; shift 2 ;;
	-t) timeout=$2; shift 2 ;;
	-M) machine=$2; shift 2 ;;
	-m) mem=$2; shift 2 ;;
	-s) smp=$2; shift 2 ;;
	-d) disks+=("$2"); shift 2 ;;
	--drive-opts) drive_opts=",$2"; shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	--kvm) kvm=1; shift ;;
	--uefi) uefi=1; shift ;;
	--reboot) reboot=1; shift ;;
	--tee) tee=1; shift ;;
	--until) until=$2; shift 2 ;;
	--grace) grace=$2; shift 2 ;;
	--stamp) stamps+=("$2"); shift 2 ;;
	--interactive) interactive=1; shift ;;
	--) shift; extra+=("$@"); break ;;
	-h|--help) usage ;;
	*) echo "qemu-run: unknown argument $1" >&2; usage ;;
	esac
done
[ -n "$iso" ] || [ ${#disks[@]} -gt 0 ] || usage
boot_image=${iso:-${disks[0]:-}}
[ -s "$boot_image" ] || { echo "qemu-run: $boot_image not found" >&2; exit 2; }
[ -n "$log" ] || log="${boot_image%.*}.log"

"$here/tools/need-pkgs.sh" qemu-system-x86 || exit 2
[ "$uefi" = 0 ] || "$here/tools/need-pkgs.sh" ovmf || exit 2

# KVM only helps when it lets our guest (Lamina) use SVM or VMX itself.
accel=tcg
if [ "$kvm" = 1 ]; then
	nested=$(cat /sys/module/kvm_amd/parameters/nested /sys/module/kvm_intel/parameters/nested 2>/dev/null | head -n 1)
	if [ -w /dev/kvm ] && { [ "$nested" = 1 ] || [ "$nested" = Y ]; }; then
		accel=kvm
		cpu=host
	else
		echo "qemu-run: /dev/kvm offers no nested virtualization; using TCG" >&2
	fi
fi

args=(-accel "$accel" -M "$machine,smm=off" -cpu "$cpu" -m "$mem" -smp "$smp" -nic none)
[ "${reboot:-0}" = 1 ] || args+=(-no-reboot)
if [ -n "$iso" ]; then
	args+=(-cdrom "$iso" -boot d)
else
	args+=(-boot c)
fi
if [ "$uefi" = 1 ]; then
	args+=(-drive if=pflash,format=raw,readonly=on,file=/usr/share/OVMF/OVMF_CODE.fd)
fi
for n in "${!disks[@]}"; do
	if [ "$machine" = q35 ]; then
		args+=(-drive "file=${disks[$n]},format=raw,if=none,id=d$n$drive_opts"
		       -device "ide-hd,drive=d$n,bus=ide.$n")
	else
		args+=(-drive "file=${disks[$n]},format=raw,if=ide,index=$n,media=disk$drive_opts")
	fi
done

if [ "$interactive" = 1 ]; then
	echo "qemu-run: serial console here; Ctrl-A X quits QEMU, Ctrl-A C its monitor" >&2
	exec qemu-system-x86_64 "${args[@]}" -nographic "${extra[@]}"
fi

mkdir -p "$(dirname "$log")"
: >"$log"
stampfile="$log.stamps"
: >"$stampfile"
fifo=$(mktemp -u "${TMPDIR:-/tmp}/qemu-run.XXXXXX")
mkfifo "$fifo"
trap 'rm -f "$fifo"' EXIT

start=$(date +%s%N)
qemu-system-x86_64 "${args[@]}" -display none -monitor none -serial stdio \
	"${extra[@]}" </dev/null >"$fifo" 2>"$log.stderr" &
qpid=$!
exec 3<"$fifo"

elapsed() { echo $(( ($(date +%s%N) - start) / 1000000 )); }

result="exit"
stop_at=
declare -A stamped=()
partial='' eof=0
while :; do
	got=0
	if IFS= read -r -t 1 chunk <&3; then
		line="$partial$chunk"
		partial=
		got=1
	elif [ $? -gt 128 ]; then
		partial="$partial$chunk"            # timed out: keep the piece
	else
		eof=1                               # QEMU closed its output
		if [ -n "$partial$chunk" ]; then
			line="$partial$chunk"
			got=1
		fi
	fi
	if [ "$got" = 1 ]; then
		line=${line//$'\r'/}
		printf '%s\n' "$line" >>"$log"
		[ "$tee" = 1 ] && printf '%s\n' "$line"
		for s in "${stamps[@]}"; do
			if [ -z "${stamped[$s]:-}" ] && [[ $line =~ $s ]]; then
				stamped[$s]=1
				printf '%s\t%s\n' "$(elapsed)" "$s" >>"$stampfile"
			fi
		done
		if [ -n "$until" ] && [ -z "$stop_at" ] && [[ $line =~ $until ]]; then
			stop_at=$(( $(elapsed) + grace * 1000 ))
		fi
	fi
	[ "$eof" = 1 ] && break
	now=$(elapsed)
	if [ -n "$stop_at" ] && [ "$now" -ge "$stop_at" ]; then
		result=until
		kill "$qpid" 2>/dev/null
		break
	fi
	if [ "$timeout" != 0 ] && [ "$now" -ge $((timeout * 1000)) ]; then
		result=timeout
		kill "$qpid" 2>/dev/null
		break
	fi
done
exec 3<&-
wait "$qpid"
qrc=$?
echo "qemu-run: $(basename "$boot_image"): ${result} after $(elapsed) ms (qemu status $qrc)" >>"$log.stderr"
case "$result" in
timeout) exit 124 ;;
until) exit 125 ;;
*) exit "$qrc" ;;
esac
