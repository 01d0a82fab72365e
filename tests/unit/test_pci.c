/* drivers/pci.c and drivers/registry.c over a synthetic config space:
 * bridges, multi-function devices, 64-bit BARs, sizing, hostile values,
 * the model of guest config writes and mediator binding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "drivers/pci.h"
#include "drivers/registry.h"
#include "tests/unit/hv_host.h"

/* ---- a fake machine ---------------------------------------------------- */

struct fake_fn {
	struct pci_addr a;
	u8 cfg[PCI_CFG_EXT_SIZE];
	u32 bar_wmask[6]; /* writable bits of each BAR register */
};

struct fake {
	struct fake_fn fn[16];
	unsigned n;
	u8 last_bus;
	unsigned bar_writes_while_decoding;
	unsigned writes;
};

static struct fake fk;

static struct fake_fn *fake_find(struct pci_addr a)
{
	for (unsigned i = 0; i < fk.n; i++)
		if (fk.fn[i].a.seg == a.seg && fk.fn[i].a.bus == a.bus && fk.fn[i].a.dev == a.dev &&
		    fk.fn[i].a.fn == a.fn)
			return &fk.fn[i];
	return NULL;
}

static bool fake_reaches(void *ctx, u16 seg, u8 bus)
{
	(void)ctx;
	return seg == 0 && bus <= fk.last_bus;
}

static u32 fake_read(void *ctx, struct pci_addr a, u16 off, unsigned width)
{
	struct fake_fn *f = fake_find(a);
	u32 v = 0;

	(void)ctx;
	if (!f)
		return 0xffffffffu;
	memcpy(&v, f->cfg + off, width);
	return v;
}

static void fake_write(void *ctx, struct pci_addr a, u16 off, unsigned width, u32 val)
{
	struct fake_fn *f = fake_find(a);
	u16 cmd;

	(void)ctx;
	fk.writes++;
	if (!f)
		return;
	memcpy(&cmd, f->cfg + PCI_COMMAND, 2);
	for (unsigned k = 0; k < width; k++) {
		unsigned o = off + k;
		u8 b = val >> (8 * k);

		if (o >= PCI_BAR0 && o < PCI_BAR0 + 24) {
			unsigned r = (o - PCI_BAR0) / 4, sh = 8 * ((o - PCI_BAR0) % 4);
			u8 m = f->bar_wmask[r] >> sh;

			if (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))
				fk.bar_writes_while_decoding++;
			f->cfg[o] = (f->cfg[o] & ~m) | (b & m);
		} else {
			f->cfg[o] = b;
		}
	}
}

static const struct pci_cfg_ops fake_ops = { "fake", fake_reaches, fake_read, fake_write };
static const struct pci_cfg fake_cfg = { &fake_ops, NULL, PCI_CFG_SIZE };

static void put16(u8 *p, u16 v) { memcpy(p, &v, 2); }
static void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }
static u32 get32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }

static struct fake_fn *add(u8 bus, u8 dev, u8 fn, u16 vendor, u16 device, u32 class24,
			   u8 header)
{
	struct fake_fn *f;

	assert_true(fk.n < ARRAY_SIZE(fk.fn));
	f = &fk.fn[fk.n++];
	memset(f, 0, sizeof(*f));
	f->a = (struct pci_addr){ 0, bus, dev, fn };
	put16(f->cfg + PCI_VENDOR_ID, vendor);
	put16(f->cfg + PCI_DEVICE_ID, device);
	put32(f->cfg + PCI_REVISION, class24 << 8 | 0x02);
	f->cfg[PCI_HEADER_TYPE] = header;
	return f;
}

static void bar(struct fake_fn *f, unsigned i, u32 value, u32 wmask)
{
	put32(f->cfg + PCI_BAR0 + 4 * i, value);
	f->bar_wmask[i] = wmask;
}

static void bridge_buses(struct fake_fn *f, u8 pri, u8 sec, u8 sub)
{
	f->cfg[PCI_PRIMARY_BUS] = pri;
	f->cfg[PCI_SECONDARY_BUS] = sec;
	f->cfg[PCI_SUBORDINATE_BUS] = sub;
}

static struct pci_dev devs[64];

static struct pci_topology enumerate(unsigned max)
{
	struct pci_topology t = { devs, max, 0, 0, 0, 0 };

	memset(devs, 0, sizeof(devs));
	pci_enumerate(&fake_cfg, 0, 0, fk.last_bus, &t);
	return t;
}

static const struct pci_dev *find(const struct pci_topology *t, u8 bus, u8 dev, u8 fn)
{
	for (unsigned i = 0; i < t->count; i++)
		if (t->devs[i].addr.bus == bus && t->devs[i].addr.dev == dev &&
		    t->devs[i].addr.fn == fn)
			return &t->devs[i];
	return NULL;
}

static int setup(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof(fk));
	fk.last_bus = 255;
	hv_host_reset();
	return 0;
}

