/* SPDX-License-Identifier: MIT */
#include "arch/x86/kvm_state.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/kvm.h"
#include "core/log.h"
#include "core/vcpu.h"
#include "core/vm.h"
#include "snapshot/snap_buf.h"

#define KVM_STATE_MAX_MSRS 1024

#define VCPU_SNAP_XSAVE (1u << 0)  /* struct kvm_xsave follows, else struct kvm_fpu */
#define VCPU_SNAP_XCRS  (1u << 1)  /* struct kvm_xcrs follows */

struct vcpu_snap_head {
	uint32_t flags;
	uint32_t nr_msrs;
	uint32_t tsc_khz;           /* 0: unknown */
	uint32_t pad;
};

struct vm_snap {
	struct kvm_irqchip pic_master;
	struct kvm_irqchip pic_slave;
	struct kvm_irqchip ioapic;
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
};

/* struct kvm_msrs with room for n entries (it ends in a flexible array). */
static struct kvm_msrs *kvm_msrs_alloc(uint32_t n)
{
	struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + (size_t)n * sizeof(struct kvm_msr_entry));

	if (msrs)
		msrs->nmsrs = n;
	return msrs;
}

/* The MSRs KVM says a VMM should save (KVM_GET_MSR_INDEX_LIST); caller frees. */
static struct kvm_msr_list *kvm_msr_index_list(int kvm_fd)
{
	struct kvm_msr_list probe = { .nmsrs = 0 }, *list;

	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) && errno != E2BIG)
		return NULL;
	if (probe.nmsrs > KVM_STATE_MAX_MSRS)
		probe.nmsrs = KVM_STATE_MAX_MSRS;
	list = calloc(1, sizeof(*list) + probe.nmsrs * sizeof(list->indices[0]));
	if (!list)
		return NULL;
	list->nmsrs = probe.nmsrs;
	if (ioctl(kvm_fd, KVM_GET_MSR_INDEX_LIST, list)) {
		free(list);
		return NULL;
	}
	return list;
}

/*
 * Reads every listed MSR this vCPU has. KVM_GET_MSRS stops at the first it
 * cannot read (an MSR of a feature the guest's CPUID hides): skip that one
 * and go on. Returns the count read into msrs, or -errno.
 */
static int vcpu_read_msrs(int vcpu_fd, const struct kvm_msr_list *list, struct kvm_msrs *msrs)
{
	uint32_t done = 0, next = 0;

	while (next < list->nmsrs) {
		struct kvm_msrs *batch = kvm_msrs_alloc(list->nmsrs - next);
		int n;

		if (!batch)
			return -ENOMEM;
		for (uint32_t i = 0; i < batch->nmsrs; i++)
			batch->entries[i].index = list->indices[next + i];
		n = ioctl(vcpu_fd, KVM_GET_MSRS, batch);
		if (n < 0) {
			free(batch);
			return -errno;
		}
		memcpy(&msrs->entries[done], batch->entries, (size_t)n * sizeof(batch->entries[0]));
		done += (uint32_t)n;
		next += (uint32_t)n + 1;     /* skip the one KVM refused */
		free(batch);
	}
	msrs->nmsrs = done;
	return (int)done;
}

/*
 * The fixed-size parts of a vCPU section, in stream order after the head
 * (the MSRs come last). The FPU part is struct kvm_xsave or struct kvm_fpu,
 * the XCRs are there only if the head's flags say so.
 */
enum vcpu_part {
	PART_REGS, PART_SREGS, PART_LAPIC, PART_EVENTS, PART_MP, PART_DREGS, PART_FPU, PART_XCRS,
	NR_VCPU_PARTS
};

struct vcpu_part_desc {
	unsigned long get, set;
	size_t size;
	const char *get_name, *set_name;
};

#define VCPU_PART(req, type) { KVM_GET_##req, KVM_SET_##req, sizeof(struct type), "KVM_GET_" #req, "KVM_SET_" #req }

static const struct vcpu_part_desc vcpu_parts[NR_VCPU_PARTS] = {
	[PART_REGS] = VCPU_PART(REGS, kvm_regs),
	[PART_SREGS] = VCPU_PART(SREGS, kvm_sregs),
	[PART_LAPIC] = VCPU_PART(LAPIC, kvm_lapic_state),
	[PART_EVENTS] = VCPU_PART(VCPU_EVENTS, kvm_vcpu_events),
	[PART_MP] = VCPU_PART(MP_STATE, kvm_mp_state),
	[PART_DREGS] = VCPU_PART(DEBUGREGS, kvm_debugregs),
	[PART_FPU] = VCPU_PART(FPU, kvm_fpu),
	[PART_XCRS] = VCPU_PART(XCRS, kvm_xcrs),
};
static const struct vcpu_part_desc vcpu_part_xsave = VCPU_PART(XSAVE, kvm_xsave);

