#!/bin/sh
# Lamina's log ring.
laminactl log
