/* SPDX-License-Identifier: MIT */
/*
 * MSI-X (PCI 3.0 6.8.2): capability, vector table, PBA, masking and
 * delivery through msi_controller routes. See pci_msix.h.
 *
 * Lock order: the bus lock (held around config_written) before msix->lock.
 * The message control word lives in config space; it is read here with
 * atomic byte loads because BAR accesses and notify() run without the bus
 * lock (pci_config_write() stores config bytes atomically).
 */
#include "pci/pci_msix.h"
#include "core/log.h"
#include "snapshot/snap_buf.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define PCI_MSIX_CAP_LEN        12
#define PCI_MSIX_FLAGS          2       /* message control, in the capability */
#define  PCI_MSIX_FLAGS_MASKALL 0x4000
#define  PCI_MSIX_FLAGS_ENABLE  0x8000
#define PCI_MSIX_TABLE          4       /* offset | BIR */
#define PCI_MSIX_PBA            8
#define PCI_MSIX_ENTRY_CTRL_MASKED 0x1
#define PCI_MSIX_PBA_SIZE       8       /* one qword: up to 64 vectors */

static uint16_t pci_msix_control(const struct pci_msix *msix)
{
	const uint8_t *p = msix->dev->config + msix->cap_offset + PCI_MSIX_FLAGS;

	return __atomic_load_n(&p[0], __ATOMIC_RELAXED) |
	       __atomic_load_n(&p[1], __ATOMIC_RELAXED) << 8;
}

bool pci_msix_enabled(const struct pci_msix *msix)
{
	return pci_msix_control(msix) & PCI_MSIX_FLAGS_ENABLE;
}

static void pci_msix_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int pci_msix_init(struct pci_msix *msix, struct pci_dev *dev, uint16_t nr_vectors, int bar,
		  uint32_t table_offset, uint32_t pba_offset, struct msi_controller msi)
{
	uint8_t cap[PCI_MSIX_CAP_LEN] = { 0 };
	uint8_t wmask[PCI_MSIX_CAP_LEN] = { 0 };
	uint64_t bar_size, table_len;
	int ret;

	if (!dev || !msi.ops || !msi.ops->route_alloc || !msi.ops->route_set)
		return -EINVAL;
	if (nr_vectors == 0 || nr_vectors > PCI_MSIX_MAX_VECTORS || bar < 0 || bar >= PCI_NUM_BARS)
		return -EINVAL;
	bar_size = dev->bars[bar].size;
	table_len = (uint64_t)nr_vectors * PCI_MSIX_ENTRY_SIZE;
	/* The BIR fields take the low 3 bits, so both offsets are qword aligned. */
	if (table_offset % 8 || pba_offset % 8)
		return -EINVAL;
	if (table_offset > bar_size || table_len > bar_size - table_offset ||
	    pba_offset > bar_size || PCI_MSIX_PBA_SIZE > bar_size - pba_offset)
		return -EINVAL;
	if (table_offset < pba_offset + PCI_MSIX_PBA_SIZE && pba_offset < table_offset + table_len)
		return -EINVAL;

	memset(msix, 0, sizeof(*msix));
	msix->dev = dev;
	msix->nr_vectors = nr_vectors;
	msix->bar = bar;
	msix->table_offset = table_offset;
	msix->pba_offset = pba_offset;
	msix->msi = msi;
	/* Reset state: every vector masked (6.8.2.9). */
	for (int v = 0; v < PCI_MSIX_MAX_VECTORS; v++) {
		msix->state.table[v].ctrl = PCI_MSIX_ENTRY_CTRL_MASKED;
		msix->gsi[v] = -1;
		msix->fd[v] = -1;
	}

	cap[0] = PCI_CAP_ID_MSIX;
	cap[PCI_MSIX_FLAGS] = (uint8_t)(nr_vectors - 1);
	cap[PCI_MSIX_FLAGS + 1] = (uint8_t)((nr_vectors - 1) >> 8);
	pci_msix_put32(cap + PCI_MSIX_TABLE, table_offset | (uint32_t)bar);
	pci_msix_put32(cap + PCI_MSIX_PBA, pba_offset | (uint32_t)bar);
	wmask[PCI_MSIX_FLAGS + 1] = (PCI_MSIX_FLAGS_MASKALL | PCI_MSIX_FLAGS_ENABLE) >> 8;

	ret = -pthread_mutex_init(&msix->lock, NULL);
	if (ret)
		return ret;
	ret = pci_dev_add_cap(dev, cap, sizeof(cap), wmask);
	if (ret < 0)
		goto out_mutex;
	msix->cap_offset = (uint16_t)ret;
	return 0;

out_mutex:
	pthread_mutex_destroy(&msix->lock);
	return ret;
}

