#ifndef ARCH_X86_SERIAL_H
#define ARCH_X86_SERIAL_H

#include "core/types.h"

#define SERIAL_COM1 0x3f8

void serial_init(u16 port);
void serial_write(const char *s, size_t len);
u16 serial_port(void);

#endif
