#!/bin/bash
# System tests: boot Lamina with a Linux guest under QEMU (TCG, AMD SVM +
# NPT) and check what the serial console shows.
#
#   tests/system/run.sh [--quick] [--jobs N] [--judge]
#
# Boots (each one serial log in $BUILD/system/<boot>.log):
#   lamina           Lamina + guest; guest tests status, memprotect,
#                    cpuwork, fpstate (FPU/SSE registers across exits),
#                    dio (4 KiB O_DIRECT reads from an IDE disk), log;
#                    the guest powers off
#   bare             the same guest without Lamina: cpuwork, dio, status
#                    (laminactl must say Lamina is not running), power-off
#   q35              Lamina on q35 (AHCI disk), 2 CPUs, 5 GiB (RAM above
#                    4 GiB; Lamina below it): status, memprotect, dio
#   negative-option  Lamina with an unknown option
#   negative-nomod   Lamina without modules
#   negative-garbage Lamina with a garbage module instead of a bzImage
# Tests (one PASS/FAIL line each in $RESULTS/system.txt; the boots each
# one judged are copied into $BUILD/system/<test>.log):
#   boot status log memprotect cpuwork fpstate disk poweroff q35 no-lamina
#   negative-option negative-nomod negative-garbage
# SYSTEM_TIMEOUT=S replaces every boot's time limit (seconds).
# --quick (make check-svm) boots only `svm` (Lamina with the status test,
# log $BUILD/system/svm.log) and checks boot and status.  --judge boots nothing and checks the logs the
# last run left (for working on the checks themselves).
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 2
BUILD=${BUILD:-build}
RESULTS=${RESULTS:-$BUILD/results}
SYS=$BUILD/system
jobs=2 quick=0 judge=0
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1; shift ;;
	--jobs) jobs=$2; shift 2 ;;
	--judge) judge=1; shift ;;
	*) echo "usage: $0 [--quick] [--jobs N] [--judge]" >&2; exit 2 ;;
	esac
done

mkdir -p "$SYS" "$RESULTS"
# One run at a time per tree: boots share $SYS (several people or make
# invocations may start the suite at once).
exec 9>"$SYS/.lock"
if ! flock -n 9; then
	echo "system: another system test run holds $SYS/.lock; waiting"
	flock 9
fi
results_file=$RESULTS/system.txt
[ "$quick" = 1 ] && results_file=$RESULTS/svm.txt
: >"$results_file"
t_start=$(date +%s)

pass() { echo "PASS system/$1" | tee -a "$results_file"; }
fail() { echo "FAIL system/$1: $2" | tee -a "$results_file"; }

# ---------------------------------------------------------------- boots
# name|mode|lamina options|guest params|timeout s|qemu-run options|stop when
# this matches (last: it may hold '|')
# (boots with "dio" in their tests get their own copy of a test disk)
# The boot judged by the boot and status tests (check-svm has its own).
main=lamina
[ "$quick" = 1 ] && main=svm
if [ "$quick" = 1 ]; then
	BOOTS=("svm|lamina||guest.test=status,log guest.end=poweroff|240||")
else
	BOOTS=(
	"lamina|lamina||guest.test=status,memprotect,cpuwork,fpstate,dio,log guest.end=poweroff|420||"
	"bare|bare||guest.test=cpuwork,dio,status guest.end=poweroff|180||"
	"q35|lamina||guest.test=status,sysinfo,memprotect,dio guest.end=poweroff|300|-M q35 -s 2 -m 5120|"
	"negative-option|lamina|no-such-option=1|guest.end=poweroff|120||lamina: (warning: |error: )?unknown option"
	"negative-nomod|nomod|||90||lamina: error:"
	"negative-garbage|garbage||guest.end=poweroff|90||lamina: error:"
	)
fi

have_lamina=1 have_guest=1
[ -s "$BUILD/lamina.elf" ] || have_lamina=0
[ -s "$BUILD/guest/vmlinuz" ] && [ -s "$BUILD/guest/initrd.img" ] || have_guest=0

