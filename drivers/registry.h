/*
 * Mediators: the drivers that sit between the guest and one kind of
 * device (an IDE or AHCI controller, a NIC...).  Each registers itself
 * with PCI_MEDIATOR() beside its definition; no central list to edit.
 * At start Lamina binds every enumerated device to the first mediator
 * whose match table hits and whose probe() accepts it.  Devices without
 * a mediator stay untouched.  See docs/drivers.md.
 */
#ifndef DRIVERS_REGISTRY_H
#define DRIVERS_REGISTRY_H

#include "drivers/pci.h"

/* Which fields of a match entry count; an entry with no flags ends a table. */
#define PCI_MATCH_VENDOR   0x01
#define PCI_MATCH_DEVICE   0x02
#define PCI_MATCH_CLASS    0x04
#define PCI_MATCH_SUBCLASS 0x08
#define PCI_MATCH_PROGIF   0x10

struct pci_match {
	u8 flags;
	u8 class, subclass, progif;
	u16 vendor, device;
};

#define PCI_MATCH_ID(v, d) \
	{ .flags = PCI_MATCH_VENDOR | PCI_MATCH_DEVICE, .vendor = (v), .device = (d) }
#define PCI_MATCH_CLASS2(c, s) \
	{ .flags = PCI_MATCH_CLASS | PCI_MATCH_SUBCLASS, .class = (c), .subclass = (s) }
#define PCI_MATCH_CLASS3(c, s, p)                                                    \
	{ .flags = PCI_MATCH_CLASS | PCI_MATCH_SUBCLASS | PCI_MATCH_PROGIF, .class = (c), \
	  .subclass = (s), .progif = (p) }
#define PCI_MATCH_END { .flags = 0 }

struct pci_mediator {
	const char *name;
	const struct pci_match *match; /* ends with PCI_MATCH_END */
	/* Takes the device: 0 binds it, a negative errno declines (the
	 * next matching mediator is tried).  May set d->priv. */
	int (*probe)(struct pci_dev *d);
	/* Optional: a BAR's decoded address changed through a guest config
	 * write (the guest moved it, or turned its decode off or on);
	 * PCI_BAR_UNMAPPED stands for "not decoded". */
	void (*bar_moved)(struct pci_dev *d, unsigned bar, u64 old_addr, u64 new_addr);
	/* Optional: every guest config write to the device, after Lamina's
	 * model has been updated. */
	void (*config_written)(struct pci_dev *d, u16 off, unsigned width, u32 val);
};

/* Registers a mediator (a `static const struct pci_mediator`) at link time. */
#define PCI_MEDIATOR(m)                                                            \
	static const struct pci_mediator *const pci_mediator_entry_##m                 \
		__attribute__((used, section("pci_mediators"), aligned(8))) = &(m)

/* The registered mediators (link order). */
const struct pci_mediator *const *pci_mediator_table(unsigned *count);

bool pci_match_device(const struct pci_match *m, const struct pci_dev *d);

/* Binds the topology's unbound devices to the first accepting mediator of
 * meds[]; returns the number bound. */
unsigned pci_bind(struct pci_topology *t, const struct pci_mediator *const *meds, unsigned n);
/* pci_bind() over pci_devices with every registered mediator, logging
 * each binding. */
unsigned pci_bind_all(void);

/* The diagnostic mediator of the pciwatch= option (drivers/watch.c). */
void pci_watch_enable(u16 vendor, u16 device);

#endif
