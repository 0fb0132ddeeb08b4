// SPDX-License-Identifier: MIT
/*
 * Disk commands on virtio-blk: blk, blkwrite, blkread, blkverify, blkflush,
 * blkdiscard, blkzero, blkid. Disks are numbered in PCI order. Transfers go
 * in batches of up to 64 KiB requests with one notify per batch; patterns
 * and hashes are computed in user mode.
 */
#include "blk_cmd.h"
#include "cmd.h"
#include "con.h"
#include "lib.h"
#include "virtio_blk.h"

#define BLK_CHUNK	(64u << 10)	/* bytes per request at most */

/* Not zeroed, not in the image file: every use fills it first. */
uint8_t blk_buf[BLK_BUF_BYTES] __attribute__((section(".noinit"), aligned(4096)));
static struct virtq_mem blk_mem;
static struct virtio_blk blk_dev;

int blk_args_split(const char *arg, char fields[][BLK_ARG_LEN], int max)
{
	int n = 0;
	size_t len;

	for (;;) {
		const char *end = arg;

		while (*end && *end != ':')
			end++;
		len = end - arg;
		if (n >= max || len >= BLK_ARG_LEN)
			return -1;
		memcpy(fields[n], arg, len);
		fields[n++][len] = '\0';
		if (!*end)
			return n;
		arg = end + 1;
	}
}

struct virtio_blk *blk_cmd_open(const char *cmd, const char *index)
{
	uint64_t i;

	if (parse_size(index, &i) || i > 255) {
		con_printf("%s.error=bad disk index '%s'\n", cmd, index);
		return NULL;
	}
	if (virtio_blk_open(&blk_dev, &blk_mem, (uint32_t)i, true)) {
		con_printf("%s.error=%s\n", cmd, blk_dev.vp.error);
		virtio_blk_close(&blk_dev);
		return NULL;
	}
	return &blk_dev;
}

uint64_t blk_pattern_word(uint64_t seed, uint64_t byte_off)
{
	uint64_t z = (seed ^ byte_off) + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void blk_pattern_fill(uint8_t *buf, uint64_t byte_off, uint32_t len, uint64_t seed)
{
	uint64_t *w = (uint64_t *)buf;
	uint32_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = blk_pattern_word(seed, byte_off + 8 * i);
}

/* Offset of the first mismatching word within buf, or len if none. */
static uint32_t blk_pattern_check(const uint8_t *buf, uint64_t byte_off, uint32_t len, uint64_t seed)
{
	const uint64_t *w = (const uint64_t *)buf;
	uint32_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != blk_pattern_word(seed, byte_off + 8 * i))
			return 8 * i;
	return len;
}

/* What a transfer does with each chunk, in disk order. */
struct blk_xfer {
	uint32_t type;			/* IN or OUT */
	uint64_t seed;
	uint64_t hash;			/* blkread */
	bool verify;			/* blkverify */
	bool bad_found;
	uint64_t bad_sector;
	int status;			/* first non-zero status, or -1 on timeout */
};

static void blk_xfer_after(struct blk_xfer *x, const uint8_t *buf, uint64_t byte_off, uint32_t len)
{
	uint32_t bad;

	if (!x->verify) {
		x->hash = fnv1a64_update(x->hash, buf, len);
		return;
	}
	if (x->bad_found)
		return;
	bad = blk_pattern_check(buf, byte_off, len, x->seed);
	if (bad < len) {
		x->bad_found = true;
		x->bad_sector = (byte_off + bad) / VIRTIO_BLK_SECTOR;
	}
}

static uint32_t blk_chunk_bytes(const struct virtio_blk *blk)
{
	uint32_t chunk = BLK_CHUNK;

	if (blk->size_max && blk->size_max < chunk)
		chunk = blk->size_max & ~(VIRTIO_BLK_SECTOR - 1);
	return chunk ? chunk : VIRTIO_BLK_SECTOR;
}

/*
 * Transfer count sectors from sector in batches: fill (OUT), submit a batch
 * of requests, one notify, wait for all of them, process them in order (IN).
 * 0, or -1 if the device stopped answering.
 */