void pci_msix_destroy(struct pci_msix *msix)
{
	for (int v = 0; v < PCI_MSIX_MAX_VECTORS; v++) {
		if (msix->gsi[v] < 0)
			continue;
		if (msix->msi.ops->route_free)
			msix->msi.ops->route_free(msix->msi.ctx, msix->gsi[v], msix->fd[v]);
		msix->gsi[v] = -1;
		msix->fd[v] = -1;
	}
	pthread_mutex_destroy(&msix->lock);
}

/* Allocates and (re)programs vector v's route as needed. Lock held. */
static int pci_msix_route_update(struct pci_msix *msix, uint16_t v)
{
	const struct pci_msix_entry *e = &msix->state.table[v];
	struct msi_msg msg;
	int ret, fd = -1;

	if (msix->gsi[v] < 0) {
		ret = msix->msi.ops->route_alloc(msix->msi.ctx, &fd);
		if (ret < 0)
			return ret;
		msix->gsi[v] = ret;
		msix->fd[v] = fd;
		msix->route_stale[v] = true;
	}
	if (!msix->route_stale[v])
		return 0;
	msg.addr = (uint64_t)e->addr_hi << 32 | e->addr_lo;
	msg.data = e->data;
	ret = msix->msi.ops->route_set(msix->msi.ctx, msix->gsi[v], &msg);
	if (ret < 0)
		return ret;
	msix->route_stale[v] = false;
	return 0;
}

