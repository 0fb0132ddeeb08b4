/* SPDX-License-Identifier: MIT */
/* The manager's admission check: who holds what, refusals that say why, reservations. */
#include <errno.h>
#include <string.h>

#include "manager/daemon.h"
#include "test.h"

static struct mgr_vm vm_of(const char *name, uint32_t vcpus, uint64_t mem_mib, enum mgr_vm_state state,
			   bool reserve)
{
	struct mgr_vm vm = { .vcpus = vcpus, .mem_mib = mem_mib, .state = state, .reserve = reserve, .pidfd = -1 };

	snprintf(vm.name, sizeof(vm.name), "%s", name);
	return vm;
}

static void expect_refused(const struct mgr_capacity *cap, const struct mgr_vm *list, const struct mgr_vm *vm,
			   const char *msg)
{
	char why[512] = "";

	CHECK_EQ(mgr_admit(cap, list, vm, why, sizeof(why)), -ENOSPC);
	if (!strstr(why, msg)) {
		fprintf(stderr, "refusal '%s' lacks '%s'\n", why, msg);
		CHECK(0);
	}
}

static void test_committed_counts_active_and_reserved(void)
{
	struct mgr_vm a = vm_of("a", 2, 512, MGR_VM_RUNNING, false);
	struct mgr_vm b = vm_of("b", 1, 256, MGR_VM_STOPPED, false);
	struct mgr_vm c = vm_of("c", 4, 1024, MGR_VM_STOPPED, true);
	struct mgr_vm e = vm_of("e", 1, 128, MGR_VM_PAUSED, false);
	struct mgr_usage u;

	a.next = &b;
	b.next = &c;
	c.next = &e;
	u = mgr_committed(&a, NULL);
	CHECK_EQ(u.vcpus, 2 + 4 + 1);
	CHECK_EQ(u.mem_mib, 512 + 1024 + 128 + 3 * MGR_VM_OVERHEAD_MIB);
	u = mgr_committed(&a, &c);
	CHECK_EQ(u.vcpus, 3);
	b.state = MGR_VM_CRASHED;
	CHECK_EQ(mgr_committed(&a, NULL).vcpus, 7);
	b.state = MGR_VM_STOPPING;
	CHECK_EQ(mgr_committed(&a, NULL).vcpus, 8);
}

static void test_admit_memory_and_vcpus(void)
{
	struct mgr_capacity cap = { .mem_mib = 1000, .vcpus = 4 };
	struct mgr_vm a = vm_of("a", 2, 512, MGR_VM_RUNNING, false);
	struct mgr_vm b = vm_of("b", 1, 400, MGR_VM_STOPPED, false);
	struct mgr_vm big = vm_of("big", 1, 1000, MGR_VM_STOPPED, false);
	struct mgr_vm wide = vm_of("wide", 3, 64, MGR_VM_STOPPED, false);
	char why[512];

	a.next = &b;
	b.next = &big;
	big.next = &wide;
	/* 528 held + 416 = 944 <= 1000 */
	CHECK_EQ(mgr_admit(&cap, &a, &b, why, sizeof(why)), 0);
	expect_refused(&cap, &a, &big, "not enough memory: 'big' needs 1016 MiB");
	expect_refused(&cap, &a, &big, "472 MiB of the manager's 1000 MiB are left (held by: a 528 MiB)");
	expect_refused(&cap, &a, &wide, "not enough vCPUs: 'wide' needs 3, 2 of the manager's 4 are left (held by: a 2)");
	a.state = MGR_VM_STOPPED;
	CHECK_EQ(mgr_admit(&cap, &a, &wide, why, sizeof(why)), 0);
	/* Exactly full is allowed. */
	big.mem_mib = 1000 - MGR_VM_OVERHEAD_MIB;
	CHECK_EQ(mgr_admit(&cap, &a, &big, why, sizeof(why)), 0);
}

static void test_reservations(void)
{
	struct mgr_capacity cap = { .mem_mib = 1000, .vcpus = 8 };
	struct mgr_vm r = vm_of("r", 1, 600, MGR_VM_STOPPED, true);
	struct mgr_vm x = vm_of("x", 1, 400, MGR_VM_STOPPED, false);
	struct mgr_vm fresh = vm_of("fresh", 1, 600, MGR_VM_STOPPED, true);
	char why[512];

	r.next = &x;
	/* x does not fit beside r's reservation even while r is stopped. */
	expect_refused(&cap, &r, &x, "held by: r 616 MiB (reserved)");
	/* A reserved, defined VM may always start: its share is set aside. */
	CHECK_EQ(mgr_admit(&cap, &r, &r, why, sizeof(why)), 0);
	cap.mem_mib = 100;
	CHECK_EQ(mgr_admit(&cap, &r, &r, why, sizeof(why)), 0);
	/* A new reservation (not in the list yet) is checked. */
	cap.mem_mib = 1000;
	expect_refused(&cap, &r, &fresh, "'fresh' needs 616 MiB");
}

static void test_capacity_options(void)
{
	struct mgr_capacity cap;
	char err[256];

	CHECK_EQ(mgr_capacity_init(&cap, NULL, 0, 8192, 2, err, sizeof(err)), 0);
	CHECK_EQ(cap.mem_mib, 8192 - MGR_DEFAULT_HOST_RESERVE_MIB);
	CHECK_EQ(cap.vcpus, 2 * MGR_DEFAULT_CPU_OVERCOMMIT);
	CHECK_EQ(mgr_capacity_init(&cap, "4G", 1.5, 8192, 2, err, sizeof(err)), 0);
	CHECK_EQ(cap.mem_mib, 4096);
	CHECK_EQ(cap.vcpus, 3);
	CHECK_EQ(mgr_capacity_init(&cap, "50%", 1, 8192, 4, err, sizeof(err)), 0);
	CHECK_EQ(cap.mem_mib, 4096);
	CHECK_EQ(cap.vcpus, 4);
	CHECK_EQ(mgr_capacity_init(&cap, "150%", 1, 1000, 1, err, sizeof(err)), 0);
	CHECK_EQ(cap.mem_mib, 1500);
	CHECK_EQ(mgr_capacity_init(&cap, NULL, 0, 100, 1, err, sizeof(err)), 0);
	CHECK_EQ(cap.mem_mib, 0);
	CHECK_EQ(mgr_capacity_init(&cap, "lots", 0, 8192, 2, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "--max-memory 'lots'") != NULL);
	CHECK_EQ(mgr_capacity_init(&cap, "0%", 0, 8192, 2, err, sizeof(err)), -EINVAL);
	CHECK_EQ(mgr_capacity_init(&cap, "%", 0, 8192, 2, err, sizeof(err)), -EINVAL);
	CHECK_EQ(mgr_capacity_init(&cap, "12x%", 0, 8192, 2, err, sizeof(err)), -EINVAL);
	CHECK_EQ(mgr_capacity_init(&cap, NULL, -1, 8192, 2, err, sizeof(err)), -EINVAL);
}

TEST_MAIN(test_committed_counts_active_and_reserved, test_admit_memory_and_vcpus, test_reservations,
	  test_capacity_options)
