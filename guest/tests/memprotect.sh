#!/bin/sh
# Try to read and write Lamina's own memory from the guest.
memprobe