/* ---- tests ------------------------------------------------------------- */

static void config_access_bounds(void **state)
{
	struct pci_addr a = { 0, 0, 0, 0 };
	u32 v;

	(void)state;
	add(0, 0, 0, 0x8086, 0x1237, 0x060000, 0);
	assert_int_equal(pci_cfg_read(&fake_cfg, a, 0, 4, &v), 0);
	assert_int_equal(v, 0x12378086);
	assert_int_equal(pci_cfg_read(&fake_cfg, a, 2, 2, &v), 0);
	assert_int_equal(v, 0x1237);
	assert_int_equal(pci_cfg_read(&fake_cfg, a, 1, 1, &v), 0);
	assert_int_equal(v, 0x80);
	/* misaligned, too wide, past the end, bad width, bad device/function */
	assert_int_equal(pci_cfg_read(&fake_cfg, a, 1, 2, &v), -PCI_EINVAL);
	assert_int_equal(v, 0xffff);
	assert_int_equal(pci_cfg_read(&fake_cfg, a, 254, 4, &v), -PCI_EINVAL);
	assert_int_equal(pci_cfg_read(&fake_cfg, a, 256, 1, &v), -PCI_EINVAL);
	assert_int_equal(v, 0xff);
	assert_int_equal(pci_cfg_read(&fake_cfg, a, 0, 3, &v), -PCI_EINVAL);
	assert_int_equal(pci_cfg_read(&fake_cfg, a, 0, 8, &v), -PCI_EINVAL);
	assert_int_equal(pci_cfg_read(&fake_cfg, (struct pci_addr){ 0, 0, 32, 0 }, 0, 4, &v),
			 -PCI_EINVAL);
	assert_int_equal(pci_cfg_read(&fake_cfg, (struct pci_addr){ 0, 0, 0, 8 }, 0, 4, &v),
			 -PCI_EINVAL);
	assert_int_equal(pci_cfg_read(&fake_cfg, (struct pci_addr){ 1, 0, 0, 0 }, 0, 4, &v),
			 -PCI_ENODEV);
	assert_int_equal(v, 0xffffffffu);
	fk.last_bus = 3;
	assert_int_equal(pci_cfg_read(&fake_cfg, (struct pci_addr){ 0, 4, 0, 0 }, 0, 4, &v),
			 -PCI_ENODEV);
	assert_int_equal(pci_cfg_write(&fake_cfg, a, 3, 2, 0), -PCI_EINVAL);
	assert_int_equal(fk.writes, 0);
	assert_int_equal(pci_cfg_read(NULL, a, 0, 4, &v), -PCI_ENODEV);
	/* a write is cut to its width */
	assert_int_equal(pci_cfg_write(&fake_cfg, a, 0x40, 1, 0x1234), 0);
	assert_int_equal(pci_cfg_read(&fake_cfg, a, 0x40, 4, &v), 0);
	assert_int_equal(v, 0x34);
}

static void flat_bus_multifunction(void **state)
{
	struct pci_topology t;
	const struct pci_dev *d;

	(void)state;
	add(0, 0, 0, 0x8086, 0x1237, 0x060000, 0);
	add(0, 1, 0, 0x8086, 0x7000, 0x060100, PCI_HEADER_MULTIFUNCTION);
	add(0, 1, 1, 0x8086, 0x7010, 0x010180, 0);
	add(0, 1, 3, 0x8086, 0x7113, 0x068000, 0); /* fn 2 absent, fn 3 present */
	/* not multi-function: its function 1 must not be listed */
	add(0, 3, 0, 0x1af4, 0x1000, 0x020000, 0);
	add(0, 3, 1, 0x1af4, 0x1001, 0x020000, 0);
	/* no function 0: the device is absent even if fn 2 answers */
	add(0, 4, 2, 0x1234, 0x1111, 0x030000, 0);
	/* vendor 0 and 0xffff are nobody */
	add(0, 5, 0, 0x0000, 0x1111, 0x030000, 0);
	add(0, 6, 0, 0xffff, 0x1111, 0x030000, 0);
	t = enumerate(64);
	assert_int_equal(t.count, 5);
	assert_int_equal(t.buses, 1);
	assert_int_equal(t.bad_bridges, 0);
	d = find(&t, 0, 1, 1);
	assert_non_null(d);
	assert_int_equal(d->vendor, 0x8086);
	assert_int_equal(d->device, 0x7010);
	assert_int_equal(d->class, 0x01);
	assert_int_equal(d->subclass, 0x01);
	assert_int_equal(d->progif, 0x80);
	assert_int_equal(d->revision, 0x02);
	assert_true(find(&t, 0, 1, 0)->multifunction);
	assert_non_null(find(&t, 0, 1, 3));
	assert_non_null(find(&t, 0, 3, 0));
	assert_null(find(&t, 0, 3, 1));
	assert_null(find(&t, 0, 4, 2));
	assert_null(find(&t, 0, 5, 0));
	assert_null(find(&t, 0, 6, 0));
}

