/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues (virtio 1.2, 2.7). The guest is hostile: every ring field
 * is read through the bounds-checked guest_mem accessors, every descriptor is
 * copied once into a local before use, and every index, length and flag is
 * checked before anything is translated to a host pointer.
 *
 * Limitation: a buffer must lie inside one guest RAM region; one that spans
 * two adjacent regions is refused with -EINVAL (drivers allocate buffers
 * from one page run, so this does not happen with real guests).
 */
#include "devices/virtio/virtqueue.h"

#include <endian.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#define VIRTQ_DESC_F_NEXT           1
#define VIRTQ_DESC_F_WRITE          2
#define VIRTQ_DESC_F_INDIRECT       4
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_AVAIL_F_NO_INTERRUPT  1

#define VIRTQ_DESC_SIZE 16u

/* A descriptor, host byte order (a local copy: never read twice from the guest). */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* State of one chain walk, shared by the direct and the indirect table. */
struct virtq_walk {
	const struct guest_mem *mem;
	struct virtq_chain *chain;
	uint32_t nr_desc;       /* descriptors seen, bounded by VIRTQ_CHAIN_MAX */
	uint64_t total_len;     /* bounded by UINT32_MAX */
	bool seen_in;
};

static bool virtq_size_valid(uint16_t size)
{
	return size != 0 && (size & (size - 1)) == 0 && size <= VIRTQ_MAX_SIZE;
}

/*
 * 16-bit ring fields are loaded and stored as single accesses when the host
 * pointer is aligned (the driver updates them concurrently); validate()
 * guarantees guest alignment, the fallback only covers odd host mappings.
 */
static int virtq_load_le16(const struct guest_mem *mem, uint64_t gpa, uint16_t *val)
{
	void *hva = guest_mem_ptr(mem, gpa, sizeof(uint16_t));
	uint16_t raw;

	if (!hva)
		return -EINVAL;
	if (((uintptr_t)hva & 1) == 0)
		raw = __atomic_load_n((uint16_t *)hva, __ATOMIC_RELAXED);
	else
		memcpy(&raw, hva, sizeof(raw));
	*val = le16toh(raw);
	return 0;
}

static int virtq_store_le16(const struct guest_mem *mem, uint64_t gpa, uint16_t val)
{
	void *hva = guest_mem_ptr(mem, gpa, sizeof(uint16_t));
	uint16_t raw = htole16(val);

	if (!hva)
		return -EINVAL;
	if (((uintptr_t)hva & 1) == 0)
		__atomic_store_n((uint16_t *)hva, raw, __ATOMIC_RELAXED);
	else
		memcpy(hva, &raw, sizeof(raw));
	guest_mem_mark_written(mem, gpa, sizeof(raw));
	return 0;
}

static void virtq_desc_decode(struct virtq_desc *d, const uint8_t raw[VIRTQ_DESC_SIZE])
{
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;

	memcpy(&addr, raw, 8);
	memcpy(&len, raw + 8, 4);
	memcpy(&flags, raw + 12, 2);
	memcpy(&next, raw + 14, 2);
	d->addr = le64toh(addr);
	d->len = le32toh(len);
	d->flags = le16toh(flags);
	d->next = le16toh(next);
}

int virtq_validate(const struct virtq *vq)
{
	const struct virtq_state *s = &vq->state;
	uint64_t size = s->size;

	if (!vq->mem || !virtq_size_valid(s->size))
		return -EINVAL;
	if ((s->desc_gpa & 15) || (s->avail_gpa & 1) || (s->used_gpa & 3))
		return -EINVAL;
	if (!guest_mem_ptr(vq->mem, s->desc_gpa, VIRTQ_DESC_SIZE * size) ||
	    !guest_mem_ptr(vq->mem, s->avail_gpa, 6 + 2 * size) ||
	    !guest_mem_ptr(vq->mem, s->used_gpa, 6 + 8 * size))
		return -EINVAL;
	return 0;
}

/* Appends one buffer to the chain; zero-length buffers only count as seen. */
static int virtq_walk_add(struct virtq_walk *w, const struct virtq_desc *d)
{
	struct virtq_chain *chain = w->chain;
	bool in = d->flags & VIRTQ_DESC_F_WRITE;
	void *hva;

	if (++w->nr_desc > VIRTQ_CHAIN_MAX)
		return -EINVAL;
	/* Device-readable buffers come first (2.7.4.2). */
	if (!in && w->seen_in)
		return -EINVAL;
	w->seen_in |= in;
	if (d->len == 0)
		return 0;
	w->total_len += d->len;
	if (w->total_len > UINT32_MAX)
		return -EINVAL;
	/* Checks the whole range, including addr + len wrapping past 2^64. */
	hva = guest_mem_ptr(w->mem, d->addr, d->len);
	if (!hva)
		return -EINVAL;
	chain->iov[chain->nr_out + chain->nr_in] = (struct iovec){ .iov_base = hva, .iov_len = d->len };
	if (in) {
		/* The device may write it any time until it pushes the chain (a migration resends it). */
		guest_mem_mark_written(w->mem, d->addr, d->len);
		chain->nr_in++;
		chain->in_len += d->len;
	} else {
		chain->nr_out++;
		chain->out_len += d->len;
	}
	return 0;
}

