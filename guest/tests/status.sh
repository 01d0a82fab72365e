#!/bin/sh
# Lamina's status as the guest sees it (asserted by the host).
laminactl status