static void bridges_and_loops(void **state)
{
	struct pci_topology t;
	struct fake_fn *f;

	(void)state;
	add(0, 0, 0, 0x8086, 0x29c0, 0x060000, 0);
	f = add(0, 0x1e, 0, 0x8086, 0x244e, 0x060401, PCI_HEADER_BRIDGE);
	bridge_buses(f, 0, 1, 3);
	f = add(1, 0, 0, 0x1b36, 0x0001, 0x060400, PCI_HEADER_BRIDGE);
	bridge_buses(f, 1, 2, 3);
	add(2, 5, 0, 0x1af4, 0x1001, 0x010000, 0);
	/* hostile: a bridge leading back to bus 1, one to bus 0, one to
	 * itself, one with subordinate < secondary, one past the range */
	f = add(2, 6, 0, 0x1b36, 0x0001, 0x060400, PCI_HEADER_BRIDGE);
	bridge_buses(f, 2, 1, 1);
	f = add(2, 7, 0, 0x1b36, 0x0001, 0x060400, PCI_HEADER_BRIDGE);
	bridge_buses(f, 2, 0, 5);
	/* not configured by the firmware: skipped, not counted as bad */
	f = add(2, 11, 0, 0x1b36, 0x0001, 0x060400, PCI_HEADER_BRIDGE);
	bridge_buses(f, 0, 0, 0);
	f = add(2, 8, 0, 0x1b36, 0x0001, 0x060400, PCI_HEADER_BRIDGE);
	bridge_buses(f, 2, 2, 2);
	f = add(2, 9, 0, 0x1b36, 0x0001, 0x060400, PCI_HEADER_BRIDGE);
	bridge_buses(f, 2, 4, 3);
	f = add(2, 10, 0, 0x1b36, 0x0001, 0x060400, PCI_HEADER_BRIDGE);
	bridge_buses(f, 2, 200, 200);
	/* two bridges claiming the same bus: scanned once */
	f = add(1, 1, 0, 0x1b36, 0x0001, 0x060400, PCI_HEADER_BRIDGE);
	bridge_buses(f, 1, 3, 3);
	f = add(1, 2, 0, 0x1b36, 0x0001, 0x060400, PCI_HEADER_BRIDGE);
	bridge_buses(f, 1, 3, 3);
	add(3, 0, 0, 0x8086, 0x2922, 0x010601, 0);
	fk.last_bus = 100;
	t = enumerate(64);
	assert_int_equal(t.buses, 4);
	assert_int_equal(t.count, 13);
	assert_int_equal(t.bad_bridges, 6);
	assert_non_null(find(&t, 2, 5, 0));
	assert_non_null(find(&t, 3, 0, 0));
	assert_int_equal(find(&t, 0, 0x1e, 0)->secondary, 1);
	assert_int_equal(find(&t, 0, 0x1e, 0)->subordinate, 3);
	assert_int_equal(find(&t, 0, 0x1e, 0)->nr_bars, 2);
	/* the devices past bus 3 are not listed */
	assert_null(find(&t, 200, 0, 0));
}

static void bar_sizing(void **state)
{
	struct pci_topology t;
	const struct pci_dev *d;
	struct fake_fn *f;

	(void)state;
	f = add(0, 2, 0, 0x1b36, 0x0010, 0x010802, 0);
	put16(f->cfg + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | 0x4);
	f->cfg[PCI_INTERRUPT_LINE] = 11;
	f->cfg[PCI_INTERRUPT_PIN] = 1;
	/* BAR0/1: 64-bit prefetchable, 16 KiB, above 4 GiB */
	bar(f, 0, 0xfe00000c, 0xffffc000);
	bar(f, 1, 0x00000001, 0xffffffff);
	/* BAR2: 16-bit I/O, 32 bytes */
	bar(f, 2, 0x0000c041, 0x0000ffe0);
	/* BAR3: 32-bit memory, 4 KiB */
	bar(f, 3, 0xfebf1000, 0xfffff000);
	/* BAR4: not implemented */
	bar(f, 4, 0, 0);
	/* BAR5: claims 64-bit but is the last register: sized as 32-bit */
	bar(f, 5, 0xfd000004, 0xff000000);
	t = enumerate(64);
	assert_int_equal(t.count, 1);
	d = &t.devs[0];
	assert_int_equal(d->bar[0].kind, PCI_BAR_MEM64);
	assert_true(d->bar[0].prefetch);
	assert_int_equal(d->bar[0].base, 0x1fe000000ull);
	assert_int_equal(d->bar[0].size, 16 * 1024);
	assert_int_equal(d->bar[1].kind, PCI_BAR_MEM64_HI);
	assert_int_equal(d->bar[2].kind, PCI_BAR_IO);
	assert_int_equal(d->bar[2].base, 0xc040);
	assert_int_equal(d->bar[2].size, 32);
	assert_int_equal(d->bar[3].kind, PCI_BAR_MEM32);
	assert_false(d->bar[3].prefetch);
	assert_int_equal(d->bar[3].base, 0xfebf1000);
	assert_int_equal(d->bar[3].size, 4096);
	assert_int_equal(d->bar[4].kind, PCI_BAR_NONE);
	assert_int_equal(d->bar[5].kind, PCI_BAR_MEM32);
	assert_int_equal(d->bar[5].size, 16 * 1024 * 1024);
	assert_int_equal(d->irq_line, 11);
	assert_int_equal(d->irq_pin, 1);
	/* never written while decoding; everything restored */
	assert_int_equal(fk.bar_writes_while_decoding, 0);
	assert_int_equal(get32(f->cfg + PCI_BAR0), 0xfe00000c);
	assert_int_equal(get32(f->cfg + PCI_BAR0 + 4), 1);
	assert_int_equal(get32(f->cfg + PCI_BAR0 + 8), 0xc041);
	assert_int_equal(get32(f->cfg + PCI_BAR0 + 12), 0xfebf1000);
	assert_int_equal(get32(f->cfg + PCI_BAR0 + 20), 0xfd000004);
	assert_int_equal(get32(f->cfg + PCI_COMMAND) & 0xffff, 0x7);
	assert_int_equal(d->command, 0x7);
}

