/*
 * The disk-encryption core (diskcrypt.h): the encrypt= targets, their key,
 * the sector transform and checked guest-memory copies.  Set up once at
 * start; afterwards everything here is read-only, so the mediators call it
 * from any CPU without a lock.
 */
#include "drivers/disk/diskcrypt.h"
#include "arch/x86/simd.h"
#include "boot/bootinfo.h"
#include "core/format.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/options.h"
#include "core/string.h"
#include "crypto/sha256.h"
#include "crypto/xts.h"

#define EINVAL 22
#define EFAULT 14
#define ENOENT 2

struct disk_crypt {
	enum disk_bus bus;
	unsigned a, b;
	u64 first_lba, end_lba;    /* [first, end) is transformed */
	const struct xts_key *key; /* NULL: key=none, sectors stored as written */
};

static struct disk_crypt targets[OPT_MAX_DISKS];
static unsigned nr_targets;
static struct xts_key disk_key;
static u64 shadow_size = DISK_SHADOW_DEFAULT;

/* Guest RAM (usable and ACPI-reclaimable ranges of the loader's map): the
 * only memory Lamina copies disk data to or from on the guest's behalf. */
static struct mem_range guest_ram[MAX_MEM_RANGES];
static unsigned nr_guest_ram;

/* ------------------------------------------------------------ guest RAM */

/* Bulk copies of disk data: 64 bytes per iteration through registers.
 * memcpy's REP MOVS runs one element per step under emulators (QEMU's
 * TCG); plain loads and stores run several times faster there and as fast
 * on hardware.  (The empty asm keeps the compiler from turning the loop
 * back into a memcpy call.) */
static void copy_bulk(void *dst, const void *src, size_t len)
{
	u64 *d = dst;
	const u64 *s = src;

	for (; len >= 64; len -= 64, d += 8, s += 8) {
		u64 a = s[0], b = s[1], c = s[2], e = s[3], f = s[4], g = s[5], h = s[6], i = s[7];

		asm("" : "+r"(a), "+r"(b), "+r"(c), "+r"(e), "+r"(f), "+r"(g), "+r"(h), "+r"(i));
		d[0] = a, d[1] = b, d[2] = c, d[3] = e, d[4] = f, d[5] = g, d[6] = h, d[7] = i;
	}
	memcpy(d, s, len);
}

static const struct mem_range *ram_range_at(u64 gpa)
{
	for (unsigned i = 0; i < nr_guest_ram; i++)
		if (gpa - guest_ram[i].base < guest_ram[i].size)
			return &guest_ram[i];
	return NULL;
}

bool disk_dma_range_ok(u64 gpa, u64 len)
{
	u64 end = gpa + len;

	if (!len || end < gpa || ranges_overlap(gpa, len, hv_region.base, hv_region.size))
		return false;
	/* Walk adjacent RAM ranges (the map need not be merged or sorted);
	 * every byte must be RAM.  RAM lies inside Lamina's identity map. */
	while (gpa < end) {
		const struct mem_range *r = ram_range_at(gpa);

		if (!r)
			return false;
		gpa = r->base + r->size;
	}
	return true;
}

int guest_phys_copy_in(void *dst, u64 gpa, size_t len)
{
	if (!disk_dma_range_ok(gpa, len))
		return -EFAULT;
	copy_bulk(dst, phys_to_virt(gpa), len);
	return 0;
}

int guest_phys_copy_out(u64 gpa, const void *src, size_t len)
{
	if (!disk_dma_range_ok(gpa, len))
		return -EFAULT;
	copy_bulk(phys_to_virt(gpa), src, len);
	return 0;
}

static void record_guest_ram(const struct boot_info *bi)
{
	nr_guest_ram = 0;
	for (unsigned i = 0; i < bi->nr_mem && nr_guest_ram < MAX_MEM_RANGES; i++)
		if (bi->mem[i].type == MEM_USABLE || bi->mem[i].type == MEM_ACPI_RECLAIM)
			guest_ram[nr_guest_ram++] = bi->mem[i];
}

/* ------------------------------------------------------------- targets */

const struct disk_crypt *disk_crypt_find(enum disk_bus bus, unsigned a, unsigned b)
{
	for (unsigned i = 0; i < nr_targets; i++)
		if (targets[i].bus == bus && targets[i].a == a && targets[i].b == b)
			return &targets[i];
	return NULL;
}

u64 disk_shadow_size(void)
{
	return shadow_size;
}

bool disk_crypt_encrypts(const struct disk_crypt *dc)
{
	return dc && dc->key;
}

bool disk_crypt_whole_disk(const struct disk_crypt *dc)
{
	return !dc->first_lba && dc->end_lba == UINT64_MAX;
}

static void transform(struct vcpu *v, const struct disk_crypt *dc, u64 lba, u8 *dst,
		      const u8 *src, u64 sectors, bool encrypt)
{
	u64 end = lba + sectors;
	u64 first = MAX(lba, dc->first_lba), last = MIN(end, dc->end_lba);

	if (dst != src)
		copy_bulk(dst, src, sectors * DISK_SECTOR_SIZE);
	if (!dc->key || first >= last)
		return;
	size_t off = (first - lba) * DISK_SECTOR_SIZE, len = (last - first) * DISK_SECTOR_SIZE;

	simd_begin(v);
	if (encrypt)
		xts_encrypt_units(dc->key, first, DISK_SECTOR_SIZE, dst + off, dst + off, len);
	else
		xts_decrypt_units(dc->key, first, DISK_SECTOR_SIZE, dst + off, dst + off, len);
	simd_end(v);
}

