#!/bin/bash
# bochs-run.sh - boot one ISO headless under Bochs 2.7 (Intel VT-x CPU model).
#
#   tools/bochs-run.sh -i ISO [-l LOG] [options]
#   tools/bochs-run.sh -d DISK [-d DISK2] -l LOG [options]
#
#   -i ISO          boot this CD image (tools/mkiso.sh)
#   -d IMG          a raw hard disk (tools/mkdisk.sh): the first is BIOS
#                   drive 0x80 (booted when there is no -i), the second 0x81
#   -l LOG          serial output goes here (default: ISO with .log)
#   -t SECONDS      give up after this long (default 600; 0: never)
#   -m MIB          memory (default 512)
#   -s CPUS         number of CPUs (default 1; Debian's Bochs is built with
#                   SMP: its BIOS lists them in the ACPI MADT and MP table)
#   --cpu MODEL     Bochs CPU model (default corei7_haswell_4770: VMX with
#                   EPT, unrestricted guest, VPID)
#   --until REGEX   stop Bochs once a serial line matches (after --grace s)
#   --grace S       seconds to keep running after --until matched (default 1)
#   --stamp REGEX   record the milliseconds from Bochs start to the first
#                   serial line matching REGEX in LOG.stamps (repeatable)
#
# Bochs's own log goes to LOG.bochs, its stdout/stderr to LOG.stderr.
# Exit status: 0 when the guest powered the machine off (Bochs exits with
# status 1 then; the log says so), 124 on timeout, 125 when --until stopped
# it, 3 when Bochs stopped for another reason (panic, config error), 2 on
# a usage error.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)

iso= log= timeout=600 mem=512 cpus=1 cpu=corei7_haswell_4770 until= grace=1
# Instructions per emulated second: near the real rate, so the guest's
# clock runs at about wall speed (the default 4M makes timer interrupts 20x
# as frequent and the kernel reports soft lockups).
ips=${BOCHS_IPS:-80000000}
stamps=() disks=()

usage() { sed -n '2,26s/^# \{0,1\}//p' "$0" >&2; exit 2; }

while [ $# -gt 0 ]; do
	case "$1" in
	-i) iso=$2; shift 2 ;;
	-d) disks+=("$2"); shift 2 ;;
	-l) log=$2; shift 2 ;;
	-t) timeout=$2; shift 2 ;;
	-m) mem=$2; shift 2 ;;
	-s) cpus=$2; shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	--until) until=$2; shift 2 ;;
	--grace) grace=$2; shift 2 ;;
	--stamp) stamps+=("$2"); shift 2 ;;
	-h|--help) usage ;;
	*) echo "bochs-run: unknown argument $1" >&2; usage ;;
	esac
done
[ -n "$iso" ] || [ ${#disks[@]} -gt 0 ] || usage
[ ${#disks[@]} -le 2 ] || { echo "bochs-run: at most two disks" >&2; exit 2; }
[[ "$cpus" =~ ^[1-8]$ ]] || { echo "bochs-run: -s takes 1 to 8 CPUs" >&2; exit 2; }
for f in ${iso:+"$iso"} "${disks[@]}"; do
	[ -s "$f" ] || { echo "bochs-run: $f not found" >&2; exit 2; }
done
[ -n "$log" ] || [ -n "$iso" ] || usage
[ -n "$log" ] || log="${iso%.iso}.log"

"$here/tools/need-pkgs.sh" bochs bochsbios vgabios || exit 2

mkdir -p "$(dirname "$log")"
: >"$log"
stampfile="$log.stamps"
: >"$stampfile"
work=$(mktemp -d "${TMPDIR:-/tmp}/bochs-run.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Disks on the first IDE channel (BIOS drives 0x80, 0x81), the CD on the
# second; flat images, geometry from the size.
drives() {
	local slot=(ata0-master ata0-slave) i
	for i in "${!disks[@]}"; do
		echo "${slot[$i]}: type=disk, mode=flat, path=\"$(realpath "${disks[$i]}")\""
	done
	[ -n "$iso" ] && echo "ata1-master: type=cdrom, path=\"$(realpath "$iso")\", status=inserted"
	if [ -n "$iso" ]; then echo "boot: cdrom"; else echo "boot: disk"; fi
}

# No GUI: Debian's Bochs has no `nogui` library, but rfb with timeout=0
# runs without waiting for a viewer.  The speaker plugin aborts without a
# sound device.  The debugger is compiled in: `c` starts the simulation.
cat >"$work/bochsrc" <<EOF
megs: $mem
cpu: model=$cpu, count=$cpus, ips=$ips, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
$(drives)
display_library: rfb, options="timeout=0"
plugin_ctrl: speaker=0
clock: sync=none, time0=local
com1: enabled=1, mode=file, dev="$(realpath "$log")"
log: "$(realpath "$log").bochs"
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
EOF
echo c >"$work/cmds"

for d in "${disks[@]}"; do
	if [ -e "$d.lock" ]; then
		echo "bochs-run: $d.lock exists: another Bochs uses $d, or one was killed" >&2
		exit 2
	fi
done

start=$(date +%s%N)
elapsed() { echo $(( ($(date +%s%N) - start) / 1000000 )); }

(cd "$work" && exec bochs-bin -q -f bochsrc -rc cmds) </dev/null >"$log.stderr" 2>&1 &
bpid=$!

result=exit stop_at=
declare -A stamped=()
while kill -0 "$bpid" 2>/dev/null; do
	sleep 0.5
	now=$(elapsed)
	for s in "${stamps[@]}"; do
		if [ -z "${stamped[$s]:-}" ] && grep -qaE -- "$s" "$log"; then
			stamped[$s]=1
			printf '%s\t%s\n' "$now" "$s" >>"$stampfile"
		fi
	done
	if [ -n "$until" ] && [ -z "$stop_at" ] && grep -qaE -- "$until" "$log"; then
		stop_at=$((now + grace * 1000))
	fi
	if [ -n "$stop_at" ] && [ "$now" -ge "$stop_at" ]; then
		result=until
		break
	fi
	if [ "$timeout" != 0 ] && [ "$now" -ge $((timeout * 1000)) ]; then
		result=timeout
		break
	fi
done
if [ "$result" != exit ]; then
	kill "$bpid" 2>/dev/null
	sleep 1
	kill -9 "$bpid" 2>/dev/null
fi
wait "$bpid"
brc=$?
# Bochs locks each disk image with IMG.lock and leaves the lock behind
# when it is killed (timeout, --until): a later run would refuse the disk.
for d in "${disks[@]}"; do rm -f "$d.lock"; done
# Serial output may carry CRs; keep the log line-oriented like qemu-run's.
sed -i 's/\r$//' "$log"
for s in "${stamps[@]}"; do
	if [ -z "${stamped[$s]:-}" ] && grep -qaE -- "$s" "$log"; then
		printf '%s\t%s\n' "$(elapsed)" "$s" >>"$stampfile"
	fi
done

# Bochs exits with status 1 both after a guest power-off and after a
# fatal panic; its log tells them apart.
if [ "$result" = exit ]; then
	if grep -qE 'ACPI control: soft power off|Shutdown port: shutdown requested|system shutdown' \
		"$log.bochs" "$log.stderr" 2>/dev/null; then
		result=poweroff
	fi
fi
echo "bochs-run: $(basename "${iso:-${disks[0]}}"): ${result} after $(elapsed) ms (bochs status $brc)" >>"$log.stderr"
case "$result" in
poweroff) exit 0 ;;
timeout) exit 124 ;;
until) exit 125 ;;
*) exit 3 ;;
esac