static void bar_sizing_big_and_hostile(void **state)
{
	struct pci_topology t;
	const struct pci_dev *d;
	struct fake_fn *f;

	(void)state;
	/* a 64-bit BAR of 8 GiB: the size lies in the high register */
	f = add(0, 2, 0, 0x10de, 0x1234, 0x030000, 0);
	bar(f, 0, 0x0000000c, 0x00000000);
	bar(f, 1, 0x00000004, 0xfffffffe);
	/* nonsense masks: holes in the writable bits */
	bar(f, 2, 0x00000000, 0xf0f0f000);
	/* everything writable including the flag bits */
	bar(f, 3, 0xffffffff, 0xffffffff);
	t = enumerate(64);
	d = &t.devs[0];
	assert_int_equal(d->bar[0].kind, PCI_BAR_MEM64);
	assert_int_equal(d->bar[0].size, 8ull << 30);
	assert_int_equal(d->bar[0].base, 4ull << 32);
	assert_int_equal(d->bar[2].size, 0x1000);
	assert_int_equal(d->bar[3].kind, PCI_BAR_IO);
	assert_int_equal(d->bar[3].size, 4);
}

static void host_bridge_keeps_decoding(void **state)
{
	struct pci_topology t;
	struct fake_fn *f;

	(void)state;
	f = add(0, 0, 0, 0x1022, 0x1450, 0x060000, 0);
	put16(f->cfg + PCI_COMMAND, PCI_COMMAND_MEMORY);
	bar(f, 0, 0xe0000000, 0xf0000000);
	t = enumerate(64);
	assert_int_equal(t.count, 1);
	assert_int_equal(t.devs[0].bar[0].kind, PCI_BAR_NONE);
	assert_int_equal(t.devs[0].bar[0].raw, 0xe0000000);
	assert_int_equal(fk.writes, 0);
	/* with decode off it is sized like any device */
	put16(f->cfg + PCI_COMMAND, 0);
	t = enumerate(64);
	assert_int_equal(t.devs[0].bar[0].size, 256 << 20);
}

static void table_full(void **state)
{
	struct pci_topology t;

	(void)state;
	for (u8 dev = 0; dev < 10; dev++)
		add(0, dev, 0, 0x8086, 0x1000 + dev, 0x020000, 0);
	t = enumerate(4);
	assert_int_equal(t.count, 4);
	assert_int_equal(t.dropped, 6);
}

static void everything_answers(void **state)
{
	/* A mechanism that answers every address with the same bridge
	 * pointing to the next bus: the walk must stop at the last bus. */
	(void)state;
	for (unsigned bus = 0; bus < 16; bus++) {
		struct fake_fn *f = add(bus, 0, 0, 0x1b36, 1, 0x060400,
					PCI_HEADER_BRIDGE | PCI_HEADER_MULTIFUNCTION);

		bridge_buses(f, bus, bus + 1, 255);
	}
	fk.last_bus = 15;
	struct pci_topology t = enumerate(64);

	assert_int_equal(t.buses, 16);
	assert_int_equal(t.count, 16);
	assert_int_equal(t.bad_bridges, 1);
}