static int blk_xfer_run(struct virtio_blk *blk, struct blk_xfer *x, uint64_t sector, uint64_t count)
{
	uint32_t chunk = blk_chunk_bytes(blk), per_batch = BLK_BUF_BYTES / chunk;
	uint64_t left = count * VIRTIO_BLK_SECTOR, off = sector * VIRTIO_BLK_SECTOR;

	if (per_batch > blk->max_inflight)
		per_batch = blk->max_inflight;
	while (left) {
		uint32_t n = 0, done = 0, k;
		uint64_t batch_off = off;

		for (; n < per_batch && left; n++) {
			uint32_t len = left < chunk ? (uint32_t)left : chunk;
			uint8_t *buf = blk_buf + (uint64_t)n * chunk;

			if (x->type == VIRTIO_BLK_T_OUT)
				blk_pattern_fill(buf, off, len, x->seed);
			if (virtio_blk_submit(blk, x->type, off / VIRTIO_BLK_SECTOR, buf, len, len) < 0)
				return -1;
			off += len;
			left -= len;
		}
		virtio_blk_kick(blk);
		while (done < n) {
			int slot = virtio_blk_reap(blk);

			if (slot < 0) {
				if (virtio_blk_wait(blk, VIRTIO_BLK_TIMEOUT_MS)) {
					x->status = -1;
					return -1;
				}
				continue;
			}
			if (blk->slots[slot].status && !x->status)
				x->status = blk->slots[slot].status;
			virtio_blk_release(blk, slot);
			done++;
		}
		if (x->type != VIRTIO_BLK_T_IN)
			continue;
		/* Chunks sit in the buffer in disk order whatever order they completed in. */
		for (k = 0; k < n; k++) {
			uint64_t o = batch_off + (uint64_t)k * chunk;
			uint64_t len = off - o < chunk ? off - o : chunk;

			blk_xfer_after(x, blk_buf + (uint64_t)k * chunk, o, (uint32_t)len);
		}
	}
	return 0;
}

/* "<i>:<sector>:<count>[:<seed>]": fields parsed, or -1 after printing the error. */
static int blk_parse_range(const char *cmd, const char *arg, char f[][BLK_ARG_LEN], int want,
			   uint64_t *sector, uint64_t *count, uint64_t *seed)
{
	if (blk_args_split(arg, f, BLK_ARGS_MAX) != want || parse_size(f[1], sector) ||
	    parse_size(f[2], count) || !*count || *count > (1ULL << 32) ||
	    (seed && parse_size(f[3], seed))) {
		con_printf("%s.error=bad arguments '%s'\n", cmd, arg);
		return -1;
	}
	return 0;
}

static void blk_print_status(const char *cmd, int status)
{
	if (status < 0)
		con_printf("%s.status=timeout\n", cmd);
	else
		con_printf("%s.status=%d\n", cmd, status);
}

