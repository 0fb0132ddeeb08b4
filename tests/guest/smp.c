// SPDX-License-Identifier: MIT
/*
 * The smp command: start every MADT-listed AP one at a time through the
 * real-mode trampoline, let each run a user-mode job, collect the results.
 */
#include "acpi.h"
#include "apic.h"
#include "cmd.h"
#include "con.h"
#include "guest.h"
#include "lib.h"
#include "sys.h"

#define SMP_JOB_ITERATIONS	1000000
/* TSC cycles; generous because 16 vCPUs may share 2 host cores. */
#define SMP_ALIVE_TIMEOUT	(20ULL * 1000 * 1000 * 1000)
#define SMP_DONE_TIMEOUT	(60ULL * 1000 * 1000 * 1000)

struct smp_slot {
	volatile uint32_t alive;
	volatile uint32_t done;
	volatile uint32_t ok;
	volatile uint64_t counter;
} __attribute__((aligned(64)));

static struct smp_slot smp_slots[GUEST_MAX_CPUS];

extern char tramp_start[], tramp_end[], tramp_cpu[];

void user_ap_main(uint32_t cpu) __attribute__((noreturn));

/* CPL3 on an AP: the job increments its own counter and checks it. */
void user_ap_main(uint32_t cpu)
{
	struct smp_slot *s = &smp_slots[cpu];
	uint32_t i;

	__atomic_store_n(&s->alive, 1, __ATOMIC_RELEASE);
	for (i = 0; i < SMP_JOB_ITERATIONS; i++)
		s->counter++;
	s->ok = s->counter == SMP_JOB_ITERATIONS;
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	sys_halt();
}

static bool smp_wait_flag(volatile uint32_t *flag, uint64_t timeout)
{
	uint64_t start = rdtsc();

	while (!__atomic_load_n(flag, __ATOMIC_ACQUIRE)) {
		if (rdtsc() - start > timeout)
			return false;
		cpu_relax();
	}
	return true;
}

int cmd_smp(const char *arg)
{
	uint8_t *tramp = (uint8_t *)GUEST_TRAMPOLINE_GPA;
	uint32_t *tramp_cpu_slot = (uint32_t *)(tramp + (tramp_cpu - tramp_start));
	uint32_t bsp = lapic_id(), i, cpu = 0, online = 1, ok = 1;
	uint32_t started[GUEST_MAX_CPUS];

	memcpy(tramp, tramp_start, tramp_end - tramp_start);
	for (i = 0; i < acpi.cpu_count; i++) {
		uint32_t id = acpi.apic_ids[i];
		struct smp_slot *s;

		if (id == bsp)
			continue;
		if (++cpu >= GUEST_MAX_CPUS)
			break;
		s = &smp_slots[cpu];
		s->alive = s->done = s->ok = 0;
		s->counter = 0;
		*(volatile uint32_t *)tramp_cpu_slot = cpu;
		barrier();
		lapic_start_ap(id, GUEST_SIPI_VECTOR);
		/* The trampoline is shared: wait until this AP is past it. */
		if (!smp_wait_flag(&s->alive, SMP_ALIVE_TIMEOUT)) {
			con_printf("smp.timeout=apic%u\n", id);
			started[cpu] = 0;
			ok = 0;
			continue;
		}
		started[cpu] = 1;
		online++;
	}
	for (i = 1; i <= cpu && i < GUEST_MAX_CPUS; i++) {
		if (!started[i])
			continue;
		if (!smp_wait_flag(&smp_slots[i].done, SMP_DONE_TIMEOUT) || !smp_slots[i].ok) {
			con_printf("smp.fail=cpu%u\n", i);
			ok = 0;
		}
	}
	con_printf("smp.online=%u\n", online);
	con_printf("smp.ok=%u\n", ok);
	return 0;
}