/* The part's description under these head flags, or NULL if the section does not hold it. */
static const struct vcpu_part_desc *vcpu_part(enum vcpu_part part, uint32_t flags)
{
	if (part == PART_FPU && (flags & VCPU_SNAP_XSAVE))
		return &vcpu_part_xsave;
	if (part == PART_XCRS && !(flags & VCPU_SNAP_XCRS))
		return NULL;
	return &vcpu_parts[part];
}

int arch_vcpu_save(struct vm *vm, struct vcpu *vcpu, struct snap_writer *w, char *err, size_t errlen)
{
	struct vcpu_snap_head head = { 0 };
	void *buf[NR_VCPU_PARTS] = { 0 };
	struct kvm_msr_list *list = NULL;
	struct kvm_msrs *msrs = NULL;
	const char *what = "out of memory";
	int ret, tsc_khz;

	if (kvm_check_cap(vm->fd, KVM_CAP_XSAVE))
		head.flags |= VCPU_SNAP_XSAVE;
	if (kvm_check_cap(vm->fd, KVM_CAP_XCRS))
		head.flags |= VCPU_SNAP_XCRS;
	for (int i = 0; i < NR_VCPU_PARTS; i++) {
		const struct vcpu_part_desc *d = vcpu_part(i, head.flags);

		if (!d)
			continue;
		what = d->get_name;
		buf[i] = calloc(1, d->size);
		if (!buf[i] || ioctl(vcpu->fd, d->get, buf[i]))
			goto out_errno;
	}
	tsc_khz = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);
	head.tsc_khz = tsc_khz > 0 ? (uint32_t)tsc_khz : 0;
	what = "KVM_GET_MSR_INDEX_LIST";
	list = kvm_msr_index_list(vm->kvm.fd);
	if (!list)
		goto out_errno;
	what = "KVM_GET_MSRS";
	msrs = kvm_msrs_alloc(list->nmsrs);
	if (!msrs)
		goto out_errno;
	ret = vcpu_read_msrs(vcpu->fd, list, msrs);
	if (ret < 0) {
		errno = -ret;
		goto out_errno;
	}
	head.nr_msrs = msrs->nmsrs;

	snap_put(w, &head, sizeof(head));
	for (int i = 0; i < NR_VCPU_PARTS; i++)
		if (buf[i])
			snap_put(w, buf[i], vcpu_part(i, head.flags)->size);
	snap_put(w, msrs->entries, (size_t)msrs->nmsrs * sizeof(msrs->entries[0]));
	ret = 0;
	goto out_free;

out_errno:
	ret = errno ? -errno : -ENOMEM;
	snprintf(err, errlen, "vCPU %u: %s: %s", vcpu->id, what, strerror(-ret));
out_free:
	free(msrs);
	free(list);
	for (int i = 0; i < NR_VCPU_PARTS; i++)
		free(buf[i]);
	return ret;
}

/* A vCPU section, split: pointers into the reader's buffer (NULL: a part the section does not hold). */
struct vcpu_snap_parts {
	struct vcpu_snap_head head;
	const void *part[NR_VCPU_PARTS];
	const struct kvm_msr_entry *msrs;
};

static int vcpu_snap_split(struct snap_reader *r, struct vcpu_snap_parts *p)
{
	if (snap_get(r, &p->head, sizeof(p->head)) || p->head.nr_msrs > KVM_STATE_MAX_MSRS ||
	    (p->head.flags & ~(VCPU_SNAP_XSAVE | VCPU_SNAP_XCRS)))
		return -EINVAL;
	for (int i = 0; i < NR_VCPU_PARTS; i++) {
		const struct vcpu_part_desc *d = vcpu_part(i, p->head.flags);

		p->part[i] = NULL;
		if (d && !(p->part[i] = snap_get_ptr(r, d->size)))
			return -EINVAL;
	}
	p->msrs = (const void *)snap_get_ptr(r, (size_t)p->head.nr_msrs * sizeof(struct kvm_msr_entry));
	if (!p->msrs || snap_left(r))
		return -EINVAL;
	return 0;
}

/* ioctl with a copy of a (possibly unaligned) saved struct. */
static int vcpu_set(int fd, unsigned long req, const void *saved, size_t size)
{
	void *buf = malloc(size);
	int ret;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, saved, size);
	ret = ioctl(fd, req, buf) < 0 ? -errno : 0;
	free(buf);
	return ret;
}

