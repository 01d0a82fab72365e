/*
 * Saving and restoring the legacy device state Lamina changes at start.
 *
 * UART (serial_init): IER, LCR, MCR, scratch and the baud divisor are read
 * back as they were; the FIFO control register cannot be read, so only
 * "FIFO off" is restored (IIR bits 7:6 tell whether it was on).
 * PIT channel 2 (time_init): the read-back command gives its mode, access
 * mode and count; restoring writes the same control word and the count it
 * had (port 0x61, the gate, is put back by time_init itself).
 */
#include "arch/x86/legacy.h"
#include "arch/x86/cpu.h"

#define UART_IER 1
#define UART_IIR 2
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7
#define LCR_DLAB 0x80
#define LSR_TEMT 0x40

struct uart_state {
	u16 port;
	u8 ier, lcr, mcr, scr, dll, dlm;
	bool fifo_on;
};

static struct uart_state uarts[2];
static struct {
	bool saved;
	u8 status;
	u16 count;
} pit2;

void legacy_save_uart(u16 port)
{
	struct uart_state *u = NULL;

	if (!port)
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(uarts); i++) {
		if (uarts[i].port == port)
			return; /* the first state is the firmware's */
		if (!uarts[i].port && !u)
			u = &uarts[i];
	}
	if (!u)
		return;
	u->port = port;
	u->ier = inb(port + UART_IER);
	u->lcr = inb(port + UART_LCR);
	u->mcr = inb(port + UART_MCR);
	u->scr = inb(port + UART_SCR);
	u->fifo_on = (inb(port + UART_IIR) & 0xc0) == 0xc0;
	outb(port + UART_LCR, u->lcr | LCR_DLAB);
	u->dll = inb(port + 0);
	u->dlm = inb(port + 1);
	outb(port + UART_LCR, u->lcr);
}

static void restore_uart(const struct uart_state *u)
{
	u16 p = u->port;

	/* Let Lamina's last characters leave at the old speed. */
	for (int i = 0; i < 100000 && !(inb(p + UART_LSR) & LSR_TEMT); i++)
		cpu_relax();
	outb(p + UART_LCR, u->lcr | LCR_DLAB);
	outb(p + 0, u->dll);
	outb(p + 1, u->dlm);
	outb(p + UART_LCR, u->lcr);
	outb(p + UART_MCR, u->mcr);
	outb(p + UART_SCR, u->scr);
	if (!u->fifo_on)
		outb(p + UART_FCR, 0);
	outb(p + UART_IER, u->ier);
}

void legacy_save_pit(void)
{
	u8 lo, hi;

	outb(0x43, 0xe8); /* read-back: status of channel 2, no count */
	pit2.status = inb(0x42);
	outb(0x43, 0x80); /* latch channel 2's count */
	lo = inb(0x42);
	hi = inb(0x42);
	switch ((pit2.status >> 4) & 3) {
	case 1: pit2.count = lo; break;            /* low byte only */
	case 2: pit2.count = (u16)lo << 8; break;  /* high byte only */
	case 3: pit2.count = lo | (u16)hi << 8; break;
	default: return;                            /* no usable state */
	}
	pit2.saved = true;
}

static void restore_pit(void)
{
	unsigned access = (pit2.status >> 4) & 3;

	outb(0x43, 0x80 | (pit2.status & 0x3f)); /* channel 2, same modes */
	if (access & 1)
		outb(0x42, pit2.count & 0xff);
	if (access & 2)
		outb(0x42, pit2.count >> 8);
}

void legacy_restore(void)
{
	if (pit2.saved)
		restore_pit();
	for (unsigned i = 0; i < ARRAY_SIZE(uarts); i++)
		if (uarts[i].port)
			restore_uart(&uarts[i]);
}
