/* The mediator registry: a link-time table of mediators, bound to the
 * devices they match at start. */
#include "drivers/registry.h"
#include "core/log.h"

/* The linker collects PCI_MEDIATOR() entries between these (boot/lamina.ld
 * for Lamina; the toolchain's own __start_/__stop_ symbols on the host).
 * Weak, so a program without any mediator still links. */
extern const struct pci_mediator *const __start_pci_mediators[] __attribute__((weak));
extern const struct pci_mediator *const __stop_pci_mediators[] __attribute__((weak));

const struct pci_mediator *const *pci_mediator_table(unsigned *count)
{
	const struct pci_mediator *const *start = __start_pci_mediators;
	const struct pci_mediator *const *stop = __stop_pci_mediators;

	*count = start && stop > start ? (unsigned)(stop - start) : 0;
	return start;
}

bool pci_match_device(const struct pci_match *m, const struct pci_dev *d)
{
	if (!m->flags)
		return false;
	return (!(m->flags & PCI_MATCH_VENDOR) || m->vendor == d->vendor) &&
	       (!(m->flags & PCI_MATCH_DEVICE) || m->device == d->device) &&
	       (!(m->flags & PCI_MATCH_CLASS) || m->class == d->class) &&
	       (!(m->flags & PCI_MATCH_SUBCLASS) || m->subclass == d->subclass) &&
	       (!(m->flags & PCI_MATCH_PROGIF) || m->progif == d->progif);
}

static bool mediator_matches(const struct pci_mediator *med, const struct pci_dev *d)
{
	if (!med || !med->match)
		return false;
	for (const struct pci_match *m = med->match; m->flags; m++)
		if (pci_match_device(m, d))
			return true;
	return false;
}

unsigned pci_bind(struct pci_topology *t, const struct pci_mediator *const *meds, unsigned n)
{
	unsigned bound = 0;

	for (unsigned i = 0; i < t->count; i++) {
		struct pci_dev *d = &t->devs[i];

		if (d->mediator)
			continue;
		for (unsigned k = 0; k < n; k++) {
			const struct pci_mediator *med = meds[k];

			if (!mediator_matches(med, d) || !med->probe)
				continue;
			/* Bound before probe() so it may use pci_find(). */
			d->mediator = med;
			if (med->probe(d) == 0) {
				bound++;
				break;
			}
			d->mediator = NULL;
			d->priv = NULL;
		}
	}
	return bound;
}

unsigned pci_bind_all(void)
{
	unsigned n, bound;
	const struct pci_mediator *const *meds = pci_mediator_table(&n);

	bound = pci_bind(&pci_devices, meds, n);
	for (unsigned i = 0; i < pci_devices.count; i++) {
		const struct pci_dev *d = &pci_devices.devs[i];
		char addr[16];

		if (!d->mediator)
			continue;
		pci_addr_format(d->addr, addr, sizeof(addr));
		pr_info("pci %s bound to mediator %s", addr, d->mediator->name);
	}
	pr_info("pci: %u mediator%s registered, %u device%s bound", n, n == 1 ? "" : "s", bound,
		bound == 1 ? "" : "s");
	return bound;
}