void disk_crypt_encrypt(struct vcpu *v, const struct disk_crypt *dc, u64 lba, void *dst,
			const void *src, u64 sectors)
{
	transform(v, dc, lba, dst, src, sectors, true);
}

void disk_crypt_decrypt(struct vcpu *v, const struct disk_crypt *dc, u64 lba, void *dst,
			const void *src, u64 sectors)
{
	transform(v, dc, lba, dst, src, sectors, false);
}

/* ----------------------------------------------------------------- keys */

/* The module whose command line is `name` or starts with the word `name`
 * (GRUB passes what follows the file name on the module2 line). */
static int find_module(const struct boot_info *bi, const char *name)
{
	size_t n = strlen(name);

	for (unsigned i = 0; i < bi->nr_modules; i++) {
		const char *c = bi->modules[i].cmdline;

		if (c && !strncmp(c, name, n) && (c[n] == '\0' || c[n] == ' '))
			return i;
	}
	return -ENOENT;
}

/* Takes the raw key out of the key-file module, wipes the module (it lies
 * in memory the guest gets) and drops it from the list. */
static int key_from_module(struct boot_info *bi, const char *name, u8 *key, unsigned *len)
{
	int i = find_module(bi, name);

	if (i < 0) {
		pr_err("keyfile=%s: no multiboot2 module with that command line", name);
		return -ENOENT;
	}
	struct boot_module *m = &bi->modules[i];
	int err = 0;

	if (m->size == 32 || m->size == 64) {
		memcpy(key, phys_to_virt(m->start), m->size);
		*len = m->size;
	} else {
		pr_err("keyfile=%s: %llu bytes; a raw XTS key has 32 or 64", name,
		       (unsigned long long)m->size);
		err = -EINVAL;
	}
	crypto_wipe(phys_to_virt(m->start), m->size);
	memmove(m, m + 1, (bi->nr_modules - i - 1) * sizeof(*m));
	bi->nr_modules--;
	return err;
}

/* The raw key of o's key source into key/len (len 0 for key=none). */
static int derive_key(struct opt_key *k, struct boot_info *bi, u8 *key, unsigned *len)
{
	*len = 0;
	switch (k->source) {
	case OPT_KEY_RAW:
		memcpy(key, k->raw, k->raw_len);
		*len = k->raw_len;
		return 0;
	case OPT_KEY_FILE:
		return key_from_module(bi, k->text, key, len);
	case OPT_KEY_PASSPHRASE:
		*len = OPT_KEY_MAX;
		return pbkdf2_hmac_sha256(k->text, strlen(k->text), k->salt, strlen(k->salt),
					  k->iterations, key, *len) ? -EINVAL : 0;
	case OPT_KEY_NONE:
	case OPT_KEY_UNSET:
		return 0;
	}
	return -EINVAL;
}

static const char *const key_source_names[] = {
	[OPT_KEY_UNSET] = "none", [OPT_KEY_RAW] = "key=",          [OPT_KEY_NONE] = "key=none",
	[OPT_KEY_FILE] = "keyfile=", [OPT_KEY_PASSPHRASE] = "passphrase=",
};

static void log_target(const struct disk_crypt *dc, unsigned key_len)
{
	char name[80];
	struct textbuf tb = { name, sizeof(name), 0 };

	if (dc->bus == DISK_BUS_ATA)
		textbuf_printf(&tb, "ata:%u.%u", dc->a, dc->b);
	else
		textbuf_printf(&tb, "ahci:%u", dc->a);
	if (dc->first_lba || dc->end_lba != UINT64_MAX)
		textbuf_printf(&tb, " sectors %llu-%llu", (unsigned long long)dc->first_lba,
			       (unsigned long long)dc->end_lba - 1);
	pr_info("disk: %s: %s", name,
		!dc->key ? "mediated without encryption (key=none)"
		: key_len == 64 ? "XTS-AES-256" : "XTS-AES-128");
}

int disk_crypt_init(struct options *o, struct boot_info *bi)
{
	enum opt_key_source source = o->key.source;
	u8 key[OPT_KEY_MAX];
	unsigned key_len;
	int err;

	record_guest_ram(bi);
	options_scrub_secrets((char *)bi->cmdline);
	err = derive_key(&o->key, bi, key, &key_len);
	if (!err && key_len && xts_setkey(&disk_key, key, key_len))
		err = -EINVAL;
	crypto_wipe(key, sizeof(key));
	crypto_wipe(&o->key, sizeof(o->key));
	if (err) {
		pr_err("disk: no key from %s", key_source_names[source]);
		return err;
	}
	if (o->disk_buffer)
		shadow_size = o->disk_buffer;
	nr_targets = 0;
	for (unsigned i = 0; i < o->nr_disks; i++) {
		const struct opt_disk *d = &o->disks[i];
		struct disk_crypt *dc = &targets[nr_targets++];

		*dc = (struct disk_crypt){
			.bus = d->bus == OPT_DISK_ATA ? DISK_BUS_ATA : DISK_BUS_AHCI,
			.a = d->a,
			.b = d->b,
			.first_lba = d->first_lba,
			.end_lba = d->count ? d->first_lba + d->count : UINT64_MAX,
			.key = key_len ? &disk_key : NULL,
		};
		log_target(dc, key_len);
	}
	return 0;
}