declare -A status=()     # boot -> qemu-run exit status, or "missing: why"

boot_one() {
	local name=$1 mode=$2 opts=$3 params=$4 tmo=$5 qopts=$6 until=$7
	local iso=$SYS/$name.iso log=$SYS/$name.log args=()
	tmo=${SYSTEM_TIMEOUT:-$tmo}
	if ! tools/mkiso.sh -o "$iso" -m "$mode" -l "$opts" -c "$params" >"$SYS/$name.mkiso" 2>&1; then
		cat "$SYS/$name.mkiso" >"$log"
		return 3
	fi
	args=(-i "$iso" -l "$log" -t "$tmo" --stamp 'lamina-guest: userspace up')
	# shellcheck disable=SC2206 # options are words
	[ -n "$qopts" ] && args+=($qopts)
	if [[ $params == *dio* ]]; then
		# 16 MiB of text, a copy per boot (QEMU locks its images).
		yes "lamina system test disk" | head -c $((16 << 20)) >"$SYS/$name.disk"
		args+=(-d "$SYS/$name.disk")
	fi
	[ -n "$until" ] && args+=(--until "$until" --grace 2)
	tools/qemu-run.sh "${args[@]}"
}

running=0
declare -A pid_of=()
for b in "${BOOTS[@]}"; do
	IFS='|' read -r name mode opts params tmo qopts until <<<"$b"
	if [ "$mode" != bare ] && [ "$have_lamina" = 0 ]; then
		status[$name]="missing: $BUILD/lamina.elf does not build"
		continue
	fi
	if [ "$mode" != nomod ] && [ "$have_guest" = 0 ]; then
		status[$name]="missing: the guest image did not build (make guest)"
		continue
	fi
	if [ "$judge" = 1 ]; then
		pid_of[$name]=judge
		continue
	fi
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	echo "system: booting $name ($mode)"
	( boot_one "$name" "$mode" "$opts" "$params" "$tmo" "$qopts" "$until"
	  echo $? >"$SYS/$name.status" ) &
	pid_of[$name]=$!
	running=$((running + 1))
done
wait
for name in "${!pid_of[@]}"; do
	status[$name]=$(cat "$SYS/$name.status" 2>/dev/null || echo 255)
	echo "system: $name finished with status ${status[$name]} ($(tail -n 1 "$SYS/$name.log.stderr" 2>/dev/null))"
done

# Each test's log: build/system/<test>.log, made of the boots it judges.
test_log() {
	local t=$1 b; shift
	[ "$t" = "$1" ] && [ $# -eq 1 ] && return 0     # the boot's own log
	for b in "$@"; do
		echo "==== boot '$b' ($SYS/$b.log) ===="
		cat "$SYS/$b.log" 2>/dev/null
	done >"$SYS/$t.log"
}
if [ "$judge" = 0 ]; then
	for t in boot status; do test_log $t "$main"; done
	if [ "$quick" = 0 ]; then
		test_log memprotect lamina
		test_log log lamina
		test_log fpstate lamina
		for t in cpuwork disk poweroff; do test_log $t lamina bare; done
		test_log no-lamina bare
	fi
fi

# ------------------------------------------------------------ helpers
LOG() { echo "$SYS/$1.log"; }

# A boot that did not run or timed out fails every test that needs it.
declare -A tail_shown=()
# usable BOOT TEST: returns 0 when the log can be judged.
usable() {
	local st=${status[$1]:-"missing: not booted"}
	case "$st" in
	missing:*) fail "$2" "${st#missing: }"; return 1 ;;
	124)
		if [ -z "${tail_shown[$1]:-}" ]; then
			tail_shown[$1]=1
			fail "$2" "boot '$1' timed out (log $(LOG "$1")); its last 30 lines:"
			tail -n 30 "$(LOG "$1")" | sed 's/^/    | /'
		else
			fail "$2" "boot '$1' timed out (its log's tail is shown above)"
		fi
		return 1 ;;
	3)
		fail "$2" "could not build the ISO for '$1':"
		tail -n 10 "$(LOG "$1")" | sed 's/^/    | /'
		return 1 ;;
	0|125) ;;
	*)
		# QEMU itself failed: say why, once; the checks still run.
		if [ -z "${tail_shown[$1]:-}" ]; then
			tail_shown[$1]=1
			echo "system: QEMU for '$1' exited with status $st; its messages:"
			tail -n 10 "$SYS/$1.log.stderr" 2>/dev/null | sed 's/^/    | /'
		fi ;;
	esac
	return 0
}

