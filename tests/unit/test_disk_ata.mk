test_disk_ata_SRCS := drivers/disk/ata.c
