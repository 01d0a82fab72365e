/* The AHCI mediator (drivers/disk/ahci.c, docs/ahci.md): what it reports. */
#ifndef DRIVERS_DISK_AHCI_H
#define DRIVERS_DISK_AHCI_H

#include "core/format.h"
#include "core/types.h"

struct ahci_port_stats {
	u64 commands; /* guest commands taken on the port */
	u64 pieces;   /* data commands (or pieces of them) given to the device */
	u64 waits;    /* times a command waited for shadow */
	u64 refused;  /* guest commands failed or FIS areas refused */
	u64 largest;  /* bytes of the largest data command */
};

/* A mediated port's counters; false if the port is not mediated. */
bool ahci_port_stats(unsigned port, struct ahci_port_stats *out);

/* One `ahci_port<N>: ...` line per mediated port, for `laminactl status`. */
void ahci_status(struct textbuf *tb);

#endif
