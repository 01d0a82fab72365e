#!/bin/sh
# run-tap.sh SUITE TIMEOUT BINARY LOG
# Runs one cmocka binary with TAP output and prints PASS/FAIL lines.
suite=$1 limit=$2 bin=$3 log=$4

CMOCKA_MESSAGE_OUTPUT=TAP timeout -k 5 "$limit" "$bin" > "$log" 2>&1
rc=$?

# "ok 3 - name" / "not ok 3 - name" -> PASS/FAIL suite.name
sed -n -e "s/^ok [0-9][0-9]* - \(.*\)$/PASS $suite.\1/p" \
       -e "s/^not ok [0-9][0-9]* - \(.*\)$/FAIL $suite.\1/p" "$log"

ran=$(grep -c -E '^(not )?ok [0-9]+ - ' "$log")
failed=$(grep -c -E '^not ok [0-9]+ - ' "$log")
planned=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$log" | head -1)

if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "FAIL $suite.timeout"
elif [ "$rc" -gt 128 ]; then
	echo "FAIL $suite.crashed_signal_$((rc - 128))"
elif [ "$ran" -eq 0 ]; then
	echo "FAIL $suite.no_tests_ran_exit_$rc"
elif [ -n "$planned" ] && [ "$ran" -lt "$planned" ]; then
	echo "FAIL $suite.incomplete_${ran}_of_$planned"
elif [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "FAIL $suite.exit_status_$rc"
fi
exit 0
