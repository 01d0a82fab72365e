/* The IDE mediator (drivers/disk/ide.c): encrypt=ata:C.U. */
#ifndef DRIVERS_DISK_IDE_H
#define DRIVERS_DISK_IDE_H

#include "core/format.h"

/* One `ide_ata<C>: ...` line per mediated channel, for `laminactl status`. */
void ide_status(struct textbuf *tb);

/* After the CPUs were started, before the guest runs: with several CPUs
 * the task file and bus-master command ports are trapped too. */
void ide_cpus_started(unsigned nr_cpus);

#endif