/* Sends vector v now (it is deliverable). Lock held. */
static void pci_msix_deliver(struct pci_msix *msix, uint16_t v)
{
	const uint64_t one = 1;
	int ret;

	ret = pci_msix_route_update(msix, v);
	if (ret < 0) {
		log_guest("pci msix: vector %u: no MSI route (%s)", v, strerror(-ret));
		return;
	}
	/* EAGAIN means the counter is saturated: an interrupt is pending anyway. */
	if (write(msix->fd[v], &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_guest("pci msix: vector %u: eventfd write: %s", v, strerror(errno));
}

static bool pci_msix_vector_masked(const struct pci_msix *msix, uint16_t ctrl, uint16_t v)
{
	return (ctrl & PCI_MSIX_FLAGS_MASKALL) ||
	       (msix->state.table[v].ctrl & PCI_MSIX_ENTRY_CTRL_MASKED);
}

/*
 * After anything that may have unmasked vectors: deliver what is pending
 * and now deliverable, and prepare routes of unmasked vectors so the first
 * interrupt does not pay for them. Lock held.
 */
static void pci_msix_unmasked(struct pci_msix *msix)
{
	uint16_t ctrl = pci_msix_control(msix);

	if (!(ctrl & PCI_MSIX_FLAGS_ENABLE))
		return;
	for (uint16_t v = 0; v < msix->nr_vectors; v++) {
		if (pci_msix_vector_masked(msix, ctrl, v))
			continue;
		if (msix->state.pba & (1ULL << v)) {
			msix->state.pba &= ~(1ULL << v);
			pci_msix_deliver(msix, v);
		} else if (msix->gsi[v] < 0 || msix->route_stale[v]) {
			if (pci_msix_route_update(msix, v) < 0)
				log_guest("pci msix: vector %u: cannot set up its MSI route", v);
		}
	}
}

void pci_msix_notify(struct pci_msix *msix, uint16_t vector)
{
	uint16_t ctrl;

	if (vector >= msix->nr_vectors)
		return;
	pthread_mutex_lock(&msix->lock);
	ctrl = pci_msix_control(msix);
	if (!(ctrl & PCI_MSIX_FLAGS_ENABLE))
		goto out_unlock;
	if (pci_msix_vector_masked(msix, ctrl, vector))
		msix->state.pba |= 1ULL << vector;
	else
		pci_msix_deliver(msix, vector);
out_unlock:
	pthread_mutex_unlock(&msix->lock);
}

void pci_msix_config_written(struct pci_msix *msix, uint32_t offset, uint32_t len)
{
	uint32_t flags = msix->cap_offset + PCI_MSIX_FLAGS;

	if (offset >= flags + 2 || flags >= offset + len)
		return;
	pthread_mutex_lock(&msix->lock);
	pci_msix_unmasked(msix);
	pthread_mutex_unlock(&msix->lock);
}

/* Table and PBA accesses: 4 or 8 bytes, naturally aligned; others ignored. */
static bool pci_msix_access_ok(uint64_t offset, uint32_t len)
{
	return (len == 4 || len == 8) && offset % len == 0;
}

static bool pci_msix_in_table(const struct pci_msix *msix, uint64_t offset)
{
	return offset >= msix->table_offset &&
	       offset - msix->table_offset < (uint64_t)msix->nr_vectors * PCI_MSIX_ENTRY_SIZE;
}

static bool pci_msix_in_pba(const struct pci_msix *msix, uint64_t offset)
{
	return offset >= msix->pba_offset && offset - msix->pba_offset < PCI_MSIX_PBA_SIZE;
}

static uint32_t *pci_msix_entry_dword(struct pci_msix *msix, uint64_t table_off)
{
	struct pci_msix_entry *e = &msix->state.table[table_off / PCI_MSIX_ENTRY_SIZE];

	switch (table_off % PCI_MSIX_ENTRY_SIZE) {
	case 0:
		return &e->addr_lo;
	case 4:
		return &e->addr_hi;
	case 8:
		return &e->data;
	default:
		return &e->ctrl;
	}
}

bool pci_msix_bar_read(struct pci_msix *msix, uint64_t offset, void *data, uint32_t len)
{
	bool table = pci_msix_in_table(msix, offset);
	uint32_t val[2];

	if (!table && !pci_msix_in_pba(msix, offset))
		return false;
	memset(data, 0xff, len);
	/* An 8-byte access at the last dword would run past the region. */
	if (!pci_msix_access_ok(offset, len) ||
	    (table ? !pci_msix_in_table(msix, offset + len - 1) : !pci_msix_in_pba(msix, offset + len - 1)))
		return true;

	pthread_mutex_lock(&msix->lock);
	if (table) {
		uint64_t t = offset - msix->table_offset;

		val[0] = *pci_msix_entry_dword(msix, t);
		if (len == 8)
			val[1] = *pci_msix_entry_dword(msix, t + 4);
	} else {
		uint64_t pba = msix->state.pba >> (8 * (offset - msix->pba_offset));

		val[0] = (uint32_t)pba;
		val[1] = (uint32_t)(pba >> 32);
	}
	pthread_mutex_unlock(&msix->lock);
	memcpy(data, val, len);
	return true;
}

bool pci_msix_bar_write(struct pci_msix *msix, uint64_t offset, const void *data, uint32_t len)
{
	uint32_t val[2] = { 0 };
	bool unmasked = false;
	uint64_t t;

	if (pci_msix_in_pba(msix, offset))
		return true;            /* read-only */
	if (!pci_msix_in_table(msix, offset))
		return false;
	if (!pci_msix_access_ok(offset, len) || !pci_msix_in_table(msix, offset + len - 1))
		return true;

	memcpy(val, data, len);
	t = offset - msix->table_offset;
	pthread_mutex_lock(&msix->lock);
	for (uint32_t i = 0; i < len / 4; i++, t += 4) {
		uint16_t v = (uint16_t)(t / PCI_MSIX_ENTRY_SIZE);
		uint32_t *dw = pci_msix_entry_dword(msix, t);

		if (t % PCI_MSIX_ENTRY_SIZE == 12) {
			uint32_t old = *dw;

			/* Only the mask bit is writable; the rest is reserved. */
			*dw = (old & ~PCI_MSIX_ENTRY_CTRL_MASKED) | (val[i] & PCI_MSIX_ENTRY_CTRL_MASKED);
			unmasked |= (old & ~*dw & PCI_MSIX_ENTRY_CTRL_MASKED) != 0;
		} else if (*dw != val[i]) {
			*dw = val[i];
			/* Re-programmed on next use: the guest writes addr and data separately. */
			msix->route_stale[v] = true;
		}
	}
	if (unmasked)
		pci_msix_unmasked(msix);
	pthread_mutex_unlock(&msix->lock);
	return true;
}

void pci_msix_save(struct pci_msix *msix, struct snap_writer *w)
{
	pthread_mutex_lock(&msix->lock);
	snap_put(w, &msix->state, sizeof(msix->state));
	pthread_mutex_unlock(&msix->lock);
}

int pci_msix_load(struct pci_msix *msix, struct snap_reader *r)
{
	struct pci_msix_state st;

	if (snap_get(r, &st, sizeof(st)))
		return -EINVAL;
	/* Vectors the function does not have stay masked and never pending. */
	for (int v = msix->nr_vectors; v < PCI_MSIX_MAX_VECTORS; v++)
		if (st.table[v].ctrl != PCI_MSIX_ENTRY_CTRL_MASKED || st.table[v].addr_lo ||
		    st.table[v].addr_hi || st.table[v].data)
			return -EINVAL;
	if (msix->nr_vectors < 64 && (st.pba >> msix->nr_vectors))
		return -EINVAL;
	pthread_mutex_lock(&msix->lock);
	msix->state = st;
	for (int v = 0; v < PCI_MSIX_MAX_VECTORS; v++)
		msix->route_stale[v] = true;
	pci_msix_unmasked(msix);
	pthread_mutex_unlock(&msix->lock);
	return 0;
}