# section BOOT TEST: the lines a guest test printed, between its markers.
section() {
	sed -n "/^guest-test $2: begin/,/^guest-test $2: end/p" "$(LOG "$1")"
}
section_rc() {
	sed -n "s/^guest-test $2: end rc=\([0-9]*\).*/\1/p" "$(LOG "$1")" | tail -n 1
}

has() { grep -qE -- "$2" "$(LOG "$1")"; }

# check TEST: runs the queued conditions, one PASS or FAIL line.
problems=()
want() { problems+=("$1"); }
verdict() {
	if [ ${#problems[@]} -eq 0 ]; then
		pass "$1"
	else
		local msg p
		msg=${problems[0]}
		for p in "${problems[@]:1}"; do msg="$msg; $p"; done
		fail "$1" "$msg"
		echo "    (log: $2)"
	fi
	problems=()
}

lamina_in_chain() {
	has "$1" 'lamina: Lamina v' || want "no Lamina banner 'lamina: Lamina v' in $1 boot"
}

# -------------------------------------------------------------- tests
test_boot() {
	local b=$main
	usable $b boot || return
	lamina_in_chain $b
	has $b 'lamina: .*backend:? svm' || want "no 'lamina: backend svm' line"
	has $b 'lamina: .*nested paging:? npt' || want "no 'nested paging npt' line"
	has $b '^lamina-guest: userspace up' || want "guest never reached userspace"
	# Lamina must have started before the guest's kernel did.
	local lb lg
	lb=$(grep -n -m1 'lamina: Lamina v' "$(LOG $b)" | cut -d: -f1)
	lg=$(grep -n -m1 '^lamina-guest: userspace up' "$(LOG $b)" | cut -d: -f1)
	if [ -n "$lb" ] && [ -n "$lg" ] && [ "$lb" -gt "$lg" ]; then
		want "Lamina's banner came after the guest's userspace"
	fi
	verdict boot "$(LOG $b)"
}

test_status() {
	local b=$main s rc n
	usable $b status || return
	lamina_in_chain $b
	s=$(section $b status)
	rc=$(section_rc $b status)
	[ -n "$s" ] || want "guest test 'status' did not run"
	[ "$rc" = 0 ] || want "laminactl status exited with '${rc:-none}'"
	grep -q '^backend: svm' <<<"$s" || want "no 'backend: svm'"
	grep -q '^paging: npt' <<<"$s" || want "no 'paging: npt'"
	grep -qE '^memory: 0x[0-9a-fA-F]+-0x[0-9a-fA-F]+' <<<"$s" || want "no 'memory: 0x...-0x...'"
	n=$(sed -n 's/^exits_total: *\([0-9]*\).*/\1/p' <<<"$s" | head -n 1)
	[ -n "$n" ] && [ "$n" -gt 0 ] || want "exits_total is '${n:-missing}', not > 0"
	grep -q '^exits_cpuid' <<<"$s" || want "no 'exits_cpuid' line"
	n=$(sed -n 's/^handling_cpuid: \([0-9]*\) ns per exit$/\1/p' <<<"$s")
	[ -n "$n" ] && [ "$n" -gt 0 ] || want "handling_cpuid is '${n:-missing}', not > 0 ns per exit"
	verdict status "$(LOG $b)"
}

test_log_ring() {
	local s
	usable lamina log || return
	lamina_in_chain lamina
	s=$(section lamina log)
	[ "$(section_rc lamina log)" = 0 ] || want "laminactl log exited with '$(section_rc lamina log)'"
	grep -q 'Lamina v' <<<"$s" || want "the log ring has no banner line"
	verdict log "$(LOG lamina)"
}

test_memprotect() {
	local b=lamina s rc
	usable $b memprotect || return
	lamina_in_chain $b
	s=$(section $b memprotect)
	rc=$(section_rc $b memprotect)
	[ -n "$s" ] || want "guest test 'memprotect' did not run"
	[ "$rc" = 0 ] || want "memprobe exited with '${rc:-none}'"
	grep -q 'found_lamina_strings=0$' <<<"$s" || want "memprobe saw Lamina's strings (or did not finish reading)"
	grep -q 'memprobe: wrote 3 pages' <<<"$s" || want "memprobe did not write 3 pages"
	grep -q 'laminactl status after writes: ok' <<<"$s" || want "laminactl status failed after the writes"
	local n
	n=$(sed -n 's/^memprobe: lamina guard_blocked_reads: *\([0-9]*\).*/\1/p' <<<"$s" | head -n 1)
	if [ -n "$n" ] && [ "$n" -eq 0 ]; then
		want "Lamina counted no blocked reads (guard_blocked_reads: 0)"
	fi
	# Lamina reports what it blocked, on its serial lines or in its log ring.
	grep -qiE 'lamina: .*blocked' "$(LOG $b)" ||
		section $b log | grep -qi 'blocked' ||
		want "Lamina logged no blocked guest access"
	verdict memprotect "$(LOG $b)"
}

test_cpuwork() {
	local rl rb
	usable lamina cpuwork || return
	usable bare cpuwork || return
	lamina_in_chain lamina
	rl=$(section lamina cpuwork | sed -n 's/^cpuwork: result=//p' | head -n 1)
	rb=$(section bare cpuwork | sed -n 's/^cpuwork: result=//p' | head -n 1)
	[ -n "$rl" ] || want "no cpuwork result under Lamina"
	[ -n "$rb" ] || want "no cpuwork result in the bare boot"
	[ "$rl" = "$rb" ] || want "result under Lamina '$rl' != bare '$rb'"
	has bare 'lamina: Lamina v' && want "the bare boot shows Lamina's banner"
	verdict cpuwork "$(LOG lamina) $(LOG bare)"
	echo "    cpuwork ms: lamina $(section lamina cpuwork | sed -n 's/^cpuwork: elapsed_ms=//p' | head -n 1)," \
		"bare $(section bare cpuwork | sed -n 's/^cpuwork: elapsed_ms=//p' | head -n 1)"
}

test_fpstate() {
	local s
	usable lamina fpstate || return
	lamina_in_chain lamina
	s=$(section lamina fpstate)
	[ -n "$s" ] || want "guest test 'fpstate' did not run"
	[ "$(section_rc lamina fpstate)" = 0 ] || want "fpstate exited with '$(section_rc lamina fpstate)'"
	grep -q '^fpstate: ok' <<<"$s" || want "FPU/SSE state changed across exits to Lamina"
	verdict fpstate "$(LOG lamina)"
}

test_disk() {
	local sl sb
	usable lamina disk || return
	usable bare disk || return
	lamina_in_chain lamina
	[ "$(section_rc lamina dio)" = 0 ] || want "dio under Lamina exited with '$(section_rc lamina dio)'"
	[ "$(section_rc bare dio)" = 0 ] || want "dio in the bare boot exited with '$(section_rc bare dio)'"
	sl=$(section lamina dio | sed -n 's/.*bytesum=//p' | head -n 1)
	sb=$(section bare dio | sed -n 's/.*bytesum=//p' | head -n 1)
	[ -n "$sl" ] && [ "$sl" = "$sb" ] || want "data read under Lamina (sum '$sl') differs from bare ('$sb')"
	verdict disk "$(LOG lamina) $(LOG bare)"
	echo "    dio ms: lamina $(section lamina dio | sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' | head -n 1)," \
		"bare $(section bare dio | sed -n 's/.*elapsed_ms=\([0-9]*\).*/\1/p' | head -n 1)"
}

test_poweroff() {
	local b
	for b in lamina bare; do usable $b poweroff || return; done
	lamina_in_chain lamina
	for b in lamina bare; do
		has $b '^lamina-guest: powering off' || want "$b: the guest did not reach power-off"
		[ "${status[$b]}" = 0 ] || want "$b: QEMU exit status ${status[$b]}, not 0 (powered off by itself)"
	done
	verdict poweroff "$(LOG lamina) $(LOG bare)"
}

# Another chipset (q35: PCIe, AHCI), two CPUs and 5 GiB under Lamina.
test_q35() {
	local s sl sb kib
	usable q35 q35 || return
	lamina_in_chain q35
	has q35 '^lamina-guest: userspace up' || want "guest never reached userspace"
	s=$(section q35 status)
	grep -q '^backend: svm' <<<"$s" || want "laminactl status did not answer"
	kib=$(section q35 sysinfo | sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p')
	[ "${kib:-0}" -gt $((4 << 20)) ] || want "the guest sees ${kib:-no} KiB, not its RAM above 4 GiB"
	[ "$(section_rc q35 memprotect)" = 0 ] ||
		want "memprotect with 5 GiB exited with '$(section_rc q35 memprotect)'"
	[ "$(section_rc q35 dio)" = 0 ] || want "dio on AHCI exited with '$(section_rc q35 dio)'"
	sl=$(section q35 dio | sed -n 's/.*bytesum=//p' | head -n 1)
	sb=$(section bare dio | sed -n 's/.*bytesum=//p' | head -n 1)
	if [ -n "$sb" ]; then
		[ "$sl" = "$sb" ] || want "data read on AHCI (sum '$sl') differs from bare IDE ('$sb')"
	fi
	[ "${status[q35]}" = 0 ] || want "QEMU exit status ${status[q35]}, not 0 (power-off)"
	verdict q35 "$(LOG q35)"
}

# laminactl without Lamina: in the bare guest (VMMCALL raises #UD) and on
# this host (bare metal, or another hypervisor answering).
test_no_lamina() {
	local s rc said
	usable bare no-lamina || return
	s=$(section bare status)
	rc=$(section_rc bare status)
	[ "$rc" = 1 ] || want "laminactl status in the bare guest exited with '${rc:-none}', not 1"
	grep -q '^laminactl: Lamina is not running' <<<"$s" ||
		want "the bare guest's laminactl did not say 'Lamina is not running'"
	if [ -x "$BUILD/laminactl" ]; then
		said=$("$BUILD/laminactl" status 2>&1)
		rc=$?
		[ "$rc" = 1 ] && [ "$said" = "laminactl: Lamina is not running" ] ||
			want "on this host laminactl status gave status $rc: '$said'"
	fi
	verdict no-lamina "$(LOG bare)"
}

test_negative() {
	local t=$1 b=$1 msg=$2
	usable $b "$t" || return
	has $b "$msg" || want "no '$msg' line"
	has $b '^lamina-guest: userspace up' && [ "$t" != negative-option ] &&
		want "the guest booted anyway"
	verdict "$t" "$(LOG $b)"
}

if [ "$quick" = 1 ]; then
	test_boot
	test_status
else
	test_boot
	test_status
	test_log_ring
	test_memprotect
	test_cpuwork
	test_fpstate
	test_disk
	test_poweroff
	test_q35
	test_no_lamina
	test_negative negative-option 'lamina: (warning: |error: )?unknown option'
	test_negative negative-nomod 'lamina: error:'
	test_negative negative-garbage 'lamina: error:'
fi

for name in "${!pid_of[@]}"; do
	st=$(sed -n 's/^\([0-9]*\)\t.*userspace up/\1/p' "$SYS/$name.log.stamps" 2>/dev/null | head -n 1)
	[ -n "$st" ] && echo "system: $name reached guest userspace after $((st / 1000)).$(( (st % 1000) / 100 )) s"
done
echo "system: suite took $(( $(date +%s) - t_start )) s"
echo "system: $(grep -c '^PASS' "$results_file") passed, $(grep -c '^FAIL' "$results_file") failed"
! grep -q '^FAIL' "$results_file"
