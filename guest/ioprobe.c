/*
 * ioprobe: reads a CMOS byte through ports 0x70/0x71 with IN, with
 * REP INSB and after selecting the register with OUTSB, and checks they
 * agree.  Under trap=io:0x70-0x71 (tests/system/emul.sh) the string forms
 * go through Lamina's decoder: QEMU's SVM tells only "string I/O".  The
 * kernel's RTC driver shares the index port, so a mismatch is retried.
 *
 * `ioprobe straddle N` selects the register N times with a 16-bit OUT at
 * port 0x6f, whose high byte lands on the index port, and checks the data
 * port then reads the same as after a plain OUT: the trapped byte must
 * reach the device (through Lamina's handler, which counts it).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>

#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_REG 0x10 /* floppy types: does not change while we look */

static int straddle(int n)
{
	int bad = 0;

	if (ioperm(CMOS_INDEX - 1, 3, 1)) {
		perror("ioprobe: ioperm");
		return 2;
	}
	outb(CMOS_REG, CMOS_INDEX);
	uint8_t want = inb(CMOS_DATA);

	for (int i = 0; i < n; i++) {
		outw(CMOS_REG << 8 | 0xff, CMOS_INDEX - 1);
		bad += inb(CMOS_DATA) != want;
	}
	printf("ioprobe: straddle %d word writes, %d read back wrong: %s\n", n, bad,
	       bad <= n / 10 ? "PASS" : "FAIL");
	return bad > n / 10;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "straddle"))
		return straddle(atoi(argv[2]));
	if (ioperm(CMOS_INDEX, 2, 1)) {
		perror("ioprobe: ioperm");
		return 2;
	}
	for (int tries = 0; tries < 5; tries++) {
		uint8_t in, ins[2] = { 0xee, 0xee }, outs_then_in;
		const uint8_t idx = CMOS_REG;

		outb(CMOS_REG, CMOS_INDEX);
		in = inb(CMOS_DATA);
		outb(CMOS_REG, CMOS_INDEX);
		{
			void *di = ins;
			uint64_t cx = 2;

			asm volatile("cld; rep insb" : "+D"(di), "+c"(cx) : "d"(CMOS_DATA) : "memory");
		}
		{
			const void *si = &idx;

			asm volatile("cld; outsb" : "+S"(si) : "d"(CMOS_INDEX) : "memory");
		}
		outs_then_in = inb(CMOS_DATA);
		printf("ioprobe: cmos[0x%02x] in %02x rep-insb %02x %02x outsb+in %02x\n", CMOS_REG,
		       in, ins[0], ins[1], outs_then_in);
		if (ins[0] == in && ins[1] == in && outs_then_in == in) {
			printf("ioprobe: PASS\n");
			return 0;
		}
	}
	printf("ioprobe: FAIL: string port I/O disagrees with IN\n");
	return 1;
}
