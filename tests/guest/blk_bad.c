// SPDX-License-Identifier: MIT
/*
 * blkbad:<i>:<case>: send virtio-blk one malformed or illegal request, report
 * what the device made of it, reset if it needs one and check a read works.
 * For testing the VMM's defences; nothing here writes data the disk did not
 * already hold.
 */
#include "blk_cmd.h"
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "sys.h"
#include "virtio_blk.h"

#define BAD_WAIT_MS	500

/* Driver-owned request bytes for the raw chains (the header is ours to shape). */
struct bad_req {
	struct virtio_blk_req_hdr hdr;
	uint8_t status;
};

/* Build the case's chain in bufs; number of buffers, or -1 (status byte: *status). */
typedef int (*bad_build_fn)(struct virtio_blk *blk, struct bad_req *r, uint8_t *data,
			    struct virtq_buf *bufs);

static int bad_short_header(struct virtio_blk *blk, struct bad_req *r, uint8_t *data,
			    struct virtq_buf *bufs)
{
	r->hdr = (struct virtio_blk_req_hdr){ VIRTIO_BLK_T_IN, 0, 0 };
	bufs[0] = (struct virtq_buf){ (uintptr_t)&r->hdr, 8, false };
	bufs[1] = (struct virtq_buf){ (uintptr_t)data, VIRTIO_BLK_SECTOR, true };
	bufs[2] = (struct virtq_buf){ (uintptr_t)&r->status, 1, true };
	return 3;
}

/* An IN request with nothing device-writable at all. */
static int bad_no_status(struct virtio_blk *blk, struct bad_req *r, uint8_t *data,
			 struct virtq_buf *bufs)
{
	r->hdr = (struct virtio_blk_req_hdr){ VIRTIO_BLK_T_IN, 0, 0 };
	bufs[0] = (struct virtq_buf){ (uintptr_t)&r->hdr, sizeof(r->hdr), false };
	bufs[1] = (struct virtq_buf){ (uintptr_t)data, VIRTIO_BLK_SECTOR, false };
	return 2;
}

static int bad_wrong_dir(struct virtio_blk *blk, struct bad_req *r, uint8_t *data,
			 struct virtq_buf *bufs)
{
	r->hdr = (struct virtio_blk_req_hdr){ VIRTIO_BLK_T_IN, 0, 0 };
	bufs[0] = (struct virtq_buf){ (uintptr_t)&r->hdr, sizeof(r->hdr), false };
	bufs[1] = (struct virtq_buf){ (uintptr_t)data, VIRTIO_BLK_SECTOR, false };
	bufs[2] = (struct virtq_buf){ (uintptr_t)&r->status, 1, true };
	return 3;
}

static int bad_read_at(struct bad_req *r, uint8_t *data, struct virtq_buf *bufs, uint64_t sector)
{
	r->hdr = (struct virtio_blk_req_hdr){ VIRTIO_BLK_T_IN, 0, sector };
	bufs[0] = (struct virtq_buf){ (uintptr_t)&r->hdr, sizeof(r->hdr), false };
	bufs[1] = (struct virtq_buf){ (uintptr_t)data, VIRTIO_BLK_SECTOR, true };
	bufs[2] = (struct virtq_buf){ (uintptr_t)&r->status, 1, true };
	return 3;
}

static int bad_beyond(struct virtio_blk *blk, struct bad_req *r, uint8_t *data,
		      struct virtq_buf *bufs)
{
	return bad_read_at(r, data, bufs, blk->capacity);
}

static int bad_huge(struct virtio_blk *blk, struct bad_req *r, uint8_t *data,
		    struct virtq_buf *bufs)
{
	return bad_read_at(r, data, bufs, 1ULL << 63);
}

/* Write sector 0 back with what it holds: harmless if the disk is writable after all. */
static int bad_ro_write(struct virtio_blk *blk, struct bad_req *r, uint8_t *data,
			struct virtq_buf *bufs)
{
	if (virtio_blk_do(blk, VIRTIO_BLK_T_IN, 0, data, VIRTIO_BLK_SECTOR) != VIRTIO_BLK_S_OK)
		return -1;
	r->hdr = (struct virtio_blk_req_hdr){ VIRTIO_BLK_T_OUT, 0, 0 };
	bufs[0] = (struct virtq_buf){ (uintptr_t)&r->hdr, sizeof(r->hdr), false };
	bufs[1] = (struct virtq_buf){ (uintptr_t)data, VIRTIO_BLK_SECTOR, false };
	bufs[2] = (struct virtq_buf){ (uintptr_t)&r->status, 1, true };
	return 3;
}

struct bad_case {
	const char *name;
	bad_build_fn build;
};

static const struct bad_case bad_cases[] = {
	{ "short-header", bad_short_header },
	{ "no-status", bad_no_status },
	{ "wrong-dir", bad_wrong_dir },
	{ "beyond", bad_beyond },
	{ "huge", bad_huge },
	{ "ro-write", bad_ro_write },
};

/* After a reset if the device wants one (or lost the request): does a read work? */
static bool bad_recover(struct virtio_blk *blk, bool completed)
{
	uint8_t dev = virtio_pci_get_status(&blk->vp);

	if (!completed || (dev & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED))) {
		virtio_blk_close(blk);
		if (virtio_blk_open(blk, blk->mem, blk->index, true))
			return false;
	}
	return virtio_blk_do(blk, VIRTIO_BLK_T_IN, 0, blk_buf, VIRTIO_BLK_SECTOR) ==
	       VIRTIO_BLK_S_OK;
}

int cmd_blkbad(const char *arg)
{
	static struct bad_req req __attribute__((aligned(64)));
	char f[BLK_ARGS_MAX][BLK_ARG_LEN];
	const struct bad_case *bc = NULL;
	struct virtq_buf bufs[4];
	struct virtio_blk *blk;
	bool completed = false, recovered;
	int n, slot;
	uint32_t i;

	if (blk_args_split(arg, f, BLK_ARGS_MAX) == 2)
		for (i = 0; i < ARRAY_SIZE(bad_cases); i++)
			if (!strcmp(f[1], bad_cases[i].name))
				bc = &bad_cases[i];
	if (!bc) {
		con_printf("blkbad.error=unknown case '%s' (short-header, no-status, wrong-dir, "
			   "beyond, huge, ro-write)\n", arg);
		return -1;
	}
	blk = blk_cmd_open("blkbad", f[0]);
	if (!blk)
		return -1;
	memset(&req, 0, sizeof(req));
	req.status = VIRTIO_BLK_S_NONE;
	n = bc->build(blk, &req, blk_buf, bufs);
	if (n < 0 || (slot = virtio_blk_submit_raw(blk, bufs, (uint16_t)n, 0)) < 0) {
		con_printf("blkbad.%s.error=could not post the request\n", bc->name);
		virtio_blk_close(blk);
		return -1;
	}
	virtio_blk_kick(blk);
	if (!virtq_arm_irq(&blk->vq))
		virtio_blk_wait(blk, BAD_WAIT_MS);
	completed = virtio_blk_reap(blk) == slot;
	if (completed && req.status != VIRTIO_BLK_S_NONE)
		con_printf("blkbad.%s.status=%u\n", bc->name, req.status);
	else
		con_printf("blkbad.%s.status=none\n", bc->name);
	con_printf("blkbad.%s.dev=0x%x\n", bc->name, virtio_pci_get_status(&blk->vp));
	recovered = bad_recover(blk, completed);
	virtio_blk_close(blk);
	con_printf("blkbad.%s.recovered=%u\n", bc->name, recovered);
	return recovered ? 0 : -1;
}
