#!/bin/bash
# bench-boot.sh - what Lamina costs its guest: the same guest booted bare
# and under Lamina in the same QEMU configuration, runs alternating.
#
#   tools/bench-boot.sh [-n RUNS] [-M pc|q35] [-m MIB] [-s CPUS]
#
# Per run: host wall clock from QEMU start to the guest's userspace
# marker, cpuwork's time, a 4 KiB O_DIRECT read workload on an IDE disk
# (guest test dio), and under Lamina its exits per second while the guest
# idles and while it works (laminactl status sampled twice).  Prints the
# medians, the Lamina/bare ratio of the medians and of the best runs (less
# sensitive to other load on the host).  Logs: $BUILD/bench/.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
BUILD=${BUILD:-build}
B=$BUILD/bench
runs=${BENCH_RUNS:-3} machine=pc mem=1024 cpus=1 dio_count=${BENCH_DIO_COUNT:-5000}
while [ $# -gt 0 ]; do
	case "$1" in
	-n) runs=$2; shift 2 ;;
	-M) machine=$2; shift 2 ;;
	-m) mem=$2; shift 2 ;;
	-s) cpus=$2; shift 2 ;;
	*) echo "usage: $0 [-n RUNS] [-M pc|q35] [-m MIB] [-s CPUS]" >&2; exit 2 ;;
	esac
done
mkdir -p "$B"
. tools/bench-lib.sh
bench_start bench-boot "$B/.lock"

# Both boots run the same tests; laminactl just fails in the bare one.
params="guest.test=cpuwork,dio,exits-idle,exits-load guest.end=poweroff guest.dio_count=$dio_count"
tools/mkiso.sh -o "$B/lamina.iso" -m lamina -c "$params" || exit 1
tools/mkiso.sh -o "$B/bare.iso" -m bare -c "$params" || exit 1
disk=$B/disk.img
if [ ! -s "$disk" ]; then
	# 64 MiB of non-zero data, so reads carry real bytes.
	yes "lamina bench disk block" | head -c $((64 << 20)) >"$disk"
fi

# value LOG SED-EXPR: the first match in LOG.
value() { sed -n "$2" "$1" | head -n 1; }
# Seconds from a status value such as "12.5", "12.5 s", "12500 ms".
seconds() {
	awk '{ v = $1 + 0; u = $2; if (u == "") { u = $1; sub(/^[0-9.]+/, "", u) }
	       if (u == "ms") v /= 1e3; else if (u == "us") v /= 1e6; else if (u == "ns") v /= 1e9;
	       printf "%.3f\n", v }' <<<"$1"
}
# Exits per second between the "again" and "end" samples of one guest
# test, less what one sampling costs (the "begin" to "again" difference).
exit_rate() {
	local log=$1 t=$2 sec e0 e1 e2 u1 u2
	sec=$(sed -n "/^guest-test $t: begin/,/^guest-test $t: end/p" "$log")
	e0=$(sed -n 's/^sample begin exits_total=\([0-9]*\).*/\1/p' <<<"$sec")
	e1=$(sed -n 's/^sample again exits_total=\([0-9]*\).*/\1/p' <<<"$sec")
	e2=$(sed -n 's/^sample end exits_total=\([0-9]*\).*/\1/p' <<<"$sec")
	u1=$(sed -n 's/^sample again uptime=//p' <<<"$sec")
	u2=$(sed -n 's/^sample end uptime=//p' <<<"$sec")
	if [ -z "$u1" ] || [ -z "$u2" ]; then   # Lamina gave no uptime: the guest's
		u1=$(sed -n 's/^sample again guest_uptime=//p' <<<"$sec")
		u2=$(sed -n 's/^sample end guest_uptime=//p' <<<"$sec")
	fi
	[ -n "$e0" ] && [ -n "$e1" ] && [ -n "$e2" ] && [ -n "$u1" ] && [ -n "$u2" ] || return 0
	awk -v e0="$e0" -v e1="$e1" -v e2="$e2" -v u1="$(seconds "$u1")" -v u2="$(seconds "$u2")" \
		'BEGIN { r = (e2 - e1) - (e1 - e0); if (r < 0) r = 0
		         if (u2 > u1) printf "%.1f\n", r / (u2 - u1) }'
}