static int vcpu_set_msrs(int fd, const struct kvm_msr_entry *saved, uint32_t n, uint32_t *bad_index)
{
	struct kvm_msrs *msrs = kvm_msrs_alloc(n);
	int ret;

	if (!msrs)
		return -ENOMEM;
	memcpy(msrs->entries, saved, (size_t)n * sizeof(msrs->entries[0]));
	ret = ioctl(fd, KVM_SET_MSRS, msrs);
	if (ret >= 0 && (uint32_t)ret < n) {
		*bad_index = msrs->entries[ret].index;
		ret = -EINVAL;
	} else if (ret < 0) {
		ret = -errno;
	} else {
		ret = 0;
	}
	free(msrs);
	return ret;
}

/* Sets the parts in order; 0 or -errno with the failing ioctl's name in *what. */
static int vcpu_set_parts(int fd, const struct vcpu_snap_parts *p, const enum vcpu_part *order, int n,
			  const char **what)
{
	for (int i = 0; i < n; i++) {
		const struct vcpu_part_desc *d = vcpu_part(order[i], p->head.flags);
		int ret;

		if (!d)
			continue;
		*what = d->set_name;
		ret = vcpu_set(fd, d->set, p->part[order[i]], d->size);
		if (ret)
			return ret;
	}
	return 0;
}

/* Firecracker's order: MP state, registers, sregs (APIC base), FPU, LAPIC, MSRs, events. */
static const enum vcpu_part vcpu_load_before_msrs[] = {
	PART_MP, PART_REGS, PART_SREGS, PART_FPU, PART_XCRS, PART_DREGS, PART_LAPIC,
};
static const enum vcpu_part vcpu_load_after_msrs[] = { PART_EVENTS };

int arch_vcpu_load(struct vm *vm, struct vcpu *vcpu, struct snap_reader *r, char *err, size_t errlen)
{
	struct vcpu_snap_parts p;
	uint32_t bad_msr = 0;
	const char *what;
	int ret;

	if (vcpu_snap_split(r, &p)) {
		snprintf(err, errlen, "vCPU %u: the saved state is malformed", vcpu->id);
		return -EINVAL;
	}
	if ((p.head.flags & VCPU_SNAP_XSAVE) && !kvm_check_cap(vm->fd, KVM_CAP_XSAVE)) {
		snprintf(err, errlen, "vCPU %u: the snapshot has XSAVE state and this host's KVM has no XSAVE", vcpu->id);
		return -EINVAL;
	}
	if (p.head.tsc_khz && kvm_check_cap(vm->fd, KVM_CAP_GET_TSC_KHZ)) {
		int now = ioctl(vcpu->fd, KVM_GET_TSC_KHZ, 0);

		if (now > 0 && (uint32_t)now != p.head.tsc_khz &&
		    (!kvm_check_cap(vm->fd, KVM_CAP_TSC_CONTROL) ||
		     ioctl(vcpu->fd, KVM_SET_TSC_KHZ, (unsigned long)p.head.tsc_khz))) {
			snprintf(err, errlen, "vCPU %u: the snapshot's TSC runs at %u kHz, this host's at %d kHz "
				 "and KVM cannot scale it", vcpu->id, p.head.tsc_khz, now);
			return -EINVAL;
		}
	}
	ret = vcpu_set_parts(vcpu->fd, &p, vcpu_load_before_msrs,
			     sizeof(vcpu_load_before_msrs) / sizeof(vcpu_load_before_msrs[0]), &what);
	if (ret)
		goto out_err;
	ret = vcpu_set_msrs(vcpu->fd, p.msrs, p.head.nr_msrs, &bad_msr);
	if (ret) {
		if (bad_msr)
			snprintf(err, errlen, "vCPU %u: KVM_SET_MSRS: this host refuses MSR 0x%x", vcpu->id, bad_msr);
		else
			snprintf(err, errlen, "vCPU %u: KVM_SET_MSRS: %s", vcpu->id, strerror(-ret));
		return ret;
	}
	ret = vcpu_set_parts(vcpu->fd, &p, vcpu_load_after_msrs,
			     sizeof(vcpu_load_after_msrs) / sizeof(vcpu_load_after_msrs[0]), &what);
	if (ret)
		goto out_err;
	return 0;

out_err:
	snprintf(err, errlen, "vCPU %u: %s: %s", vcpu->id, what, strerror(-ret));
	return ret;
}

