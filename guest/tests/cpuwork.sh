#!/bin/sh
# Deterministic CPU-bound work: the result must not depend on Lamina.
cpuwork