# Per exit reason, exits per second in one guest test (as exit_rate),
# the busiest first: "cpuid 40.1/s, io 3.0/s".
exit_reasons() {
	sed -n "/^guest-test $2: begin/,/^guest-test $2: end/p" "$1" | awk '
		/^sample (begin|again|end) (exits_|uptime=)/ {
			split($3, kv, "="); v[$2, kv[1]] = kv[2]
			if (kv[1] ~ /^exits_/ && kv[1] != "exits_total") r[kv[1]] = 1
		}
		END {
			dt = v["end", "uptime"] - v["again", "uptime"]
			if (dt <= 0) exit
			for (k in r) {
				n = (v["end", k] - v["again", k]) - (v["again", k] - v["begin", k])
				if (n > 0) printf "%.1f %s\n", n / dt, substr(k, 7)
			}
		}' | sort -rg | head -n 6 | awk '{ printf "%s%s %s/s", (NR > 1 ? ", " : ""), $2, $1 } END { print (NR ? "" : "none") }'
}

declare -A samples=()   # "kind metric" -> space-separated values
add() { [ -n "$3" ] && samples["$1 $2"]+="$3 "; }

for i in $(seq 1 "$runs"); do
	for kind in bare lamina; do
		log=$B/$kind-$i.log
		echo "bench-boot: run $i/$runs $kind"
		tools/qemu-run.sh -i "$B/$kind.iso" -l "$log" -t 400 -M "$machine" -m "$mem" -s "$cpus" \
			-d "$disk" --stamp '^lamina-guest: userspace up'
		rc=$?
		if [ "$rc" != 0 ]; then
			echo "bench-boot: $kind run $i ended with status $rc (log $log)" >&2
			continue
		fi
		ms=$(cut -f1 "$log.stamps" | head -n 1)
		add "$kind" boot "$(awk -v m="$ms" 'BEGIN { if (m != "") printf "%.2f", m / 1000 }')"
		add "$kind" cpuwork "$(value "$log" 's/^cpuwork: elapsed_ms=//p' | awk '{ printf "%.3f", $1 / 1000 }')"
		add "$kind" dio "$(value "$log" 's/^dio: elapsed_ms=\([0-9]*\).*/\1/p' | awk '{ printf "%.3f", $1 / 1000 }')"
		if [ "$kind" = lamina ]; then
			add lamina idle "$(exit_rate "$log" exits-idle)"
			add lamina load "$(exit_rate "$log" exits-load)"
		fi
	done
done

minimum() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | head -n 1 | grep . || echo -; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx\n", a / b }'; }

echo
echo "Lamina boot benchmark: QEMU TCG -M $machine -m $mem -smp $cpus, $runs runs each, medians"
echo "(host load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); other work on the host skews wall-clock times)"
printf '%-34s %10s %10s %8s %12s\n' metric bare lamina ratio "ratio(best)"
for m in "boot:time to guest userspace (s)" "cpuwork:cpuwork (s)" "dio:dio $dio_count x 4 KiB O_DIRECT (s)"; do
	k=${m%%:*} label=${m#*:}
	mb=$(median "${samples[bare $k]:-}") ml=$(median "${samples[lamina $k]:-}")
	printf '%-34s %10s %10s %8s %12s\n' "$label" "$mb" "$ml" "$(ratio "$ml" "$mb")" \
		"$(ratio "$(minimum "${samples[lamina $k]:-}")" "$(minimum "${samples[bare $k]:-}")")"
done
echo "Lamina's exits per second (sampling cost subtracted):"
printf '%-34s %10s %10s %8s %12s\n' "Lamina exits/s, guest idle" - "$(median "${samples[lamina idle]:-}")" - -
printf '%-34s %10s %10s %8s %12s\n' "Lamina exits/s, cpuwork + dio" - "$(median "${samples[lamina load]:-}")" - -
last=$B/lamina-$runs.log
if [ -s "$last" ]; then
	echo "  by reason, idle (run $runs): $(exit_reasons "$last" exits-idle)"
	echo "  by reason, cpuwork + dio (run $runs): $(exit_reasons "$last" exits-load)"
fi
echo "(raw samples:"
for k in "${!samples[@]}"; do echo "  $k: ${samples[$k]}"; done | sort
echo ")"