static void mcfg(void **state)
{
	u8 table[44 + 5 * 16];
	struct pci_ecam e[4];
	struct pci_addr a;
	u16 off;
	u64 base = 0xb0000000;

	(void)state;
	memset(table, 0, sizeof(table));
	memcpy(table + 44, &base, 8);
	table[44 + 10] = 0;
	table[44 + 11] = 255;
	base = 0xe0000000; /* bad: start > end */
	memcpy(table + 60, &base, 8);
	table[60 + 10] = 5;
	table[60 + 11] = 4;
	base = 0xe0000800; /* bad: unaligned */
	memcpy(table + 76, &base, 8);
	base = 0x4000000000ull; /* segment 1, buses 0x10-0x1f */
	memcpy(table + 92, &base, 8);
	table[92 + 8] = 1;
	table[92 + 10] = 0x10;
	table[92 + 11] = 0x1f;
	base = 0xc0000000; /* bad: segment 0 buses 0x80-0x8f again */
	memcpy(table + 108, &base, 8);
	table[108 + 10] = 0x80;
	table[108 + 11] = 0x8f;
	assert_int_equal(pci_mcfg_parse(table, sizeof(table), e, 4), 2);
	assert_int_equal(e[0].base, 0xb0000000);
	assert_int_equal(e[1].seg, 1);
	assert_int_equal(e[1].bus_start, 0x10);
	/* a truncated table and a tiny out[] */
	assert_int_equal(pci_mcfg_parse(table, 50, e, 4), 0);
	assert_int_equal(pci_mcfg_parse(table, sizeof(table), e, 1), 1);
	assert_int_equal(pci_mcfg_parse(table, sizeof(table), e, 4), 2);

	a = (struct pci_addr){ 0, 3, 0x1f, 2 };
	assert_int_equal(pci_ecam_address(&e[0], a, 0x104), 0xb0000000 + (3 << 20) +
							       (0x1f << 15) + (2 << 12) + 0x104);
	assert_true(pci_ecam_decode(e, 2, 0xb0000000 + (3 << 20) + (0x1f << 15) + (2 << 12) + 0x104,
				    &a, &off));
	assert_int_equal(a.bus, 3);
	assert_int_equal(a.dev, 0x1f);
	assert_int_equal(a.fn, 2);
	assert_int_equal(off, 0x104);
	assert_true(pci_ecam_decode(e, 2, 0x4000000000ull + (0x12 << 20) + 8, &a, &off));
	assert_int_equal(a.seg, 1);
	assert_int_equal(a.bus, 0x12);
	assert_int_equal(off, 8);
	/* below the window's first bus, and above its end */
	assert_false(pci_ecam_decode(e, 2, 0x4000000000ull + (0x0f << 20), &a, &off));
	assert_false(pci_ecam_decode(e, 2, 0xc0000000, &a, &off));

	assert_true(pci_legacy_decode(0x80000000u | 1 << 16 | 2 << 11 | 3 << 8 | 0x10, 0xcfe, &a,
				      &off));
	assert_int_equal(a.bus, 1);
	assert_int_equal(a.dev, 2);
	assert_int_equal(a.fn, 3);
	assert_int_equal(off, 0x12);
	assert_false(pci_legacy_decode(0x00010000, 0xcfc, &a, &off));
	assert_false(pci_legacy_decode(0x80000000u, 0xcf8, &a, &off));
}

static void formatting(void **state)
{
	char line[200];
	struct textbuf tb = { line, sizeof(line), 0 };
	struct pci_topology t;
	struct fake_fn *f;

	(void)state;
	add(0, 1, 0, 0x8086, 0x7000, 0x060100, PCI_HEADER_MULTIFUNCTION);
	f = add(0, 1, 1, 0x8086, 0x7010, 0x010180, 0);
	f->cfg[PCI_INTERRUPT_PIN] = 1;
	f->cfg[PCI_INTERRUPT_LINE] = 14;
	bar(f, 4, 0xc041, 0xfff0);
	f = add(0, 2, 0, 0x1b36, 0x0010, 0x010802, 0);
	bar(f, 0, 0xfe00000c, 0xffffc000);
	bar(f, 1, 0, 0xffffffff);
	t = enumerate(64);
	pci_dev_format(find(&t, 0, 1, 1), &tb);
	assert_string_equal(line, "00:01.1 8086:7010 class 01.01.80 ide irq 14/A 4:io 0xc040/16");
	tb.len = 0;
	pci_dev_format(find(&t, 0, 2, 0), &tb);
	assert_string_equal(line, "00:02.0 1b36:0010 class 01.08.02 nvme 0:mem64p 0xfe000000/16K");
	pci_addr_format((struct pci_addr){ 2, 0x80, 3, 7 }, line, 16);
	assert_string_equal(line, "0002:80:03.7");
	assert_string_equal(pci_class_name(0x01, 0x06, 0x01), "ahci");
	assert_string_equal(pci_class_name(0x02, 0x80, 0x00), "network");
	assert_string_equal(pci_class_name(0xff, 0, 0), "");
}

/* ---- guest config writes and mediators --------------------------------- */

struct move {
	unsigned bar;
	u64 from, to;
};

static struct move moves[16];
static unsigned nr_moves, nr_written, probes;
static int probe_result;

static int test_probe(struct pci_dev *d)
{
	probes++;
	d->priv = &probes;
	return probe_result;
}

