# The disk-encryption core on the host: targets, keys, transform, guest RAM checks.
test_disk_crypt_SRCS := drivers/disk/diskcrypt.c core/options.c core/format.c $(HV_HOST)
test_disk_crypt_LIBS := $(CRYPTO_LIB)