int arch_vm_save(struct vm *vm, struct snap_writer *w, char *err, size_t errlen)
{
	struct vm_snap *s = calloc(1, sizeof(*s));
	const char *what;
	int ret = 0;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->pic_master.chip_id = KVM_IRQCHIP_PIC_MASTER;
	s->pic_slave.chip_id = KVM_IRQCHIP_PIC_SLAVE;
	s->ioapic.chip_id = KVM_IRQCHIP_IOAPIC;
	what = "KVM_GET_IRQCHIP";
	if (ioctl(vm->fd, KVM_GET_IRQCHIP, &s->pic_master) || ioctl(vm->fd, KVM_GET_IRQCHIP, &s->pic_slave) ||
	    ioctl(vm->fd, KVM_GET_IRQCHIP, &s->ioapic))
		goto out_errno;
	what = "KVM_GET_PIT2";
	if (ioctl(vm->fd, KVM_GET_PIT2, &s->pit))
		goto out_errno;
	what = "KVM_GET_CLOCK";
	if (ioctl(vm->fd, KVM_GET_CLOCK, &s->clock))
		goto out_errno;
	snap_put(w, s, sizeof(*s));
	goto out_free;

out_errno:
	ret = -errno;
	snprintf(err, errlen, "%s: %s", what, strerror(errno));
out_free:
	free(s);
	return ret;
}

int arch_vm_load(struct vm *vm, struct snap_reader *r, char *err, size_t errlen)
{
	struct vm_snap *s = calloc(1, sizeof(*s));
	struct kvm_clock_data clock;
	const char *what;
	int ret = 0, clock_flags;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (snap_get_exact(r, s, sizeof(*s)) || s->pic_master.chip_id != KVM_IRQCHIP_PIC_MASTER ||
	    s->pic_slave.chip_id != KVM_IRQCHIP_PIC_SLAVE || s->ioapic.chip_id != KVM_IRQCHIP_IOAPIC) {
		snprintf(err, errlen, "the saved VM state is malformed");
		ret = -EINVAL;
		goto out_free;
	}
	what = "KVM_SET_IRQCHIP";
	if (ioctl(vm->fd, KVM_SET_IRQCHIP, &s->pic_master) || ioctl(vm->fd, KVM_SET_IRQCHIP, &s->pic_slave) ||
	    ioctl(vm->fd, KVM_SET_IRQCHIP, &s->ioapic))
		goto out_errno;
	what = "KVM_SET_PIT2";
	if (ioctl(vm->fd, KVM_SET_PIT2, &s->pit))
		goto out_errno;
	clock = (struct kvm_clock_data){ .clock = s->clock.clock };
	clock_flags = kvm_check_cap(vm->fd, KVM_CAP_ADJUST_CLOCK);
#ifdef KVM_CLOCK_REALTIME
	if ((s->clock.flags & KVM_CLOCK_REALTIME) && clock_flags > 0 && (clock_flags & KVM_CLOCK_REALTIME)) {
		/* KVM adds the wall time that passed since realtime to the clock. */
		clock.flags = KVM_CLOCK_REALTIME;
		clock.realtime = s->clock.realtime;
	}
#endif
	what = "KVM_SET_CLOCK";
	if (ioctl(vm->fd, KVM_SET_CLOCK, &clock))
		goto out_errno;
	goto out_free;

out_errno:
	ret = -errno;
	snprintf(err, errlen, "%s: %s", what, strerror(errno));
out_free:
	free(s);
	return ret;
}

/*
 * The feature-bearing registers only: vendor, family/model/stepping and
 * feature flags. Leaves that carry the host CPU's APIC id or topology (1.EBX,
 * 0xb, 0x1f, 0x8000001e) differ from one host CPU to the next and are left out.
 */
static bool cpuid_regs_to_hash(const struct kvm_cpuid_entry2 *e, uint32_t out[4])
{
	switch (e->function) {
	case 0:
	case 0xd:
	case 0x80000000:
		out[0] = e->eax; out[1] = e->ebx; out[2] = e->ecx; out[3] = e->edx;
		return true;
	case 1:
		out[0] = e->eax; out[1] = 0; out[2] = e->ecx; out[3] = e->edx;
		return true;
	case 7:
	case 0x80000001:
	case 0x80000007:
		out[0] = 0; out[1] = e->ebx; out[2] = e->ecx; out[3] = e->edx;
		return true;
	case 0x80000008:
		out[0] = e->eax; out[1] = e->ebx; out[2] = 0; out[3] = 0;
		return true;
	case 0x40000001:
		out[0] = e->eax; out[1] = 0; out[2] = 0; out[3] = e->edx;
		return true;
	default:
		return false;
	}
}

uint64_t arch_cpuid_hash(const struct vm *vm)
{
	const struct kvm_cpuid2 *c = vm->arch.cpuid;
	uint64_t h = 0xcbf29ce484222325ULL;

	if (!c)
		return 0;
	for (uint32_t i = 0; i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];
		uint32_t v[6] = { e->function, e->index };
		const uint8_t *p = (const uint8_t *)v;

		if (!cpuid_regs_to_hash(e, &v[2]))
			continue;
		for (size_t j = 0; j < sizeof(v); j++)
			h = (h ^ p[j]) * 0x100000001b3ULL;
	}
	return h;
}
