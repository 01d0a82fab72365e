/* Polled 16550 UART output (115200 8N1).  The guest owns the same UART,
 * so Lamina only waits for the transmitter and never touches interrupts. */
#include "arch/x86/serial.h"
#include "arch/x86/cpu.h"

#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THR_EMPTY 0x20

static u16 uart;

void serial_init(u16 port)
{
	uart = port;
	if (!port)
		return;
	outb(port + UART_IER, 0);
	outb(port + UART_LCR, 0x80); /* divisor latch */
	outb(port + 0, 1);           /* 115200 baud */
	outb(port + 1, 0);
	outb(port + UART_LCR, 0x03); /* 8N1 */
	outb(port + UART_FCR, 0x07); /* FIFO on, cleared */
	outb(port + UART_MCR, 0x03);
}

u16 serial_port(void)
{
	return uart;
}

static void serial_putc(char c)
{
	/* Bounded wait: a missing UART must not hang Lamina. */
	for (int i = 0; i < 100000 && !(inb(uart + UART_LSR) & LSR_THR_EMPTY); i++)
		cpu_relax();
	outb(uart + UART_THR, c);
}

void serial_write(const char *s, size_t len)
{
	if (!uart)
		return;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			serial_putc('\r');
		serial_putc(s[i]);
	}
}

void console_write(const char *s, size_t len)
{
	serial_write(s, len);
}
