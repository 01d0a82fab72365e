/* Time from the TSC, calibrated once against PIT channel 2. */
#include "core/time.h"
#include "core/log.h"
#include "arch/x86/cpu.h"

#define PIT_HZ 1193182u
#define CALIBRATE_MS 20u

static u64 tsc_start;
static u64 tsc_khz;

static u64 measure_tsc_khz(void)
{
	u16 ticks = PIT_HZ * CALIBRATE_MS / 1000;
	u8 gate = inb(0x61);
	u64 t0, t1;

	/* Gate channel 2 on, speaker off; one-shot mode 0, count down. */
	outb(0x61, (gate & ~0x02) | 0x01);
	outb(0x43, 0xb0);
	outb(0x42, ticks & 0xff);
	outb(0x42, ticks >> 8);
	t0 = rdtsc();
	for (u32 spin = 0; !(inb(0x61) & 0x20); spin++)
		if (spin > 100000000u)
			break; /* no PIT: fall back below */
	t1 = rdtsc();
	outb(0x61, gate);
	return (t1 - t0) / CALIBRATE_MS;
}

void time_init(void)
{
	tsc_start = rdtsc();
	tsc_khz = measure_tsc_khz();
	if (tsc_khz < 1000) {
		pr_warn("TSC calibration failed, assuming 1 GHz");
		tsc_khz = 1000000;
	}
}

u64 tsc_to_ns(u64 ticks)
{
	if (!tsc_khz)
		return 0;
	/* ticks * 1e6 / khz without overflow for ~centuries at GHz rates */
	return ticks / tsc_khz * 1000000 + (ticks % tsc_khz) * 1000000 / tsc_khz;
}

u64 time_ns(void)
{
	return tsc_to_ns(rdtsc() - tsc_start);
}
