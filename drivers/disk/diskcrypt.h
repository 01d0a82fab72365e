/*
 * Transparent disk encryption, the part shared by the disk mediators (IDE,
 * AHCI): which disks the user named with encrypt=, their key, the sector
 * transform (XTS-AES, dm-crypt aes-xts-plain64: 512-byte data units,
 * tweak = absolute LBA) and checked copies between Lamina and the guest's
 * memory for shadow DMA.  See docs/disk-encryption.md.
 *
 * Everything here is read-only after disk_crypt_init(), so any CPU may
 * call it at any time without a lock.
 */
#ifndef DRIVERS_DISK_DISKCRYPT_H
#define DRIVERS_DISK_DISKCRYPT_H

#include "core/types.h"

struct vcpu;
struct options;
struct boot_info;

#define DISK_SECTOR_SIZE 512

enum disk_bus { DISK_BUS_ATA, DISK_BUS_AHCI };

struct disk_crypt; /* one configured encrypt= target */

/* At start-up, after Lamina's region is set and before PCI mediators bind:
 * takes the encrypt= targets and derives their key (key=, keyfile=,
 * passphrase=); then wipes the key material in o, on the loader's command
 * line and in the key-file module, and removes that module from bi so the
 * guest loader never sees it.  0, or -errno with the reason logged. */
int disk_crypt_init(struct options *o, struct boot_info *bi);

/* The encrypt= target for ATA (a = channel, b = unit) or AHCI (a = port,
 * b = 0), or NULL when the disk is not named (then it passes through
 * untouched).  Pure lookup, no state. */
const struct disk_crypt *disk_crypt_find(enum disk_bus bus, unsigned a, unsigned b);

/* True when the target really encrypts (false for key=none: mediated, but
 * sectors are stored as the guest wrote them). */
bool disk_crypt_encrypts(const struct disk_crypt *dc);

/* True when the target covers the whole disk (no @FIRST+COUNT): a request
 * that lands on other sectors than it named still only stores ciphertext
 * and returns no ciphertext. */
bool disk_crypt_whole_disk(const struct disk_crypt *dc);

/* Encrypts / decrypts `sectors` 512-byte sectors starting at `lba` from src
 * to dst (may be equal, must not overlap otherwise); sectors outside the
 * target's LBA range are copied unchanged.  Brackets itself with
 * simd_begin(v)/simd_end(v).  Never fails. */
void disk_crypt_encrypt(struct vcpu *v, const struct disk_crypt *dc, u64 lba, void *dst,
			const void *src, u64 sectors);
void disk_crypt_decrypt(struct vcpu *v, const struct disk_crypt *dc, u64 lba, void *dst,
			const void *src, u64 sectors);

/* Bytes of shadow buffer a mediator gives each disk (diskbuf=, else
 * DISK_SHADOW_DEFAULT); larger requests go to the device in parts. */
#define DISK_SHADOW_DEFAULT (2 * MiB)
u64 disk_shadow_size(void);

/* Guest-physical buffers a device may DMA to / Lamina may copy: true when
 * [gpa, gpa+len) is inside guest RAM Lamina maps and clear of Lamina's
 * region (and does not wrap).  len 0 is refused. */
bool disk_dma_range_ok(u64 gpa, u64 len);

/* Copy between Lamina and guest-physical memory after disk_dma_range_ok()
 * (checked again here); 0 or -EFAULT. */
int guest_phys_copy_in(void *dst, u64 gpa, size_t len);
int guest_phys_copy_out(u64 gpa, const void *src, size_t len);

#endif