int cmd_blkwrite(const char *arg)
{
	char f[BLK_ARGS_MAX][BLK_ARG_LEN];
	struct blk_xfer x = { .type = VIRTIO_BLK_T_OUT };
	uint64_t sector, count;
	struct virtio_blk *blk;
	int flush = 0;

	if (blk_parse_range("blkwrite", arg, f, 4, &sector, &count, &x.seed))
		return -1;
	blk = blk_cmd_open("blkwrite", f[0]);
	if (!blk)
		return -1;
	blk_xfer_run(blk, &x, sector, count);
	if (x.status >= 0 && (blk->vp.features & VIRTIO_BLK_F_FLUSH))
		flush = virtio_blk_do(blk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
	if (!x.status && flush)
		x.status = flush;
	virtio_blk_close(blk);
	blk_print_status("blkwrite", x.status);
	con_printf("blkwrite.ok=%u\n", x.status == 0);
	return x.status ? -1 : 0;
}

static int blk_read_common(const char *cmd, const char *arg, bool verify)
{
	char f[BLK_ARGS_MAX][BLK_ARG_LEN];
	struct blk_xfer x = { .type = VIRTIO_BLK_T_IN, .hash = FNV1A64_INIT, .verify = verify };
	uint64_t sector, count;
	struct virtio_blk *blk;

	if (blk_parse_range(cmd, arg, f, verify ? 4 : 3, &sector, &count, verify ? &x.seed : NULL))
		return -1;
	blk = blk_cmd_open(cmd, f[0]);
	if (!blk)
		return -1;
	blk_xfer_run(blk, &x, sector, count);
	virtio_blk_close(blk);
	if (verify) {
		bool ok = !x.status && !x.bad_found;

		blk_print_status(cmd, x.status);
		if (x.bad_found)
			con_printf("blkverify.bad=%lu\n", x.bad_sector);
		con_printf("blkverify.ok=%u\n", ok);
		return ok ? 0 : -1;
	}
	con_printf("blkread.fnv1a=0x%lx\n", x.hash);
	blk_print_status(cmd, x.status);
	return x.status ? -1 : 0;
}

int cmd_blkread(const char *arg)
{
	return blk_read_common("blkread", arg, false);
}

int cmd_blkverify(const char *arg)
{
	return blk_read_common("blkverify", arg, true);
}

int cmd_blkflush(const char *arg)
{
	struct virtio_blk *blk = blk_cmd_open("blkflush", arg);
	int status;

	if (!blk)
		return -1;
	status = virtio_blk_do(blk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
	virtio_blk_close(blk);
	blk_print_status("blkflush", status);
	return status ? -1 : 0;
}

static int blk_range_cmd(const char *cmd, const char *arg, uint32_t type)
{
	char f[BLK_ARGS_MAX][BLK_ARG_LEN];
	uint64_t sector, count;
	struct virtio_blk *blk;
	int status;

	if (blk_parse_range(cmd, arg, f, 3, &sector, &count, NULL))
		return -1;
	if (count > 0xffffffffu) {
		con_printf("%s.error=count too large\n", cmd);
		return -1;
	}
	blk = blk_cmd_open(cmd, f[0]);
	if (!blk)
		return -1;
	status = virtio_blk_do_range(blk, type, sector, (uint32_t)count);
	virtio_blk_close(blk);
	blk_print_status(cmd, status);
	return status ? -1 : 0;
}

int cmd_blkdiscard(const char *arg)
{
	return blk_range_cmd("blkdiscard", arg, VIRTIO_BLK_T_DISCARD);
}

int cmd_blkzero(const char *arg)
{
	return blk_range_cmd("blkzero", arg, VIRTIO_BLK_T_WRITE_ZEROES);
}

/* GET_ID into a printable, NUL-terminated string. Status or -1. */
static int blk_get_id(struct virtio_blk *blk, char *out)
{
	static uint8_t id[VIRTIO_BLK_ID_BYTES] __attribute__((aligned(64)));
	int status, i;

	memset(id, 0, sizeof(id));
	status = virtio_blk_do(blk, VIRTIO_BLK_T_GET_ID, 0, id, sizeof(id));
	for (i = 0; i < VIRTIO_BLK_ID_BYTES && id[i] && !status; i++)
		out[i] = id[i] >= 0x20 && id[i] < 0x7f ? (char)id[i] : '?';
	out[i] = '\0';
	return status;
}

int cmd_blkid(const char *arg)
{
	struct virtio_blk *blk = blk_cmd_open("blkid", arg);
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	int status;

	if (!blk)
		return -1;
	status = blk_get_id(blk, serial);
	virtio_blk_close(blk);
	con_printf("blkid=%s\n", serial);
	blk_print_status("blkid", status);
	return status ? -1 : 0;
}

int cmd_blk(const char *arg)
{
	uint32_t n = virtio_blk_count(), i;
	char serial[VIRTIO_BLK_ID_BYTES + 1];

	con_printf("blk.count=%u\n", n);
	for (i = 0; i < n; i++) {
		if (virtio_blk_open(&blk_dev, &blk_mem, i, true)) {
			con_printf("blk.%u.error=%s\n", i, blk_dev.vp.error);
			virtio_blk_close(&blk_dev);
			continue;
		}
		blk_get_id(&blk_dev, serial);
		virtio_blk_close(&blk_dev);
		con_printf("blk.%u.capacity=%lu\n", i, blk_dev.capacity);
		con_printf("blk.%u.ro=%u\n", i, blk_dev.ro);
		con_printf("blk.%u.serial=%s\n", i, serial);
		con_printf("blk.%u.features=0x%lx\n", i, blk_dev.vp.features);
		con_printf("blk.%u.blk_size=%u\n", i, blk_dev.blk_size);
		con_printf("blk.%u.queue_size=%u\n", i, blk_dev.vq.size);
	}
	return 0;
}
