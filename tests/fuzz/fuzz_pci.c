/*
 * libFuzzer target: PCI enumeration over a config space the fuzzer
 * writes (any bus numbers, header types, BAR masks; optionally every
 * address answering), then guest config writes against the model.
 * Enumeration must end, stay in bounds, and leave every register of
 * every function as it found it.
 *
 * Input: flags (bit 0: the first function answers at every address),
 * last bus, a class to mediate, then records of bus, dev, fn, 64 header
 * bytes and 6 BAR write masks (24 bytes); what is left are 10-byte guest
 * config writes (bus, dev, fn, offset x2, width, value x4).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/pci.h"
#include "drivers/registry.h"

#define MAX_FNS 48
#define REC_SIZE (3 + 64 + 24)

struct ffn {
	struct pci_addr a;
	u8 cfg[PCI_CFG_SIZE];
	u8 orig[PCI_CFG_SIZE];
	u32 wmask[6];
};

static struct ffn fns[MAX_FNS];
static unsigned nfns;
static u8 last_bus;
static const struct ffn *answer_all; /* every other address answers like this */

static struct ffn *ffind(struct pci_addr a)
{
	for (unsigned i = 0; i < nfns; i++)
		if (fns[i].a.bus == a.bus && fns[i].a.dev == a.dev && fns[i].a.fn == a.fn &&
		    fns[i].a.seg == a.seg)
			return &fns[i];
	return NULL;
}

static bool f_reaches(void *ctx, u16 seg, u8 bus)
{
	(void)ctx;
	return seg == 0 && bus <= last_bus;
}

static u32 f_read(void *ctx, struct pci_addr a, u16 off, unsigned width)
{
	const struct ffn *f = ffind(a);
	u32 v = 0;

	(void)ctx;
	if (off + width > PCI_CFG_SIZE || (width != 1 && width != 2 && width != 4))
		__builtin_trap(); /* the core must have checked */
	if (!f)
		f = answer_all;
	if (!f)
		return 0xffffffffu;
	memcpy(&v, f->cfg + off, width);
	return v;
}

static void f_write(void *ctx, struct pci_addr a, u16 off, unsigned width, u32 val)
{
	struct ffn *f = ffind(a);

	(void)ctx;
	if (off + width > PCI_CFG_SIZE || (width != 1 && width != 2 && width != 4))
		__builtin_trap();
	if (!f)
		return;
	for (unsigned k = 0; k < width; k++) {
		unsigned o = off + k;
		u8 b = val >> (8 * k);

		if (o >= PCI_BAR0 && o < PCI_BAR0 + 24) {
			u8 m = f->wmask[(o - PCI_BAR0) / 4] >> (8 * ((o - PCI_BAR0) % 4));

			f->cfg[o] = (f->cfg[o] & ~m) | (b & m);
		} else {
			f->cfg[o] = b;
		}
	}
}

static const struct pci_cfg_ops f_ops = { "fuzz", f_reaches, f_read, f_write };
static const struct pci_cfg f_cfg = { &f_ops, NULL, PCI_CFG_SIZE };

static int med_probe(struct pci_dev *d)
{
	return d->vendor & 1 ? 0 : -PCI_ENODEV;
}

static void med_moved(struct pci_dev *d, unsigned bar, u64 from, u64 to)
{
	if (bar >= PCI_MAX_BARS || from == to || !d->mediator)
		__builtin_trap();
}

static struct pci_match med_match[2];
static const struct pci_mediator med = {
	.name = "fuzz", .match = med_match, .probe = med_probe, .bar_moved = med_moved,
};

static struct pci_dev devs[32];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pci_mediator *table[] = { &med };
	static char text[4096];
	u8 flags;

	/* The same bytes as an MCFG table, and an address to decode. */
	{
		struct pci_ecam e[PCI_MAX_ECAM];
		unsigned n = pci_mcfg_parse(data, size, e, PCI_MAX_ECAM);
		struct pci_addr a;
		u64 pa = 0;
		u16 off;

		if (n > PCI_MAX_ECAM)
			__builtin_trap();
		memcpy(&pa, data, size < 8 ? size : 8);
		for (unsigned i = 0; i < n; i++)
			if (e[i].bus_start > e[i].bus_end || !e[i].base)
				__builtin_trap();
		if (pci_ecam_decode(e, n, pa, &a, &off) &&
		    (a.dev > 31 || a.fn > 7 || off > 0xfff))
			__builtin_trap();
	}
	if (size < 3)
		return 0;
	flags = data[0];
	last_bus = data[1];
	med_match[0] = (struct pci_match){ .flags = PCI_MATCH_CLASS, .class = data[2] };
	data += 3;
	size -= 3;
	nfns = 0;
	answer_all = NULL;
	while (size >= REC_SIZE && nfns < MAX_FNS) {
		struct ffn *f = &fns[nfns++];

		memset(f, 0, sizeof(*f));
		f->a = (struct pci_addr){ 0, data[0], data[1] & 31, data[2] & 7 };
		memcpy(f->cfg, data + 3, 64);
		memcpy(f->wmask, data + 3 + 64, 24);
		memcpy(f->orig, f->cfg, sizeof(f->cfg));
		data += REC_SIZE;
		size -= REC_SIZE;
		if (flags & 1)
			break; /* one function, answering everywhere (with the next ones) */
	}
	if ((flags & 1) && nfns) {
		/* the template answers at every address it does not own, read-only */
		static struct ffn tmpl;

		tmpl = fns[0];
		answer_all = &tmpl;
	}

	memset(devs, 0, sizeof(devs));
	pci_devices = (struct pci_topology){ devs, ARRAY_SIZE(devs), 0, 0, 0, 0 };
	pci_enumerate(&f_cfg, 0, 0, last_bus, &pci_devices);
	if (pci_devices.count > pci_devices.max || pci_devices.buses > 256)
		__builtin_trap();
	for (unsigned i = 0; i < nfns; i++)
		if (memcmp(fns[i].cfg, fns[i].orig, sizeof(fns[i].cfg)))
			__builtin_trap(); /* the probe left a register changed */

	pci_bind(&pci_devices, table, 1);
	pci_format(text, sizeof(text));
	pci_format(text, 7);

	/* guest writes: bus, dev, fn, off lo, off hi, width, value (4) */
	while (size >= 10) {
		struct pci_addr a = { 0, data[0], data[1], data[2] };
		u16 off = data[3] | (data[4] << 8);
		u32 val;

		memcpy(&val, data + 6, 4);
		pci_config_write_observed(a, off, data[5], val);
		for (unsigned i = 0; i < pci_devices.count; i++)
			for (unsigned b = 0; b < 8; b++)
				(void)pci_bar_decoded(&pci_devices.devs[i], b);
		data += 10;
		size -= 10;
	}
	return 0;
}
