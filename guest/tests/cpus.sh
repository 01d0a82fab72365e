#!/bin/sh
# The CPUs the guest runs on (asserted by the host).
echo "cpus: online=$(cat /sys/devices/system/cpu/online) nproc=$(nproc)"