static void test_moved(struct pci_dev *d, unsigned bar, u64 from, u64 to)
{
	(void)d;
	if (nr_moves < 16)
		moves[nr_moves++] = (struct move){ bar, from, to };
}

static void test_written(struct pci_dev *d, u16 off, unsigned width, u32 val)
{
	(void)d;
	(void)off;
	(void)width;
	(void)val;
	nr_written++;
}

static const struct pci_match nvme_match[] = {
	PCI_MATCH_CLASS3(0x01, 0x08, 0x02),
	PCI_MATCH_END,
};

static const struct pci_mediator test_nvme = {
	.name = "test-nvme",
	.match = nvme_match,
	.probe = test_probe,
	.bar_moved = test_moved,
	.config_written = test_written,
};
PCI_MEDIATOR(test_nvme);

static int never_probe(struct pci_dev *d)
{
	(void)d;
	return -PCI_ENODEV;
}

static const struct pci_match ide_match[] = {
	PCI_MATCH_ID(0x1234, 0x5678),
	PCI_MATCH_ID(0x8086, 0x7010),
	PCI_MATCH_END,
};

static const struct pci_mediator declining = {
	.name = "declining", .match = ide_match, .probe = never_probe,
};

static const struct pci_match ide_class[] = { PCI_MATCH_CLASS2(0x01, 0x01), PCI_MATCH_END };

static const struct pci_mediator ide = {
	.name = "test-ide", .match = ide_class, .probe = test_probe,
};

static void machine_for_writes(void)
{
	struct fake_fn *f;

	add(0, 1, 0, 0x8086, 0x7000, 0x060100, PCI_HEADER_MULTIFUNCTION);
	f = add(0, 1, 1, 0x8086, 0x7010, 0x010180, 0);
	bar(f, 4, 0xc041, 0xfff0);
	f = add(0, 2, 0, 0x1b36, 0x0010, 0x010802, 0);
	put16(f->cfg + PCI_COMMAND, PCI_COMMAND_MEMORY);
	bar(f, 0, 0xfe00000c, 0xffffc000);
	bar(f, 1, 0, 0xffffffff);
	bar(f, 2, 0xc001, 0xffe0);
	f = add(0, 3, 0, 0x8086, 0x244e, 0x060401, PCI_HEADER_BRIDGE);
	bridge_buses(f, 0, 1, 1);
	add(0, 4, 0, 0x8086, 0x100e, 0x020000, 0);
	memset(devs, 0, sizeof(devs));
	pci_devices = (struct pci_topology){ devs, 64, 0, 0, 0, 0 };
	pci_enumerate(&fake_cfg, 0, 0, 255, &pci_devices);
	nr_moves = nr_written = probes = 0;
	probe_result = 0;
}

static void registry_binding(void **state)
{
	const struct pci_mediator *const *reg;
	const struct pci_mediator *table[] = { &declining, &test_nvme, &ide };
	unsigned n;

	(void)state;
	machine_for_writes();
	reg = pci_mediator_table(&n);
	assert_int_equal(n, 1);
	assert_ptr_equal(reg[0], &test_nvme);
	assert_int_equal(pci_bind(&pci_devices, table, 3), 2);
	assert_ptr_equal(pci_find((struct pci_addr){ 0, 0, 1, 1 })->mediator, &ide);
	assert_ptr_equal(pci_find((struct pci_addr){ 0, 0, 2, 0 })->mediator, &test_nvme);
	assert_ptr_equal(pci_find((struct pci_addr){ 0, 0, 2, 0 })->priv, &probes);
	assert_null(pci_find((struct pci_addr){ 0, 0, 3, 0 })->mediator);
	assert_null(pci_find((struct pci_addr){ 0, 0, 4, 0 })->mediator);
	assert_int_equal(probes, 2);
	/* bound devices are not offered again */
	assert_int_equal(pci_bind(&pci_devices, table, 3), 0);

	/* a probe that declines leaves the device untouched */
	machine_for_writes();
	probe_result = -PCI_ENODEV;
	assert_int_equal(pci_bind_all(), 0);
	assert_null(pci_find((struct pci_addr){ 0, 0, 2, 0 })->mediator);
	assert_null(pci_find((struct pci_addr){ 0, 0, 2, 0 })->priv);
	probe_result = 0;
	assert_int_equal(pci_bind_all(), 1);
	assert_string_equal(hv_last_log, "pci: 1 mediator registered, 1 device bound");
	assert_false(pci_match_device(&(struct pci_match)PCI_MATCH_END, &devs[0]));
}

