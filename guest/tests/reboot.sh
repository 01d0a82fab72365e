#!/bin/sh
# Reboot the machine the way the kernel command line says (reboot=...).
echo "lamina-guest: rebooting"
sleep 1
reboot -f
