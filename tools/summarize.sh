#!/bin/sh
# Sums the PASS/FAIL lines every suite wrote into one closing line and
# fails when any test failed or nothing ran at all.
dir=${1:-build/results}
passed=$(cat "$dir"/*.txt 2>/dev/null | grep -c '^PASS ')
failed=$(cat "$dir"/*.txt 2>/dev/null | grep -c '^FAIL ')
cat "$dir"/*.txt 2>/dev/null | grep '^FAIL ' | sed 's/^/  /'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