static void guest_moves_bars(void **state)
{
	struct pci_addr nv = { 0, 0, 2, 0 };
	struct pci_dev *d;

	(void)state;
	machine_for_writes();
	assert_int_equal(pci_bind_all(), 1);
	d = pci_find(nv);
	assert_int_equal(pci_bar_decoded(d, 0), 0xfe000000);
	assert_int_equal(pci_bar_decoded(d, 1), PCI_BAR_UNMAPPED);
	assert_int_equal(pci_bar_decoded(d, 2), PCI_BAR_UNMAPPED); /* I/O decode off */
	assert_int_equal(pci_bar_decoded(d, 9), PCI_BAR_UNMAPPED);

	/* Linux's way: decode off, size with all ones, restore, new base, on */
	pci_config_write_observed(nv, PCI_COMMAND, 2, 0);
	assert_int_equal(nr_moves, 1);
	assert_int_equal(moves[0].bar, 0);
	assert_int_equal(moves[0].from, 0xfe000000);
	assert_int_equal(moves[0].to, PCI_BAR_UNMAPPED);
	pci_config_write_observed(nv, PCI_BAR0, 4, 0xffffffff);
	assert_int_equal(d->bar[0].raw, 0xffffc00c); /* what the device reads back */
	pci_config_write_observed(nv, PCI_BAR0 + 4, 4, 0xffffffff);
	assert_int_equal(d->bar[0].base, 0xffffffffffffc000ull);
	pci_config_write_observed(nv, PCI_BAR0, 4, 0xfd004000);
	pci_config_write_observed(nv, PCI_BAR0 + 4, 4, 0x2);
	assert_int_equal(nr_moves, 1);
	assert_int_equal(d->bar[0].base, 0x2fd004000ull);
	assert_int_equal(d->bar[0].size, 16384);
	/* a byte write to the command register turns memory and I/O on */
	pci_config_write_observed(nv, PCI_COMMAND, 1, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	assert_int_equal(nr_moves, 3);
	assert_int_equal(moves[1].bar, 0);
	assert_int_equal(moves[1].from, PCI_BAR_UNMAPPED);
	assert_int_equal(moves[1].to, 0x2fd004000ull);
	assert_int_equal(moves[2].bar, 2);
	assert_int_equal(moves[2].to, 0xc000);
	/* a move while decoding: low 16 bits of the I/O BAR, unaligned bits masked */
	pci_config_write_observed(nv, PCI_BAR0 + 8, 2, 0xd0ff);
	assert_int_equal(nr_moves, 4);
	assert_int_equal(moves[3].from, 0xc000);
	assert_int_equal(moves[3].to, 0xd0e0);
	/* the same value again: no event */
	pci_config_write_observed(nv, PCI_BAR0 + 8, 4, 0xd0e1);
	assert_int_equal(nr_moves, 4);
	/* writes elsewhere, bad widths, unknown functions: nothing moves */
	pci_config_write_observed(nv, 0x40, 4, 0xffffffff);
	pci_config_write_observed(nv, PCI_BAR0, 3, 0);
	pci_config_write_observed(nv, PCI_BAR0 + 1, 2, 0);
	pci_config_write_observed(nv, 4095, 4, 0);
	pci_config_write_observed((struct pci_addr){ 0, 9, 9, 0 }, PCI_BAR0, 4, 0);
	assert_int_equal(nr_moves, 4);
	assert_int_equal(nr_written, 9);

	/* an unmediated device's model follows too, without events */
	pci_config_write_observed((struct pci_addr){ 0, 0, 1, 1 }, PCI_BAR0 + 16, 4, 0xe001);
	assert_int_equal(pci_find((struct pci_addr){ 0, 0, 1, 1 })->bar[4].base, 0xe000);
	/* a bridge renumbered by the guest */
	pci_config_write_observed((struct pci_addr){ 0, 0, 3, 0 }, PCI_PRIMARY_BUS, 4, 0x050400);
	d = pci_find((struct pci_addr){ 0, 0, 3, 0 });
	assert_int_equal(d->secondary, 4);
	assert_int_equal(d->subordinate, 5);
}

/* Ports 0xcf8-0xcff in front of the fake config space. */
static u32 hw_cf8;
static u16 last_other_port;
static u32 last_other_val;

static u32 port_in(u16 port, unsigned size)
{
	struct pci_addr a;
	u16 off;

	if (port == 0xcf8 && size == 4)
		return hw_cf8;
	if (pci_legacy_decode(hw_cf8, port, &a, &off))
		return fake_read(NULL, a, off, size);
	return 0xffffffffu;
}

static void port_out(u16 port, unsigned size, u32 val)
{
	struct pci_addr a;
	u16 off;

	if (port == 0xcf8 && size == 4) {
		hw_cf8 = val;
	} else if (port >= 0xcfc) {
		if (pci_legacy_decode(hw_cf8, port, &a, &off))
			fake_write(NULL, a, off, size, val);
	} else {
		last_other_port = port;
		last_other_val = val;
	}
}

static const struct pci_port_ops fake_ports = { port_in, port_out };

static void legacy_port_trap(void **state)
{
	struct pci_legacy_trap t = { &fake_ports, 0 };
	u32 nv_bar2 = 0x80000000u | 2 << 11 | 0x18;

	(void)state;
	machine_for_writes();
	pci_bind_all();
	/* the guest programs its address register; Lamina meanwhile uses
	 * the real one for itself: the guest still reads its own value back */
	pci_legacy_trap_write(&t, 0xcf8, 4, nv_bar2);
	hw_cf8 = 0x80000000u;
	assert_int_equal(pci_legacy_trap_read(&t, 0xcf8, 4), nv_bar2);
	assert_int_equal(pci_legacy_trap_read(&t, 0xcfc, 4), 0xc001);
	/* enable I/O decode through the ports, then move BAR2 */
	pci_legacy_trap_write(&t, 0xcf8, 4, 0x80000000u | 2 << 11 | PCI_COMMAND);
	pci_legacy_trap_write(&t, 0xcfc, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(nr_moves, 1);
	assert_int_equal(moves[0].bar, 2);
	assert_int_equal(moves[0].to, 0xc000);
	pci_legacy_trap_write(&t, 0xcf8, 4, nv_bar2);
	pci_legacy_trap_write(&t, 0xcfd, 1, 0xe0); /* byte 1 of BAR2 */
	assert_int_equal(nr_moves, 2);
	assert_int_equal(moves[1].to, 0xe000);
	assert_int_equal(pci_legacy_trap_read(&t, 0xcfc, 4), 0xe001); /* the device has it */
	/* 0xcf9 (reset control) and a disabled address pass through */
	pci_legacy_trap_write(&t, 0xcf9, 1, 0x06);
	assert_int_equal(last_other_port, 0xcf9);
	assert_int_equal(last_other_val, 6);
	pci_legacy_trap_write(&t, 0xcf8, 4, nv_bar2 & ~0x80000000u);
	pci_legacy_trap_write(&t, 0xcfc, 4, 0);
	assert_int_equal(nr_moves, 2);
	assert_int_equal(pci_find((struct pci_addr){ 0, 0, 2, 0 })->bar[2].base, 0xe000);
}

static void ecam_write_observed(void **state)
{
	struct pci_ecam w = { 0xb0000000, 0, 0, 255 };
	u64 bar0 = 0xb0000000 + (2 << 15) + PCI_BAR0;

	(void)state;
	machine_for_writes();
	pci_bind_all();
	pci_config_write_observed((struct pci_addr){ 0, 0, 2, 0 }, PCI_COMMAND, 2, 0);
	nr_moves = 0;
	/* one 8-byte store moves both halves of the 64-bit BAR */
	pci_ecam_write_observed(&w, 1, bar0, 8, 0x0000000300004000ull);
	pci_ecam_write_observed(&w, 1, bar0 - PCI_BAR0 + PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	assert_int_equal(nr_moves, 1);
	assert_int_equal(moves[0].to, 0x300004000ull);
	/* outside every window, or at the very end of a function's space */
	pci_ecam_write_observed(&w, 1, 0xa0000000, 4, 0);
	pci_ecam_write_observed(&w, 1, 0xb0000000 + (2 << 15) + 0xffc, 8, ~0ull);
	assert_int_equal(nr_moves, 1);
}

static void pci_stream_text(void **state)
{
	char buf[512];
	size_t n;

	(void)state;
	machine_for_writes();
	pci_bind_all();
	n = pci_format(buf, sizeof(buf));
	buf[n] = '\0';
	assert_string_equal(buf,
			    "00:01.0 8086:7000 class 06.01.00 isa-bridge\n"
			    "00:01.1 8086:7010 class 01.01.80 ide 4:io 0xc040/16\n"
			    "00:02.0 1b36:0010 class 01.08.02 nvme 0:mem64p 0xfe000000/16K "
			    "2:io 0xc000/32 [test-nvme]\n"
			    "00:03.0 8086:244e class 06.04.01 pci-bridge bus 01-01\n"
			    "00:04.0 8086:100e class 02.00.00 ethernet\n");
	/* a small buffer is cut, never overrun */
	memset(buf, 'x', sizeof(buf));
	n = pci_format(buf, 10);
	assert_true(n <= 10);
	assert_int_equal(buf[10], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(config_access_bounds, setup),
		cmocka_unit_test_setup(flat_bus_multifunction, setup),
		cmocka_unit_test_setup(bridges_and_loops, setup),
		cmocka_unit_test_setup(bar_sizing, setup),
		cmocka_unit_test_setup(bar_sizing_big_and_hostile, setup),
		cmocka_unit_test_setup(host_bridge_keeps_decoding, setup),
		cmocka_unit_test_setup(table_full, setup),
		cmocka_unit_test_setup(everything_answers, setup),
		cmocka_unit_test_setup(mcfg, setup),
		cmocka_unit_test_setup(formatting, setup),
		cmocka_unit_test_setup(registry_binding, setup),
		cmocka_unit_test_setup(guest_moves_bars, setup),
		cmocka_unit_test_setup(legacy_port_trap, setup),
		cmocka_unit_test_setup(ecam_write_observed, setup),
		cmocka_unit_test_setup(pci_stream_text, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
