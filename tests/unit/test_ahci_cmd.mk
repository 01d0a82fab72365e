# The AHCI mediator's pure part: command classification, PRDT checks, shadow pool.
test_ahci_cmd_SRCS := drivers/disk/ahci_cmd.c