/* Walks an indirect table (2.7.5.3): its own index space, no nesting. */
static int virtq_walk_indirect(struct virtq_walk *w, const struct virtq_desc *ind)
{
	uint32_t nr_entries = ind->len / VIRTQ_DESC_SIZE;
	const uint8_t *table;
	struct virtq_desc d;
	uint32_t idx = 0;
	int ret;

	if (ind->len == 0 || ind->len % VIRTQ_DESC_SIZE || nr_entries > VIRTQ_CHAIN_MAX)
		return -EINVAL;
	table = guest_mem_ptr(w->mem, ind->addr, ind->len);
	if (!table)
		return -EINVAL;
	/* More steps than entries means the chain loops. */
	for (uint32_t n = 0; n < nr_entries; n++) {
		if (idx >= nr_entries)
			return -EINVAL;
		virtq_desc_decode(&d, table + (size_t)idx * VIRTQ_DESC_SIZE);
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return -EINVAL;
		ret = virtq_walk_add(w, &d);
		if (ret)
			return ret;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
	return -EINVAL;
}

static int virtq_walk_chain(struct virtq *vq, uint16_t head, struct virtq_chain *chain)
{
	const struct virtq_state *s = &vq->state;
	uint32_t limit = s->size < VIRTQ_CHAIN_MAX ? s->size : VIRTQ_CHAIN_MAX;
	struct virtq_walk w = { .mem = vq->mem, .chain = chain };
	uint8_t raw[VIRTQ_DESC_SIZE];
	struct virtq_desc d;
	uint32_t idx = head;
	int ret;

	chain->head = head;
	chain->nr_out = chain->nr_in = 0;
	chain->out_len = chain->in_len = 0;

	/* More steps than the bound means a loop or an over-long chain. */
	for (uint32_t n = 0; n < limit; n++) {
		if (idx >= s->size)
			return -EINVAL;
		if (guest_mem_read(vq->mem, s->desc_gpa + (uint64_t)idx * VIRTQ_DESC_SIZE, raw, sizeof(raw)))
			return -EINVAL;
		virtq_desc_decode(&d, raw);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* The table ends the chain: INDIRECT with NEXT is forbidden. */
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return -EINVAL;
			return virtq_walk_indirect(&w, &d);
		}
		ret = virtq_walk_add(&w, &d);
		if (ret)
			return ret;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
	return -EINVAL;
}

int virtq_pop(struct virtq *vq, struct virtq_chain *chain)
{
	struct virtq_state *s = &vq->state;
	uint16_t avail_idx, pending, head;
	int ret;

	if (!s->ready)
		return 0;
	/* Cheap, and keeps every ring offset below in range even if the transport forgot. */
	if (virtq_validate(vq))
		return -EINVAL;
	if (virtq_load_le16(vq->mem, s->avail_gpa + 2, &avail_idx))
		return -EINVAL;
	pending = (uint16_t)(avail_idx - s->last_avail_idx);
	if (pending > s->size)
		return -EINVAL;
	if (pending == 0)
		return 0;
	/* Ring entries and descriptors written before avail idx are visible. */
	atomic_thread_fence(memory_order_acquire);
	if (virtq_load_le16(vq->mem, s->avail_gpa + 4 + 2 * (uint64_t)(s->last_avail_idx & (s->size - 1)), &head))
		return -EINVAL;
	if (head >= s->size)
		return -EINVAL;
	ret = virtq_walk_chain(vq, head, chain);
	if (ret)
		return ret;
	s->last_avail_idx++;
	return 1;
}

void virtq_fill(struct virtq *vq, uint16_t i, uint16_t head, uint32_t written)
{
	struct virtq_state *s = &vq->state;
	uint32_t elem[2] = { htole32(head), htole32(written) };
	uint64_t gpa;

	if (!vq->mem || !virtq_size_valid(s->size))
		return;
	gpa = s->used_gpa + 4 + 8 * (uint64_t)((uint16_t)(s->used_idx + i) & (s->size - 1));
	/* Fails only if the ring left RAM after validate(): nothing sane to do. */
	guest_mem_write(vq->mem, gpa, elem, sizeof(elem));
}

void virtq_flush(struct virtq *vq, uint16_t n)
{
	struct virtq_state *s = &vq->state;

	if (!vq->mem || !virtq_size_valid(s->size))
		return;
	/* The elements are visible before the index that publishes them. */
	atomic_thread_fence(memory_order_release);
	s->used_idx += n;
	virtq_store_le16(vq->mem, s->used_gpa + 2, s->used_idx);
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
	virtq_fill(vq, 0, head, written);
	virtq_flush(vq, 1);
}

void virtq_unpop(struct virtq *vq, uint16_t n)
{
	vq->state.last_avail_idx -= n;
}

bool virtq_should_notify(struct virtq *vq)
{
	struct virtq_state *s = &vq->state;
	uint16_t old, new, event, flags;
	bool valid;

	/* Our used idx store is ordered before the read of the driver's event/flags. */
	atomic_thread_fence(memory_order_seq_cst);
	if (!vq->mem || !virtq_size_valid(s->size))
		return true;
	if (!vq->event_idx) {
		if (virtq_load_le16(vq->mem, s->avail_gpa, &flags))
			return true;
		return !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
	}
	old = s->signalled_used;
	new = s->used_idx;
	valid = s->signalled_used_valid;
	s->signalled_used = new;
	s->signalled_used_valid = 1;
	if (!valid)
		return true;
	/* used_event sits after the avail ring (2.7.10). */
	if (virtq_load_le16(vq->mem, s->avail_gpa + 4 + 2 * (uint64_t)s->size, &event))
		return true;
	/* vring_need_event(): did used idx step past event in (old, new]? */
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

/* avail_event sits after the used ring (2.7.10); the store is ordered before
 * the caller re-reads avail idx, so no notification is lost. */
static void virtq_write_avail_event(struct virtq *vq, uint16_t event)
{
	struct virtq_state *s = &vq->state;

	if (!vq->mem || !virtq_size_valid(s->size))
		return;
	virtq_store_le16(vq->mem, s->used_gpa + 4 + 8 * (uint64_t)s->size, event);
	atomic_thread_fence(memory_order_seq_cst);
}

void virtq_set_avail_event(struct virtq *vq)
{
	virtq_write_avail_event(vq, vq->state.last_avail_idx);
}

void virtq_notify_on_next_avail(struct virtq *vq)
{
	uint16_t avail_idx;

	if (!vq->mem || virtq_load_le16(vq->mem, vq->state.avail_gpa + 2, &avail_idx))
		return;
	virtq_write_avail_event(vq, avail_idx);
}

void virtq_enable_notify(struct virtq *vq, bool enable)
{
	struct virtq_state *s = &vq->state;

	if (vq->event_idx) {
		/* Disabled: avail_event stays behind, so the driver's check fails. */
		if (enable)
			virtq_notify_on_next_avail(vq);
		return;
	}
	if (!vq->mem || !virtq_size_valid(s->size))
		return;
	virtq_store_le16(vq->mem, s->used_gpa, enable ? 0 : VIRTQ_USED_F_NO_NOTIFY);
	/* Ordered before the caller looks at the avail ring again. */
	atomic_thread_fence(memory_order_seq_cst);
}

int virtq_serve(struct virtq *vq, virtq_drain_fn drain, void *ctx, unsigned int *served)
{
	bool armed = false;

	/* No kicks while we are draining anyway: each one is a VM exit. */
	virtq_enable_notify(vq, false);
	for (;;) {
		unsigned int before = *served;
		int ret = drain(ctx, served);

		if (ret < 0)
			return ret;
		if (armed && *served == before)
			return 0;
		virtq_enable_notify(vq, true);
		armed = true;
	}
}

/*
 * Copies between buf and the bytes [offset, offset + len) of n buffers, in
 * the direction to_iov says; returns the bytes copied (fewer if the buffers
 * end first).
 */
static uint32_t virtq_iov_copy(const struct iovec *iov, uint32_t n, uint32_t offset,
			       uint8_t *buf, uint32_t len, bool to_iov)
{
	uint32_t done = 0;

	for (uint32_t i = 0; i < n && done < len; i++) {
		size_t chunk;

		if (offset >= iov[i].iov_len) {
			offset -= iov[i].iov_len;
			continue;
		}
		chunk = iov[i].iov_len - offset;
		if (chunk > len - done)
			chunk = len - done;
		if (to_iov)
			memcpy((uint8_t *)iov[i].iov_base + offset, buf + done, chunk);
		else
			memcpy(buf + done, (const uint8_t *)iov[i].iov_base + offset, chunk);
		done += chunk;
		offset = 0;
	}
	return done;
}

uint32_t virtq_chain_read(const struct virtq_chain *chain, uint32_t offset, void *dst, uint32_t len)
{
	return virtq_iov_copy(chain->iov, chain->nr_out, offset, dst, len, false);
}

uint32_t virtq_chain_write(const struct virtq_chain *chain, uint32_t offset, const void *src, uint32_t len)
{
	/* The buffer is only read from when copying to the iovecs. */
	return virtq_iov_copy(chain->iov + chain->nr_out, chain->nr_in, offset, (uint8_t *)src, len, true);
}
