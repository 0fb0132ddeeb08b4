/* SPDX-License-Identifier: MIT */
/*
 * The block backend: opening (errors, size, OFD locks) and both I/O engines
 * (io_uring and the thread pool) through the same tests, against temp files.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "block/block_aio.h"
#include "block/block_file.h"
#include "test.h"

static char tmpdir[] = "/tmp/vessel-test-block-XXXXXX";
static int path_seq;

/* A new file of size bytes filled with fill; returns its path (static storage per call). */
static const char *make_file(uint64_t size, uint8_t fill)
{
	static char paths[32][256];
	char *p = paths[path_seq % 32];
	uint8_t buf[4096];
	int fd;

	snprintf(p, 256, "%s/disk%d", tmpdir, path_seq++);
	fd = open(p, O_CREAT | O_TRUNC | O_RDWR, 0600);
	CHECK(fd >= 0);
	memset(buf, fill, sizeof(buf));
	for (uint64_t off = 0; off < size; off += sizeof(buf))
		CHECK(pwrite(fd, buf, size - off < sizeof(buf) ? size - off : sizeof(buf), (off_t)off) > 0);
	close(fd);
	return p;
}

static void test_file_errors(void)
{
	struct block_file f;
	char err[256];
	const char *p;

	CHECK_EQ(block_file_open(&f, "/nonexistent/disk.img", false, false, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "disk /nonexistent/disk.img: No such file") != NULL);

	p = make_file(1000, 0);
	CHECK_EQ(block_file_open(&f, p, false, false, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "size 1000 is not a multiple of 512") != NULL);

	CHECK_EQ(block_file_open(&f, tmpdir, false, false, err, sizeof(err)), -EISDIR);
	CHECK_EQ(block_file_open(&f, tmpdir, true, false, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not a regular file") != NULL);

	p = make_file(4096, 0);
	CHECK_EQ(block_file_open(&f, p, true, false, err, sizeof(err)), 0);
	CHECK_EQ(f.size, 4096);
	CHECK(f.readonly);
	block_file_close(&f);
	CHECK_EQ(f.fd, -1);
}

static void test_file_unreadable(void)
{
	const char *p = make_file(4096, 0);
	struct block_file f;
	char err[256];

	/* root ignores file modes: only meaningful as an unprivileged user. */
	chmod(p, 0);
	if (geteuid() != 0) {
		CHECK_EQ(block_file_open(&f, p, true, false, err, sizeof(err)), -EACCES);
		CHECK(strstr(err, "Permission denied") != NULL);
	}
	chmod(p, 0600);
}

static void test_file_lock(void)
{
	const char *p = make_file(8192, 0);
	struct block_file a, b, c;
	char err[256];

	/* Read-write excludes everyone else. */
	CHECK_EQ(block_file_open(&a, p, false, false, err, sizeof(err)), 0);
	CHECK_EQ(block_file_open(&b, p, false, false, err, sizeof(err)), -EBUSY);
	CHECK(strstr(err, "in use by another process (locked)") != NULL);
	CHECK_EQ(block_file_open(&b, p, true, false, err, sizeof(err)), -EBUSY);
	block_file_close(&a);

	/* Read-only shares with read-only, not with read-write. */
	CHECK_EQ(block_file_open(&a, p, true, false, err, sizeof(err)), 0);
	CHECK_EQ(block_file_open(&b, p, true, false, err, sizeof(err)), 0);
	CHECK_EQ(block_file_open(&c, p, false, false, err, sizeof(err)), -EBUSY);
	block_file_close(&a);
	block_file_close(&b);

	/* Closing drops the lock. */
	CHECK_EQ(block_file_open(&c, p, false, false, err, sizeof(err)), 0);
	block_file_close(&c);
}

/* Migration on one host: the source unlocks, the destination opens; relock fails while it holds the image. */
static void test_file_handover(void)
{
	const char *p = make_file(8192, 0);
	struct block_file src, dst;
	char err[256];

	CHECK_EQ(block_file_open(&src, p, false, false, err, sizeof(err)), 0);
	CHECK_EQ(block_file_relock(&src), 0);                    /* not unlocked: nothing to do */
	CHECK_EQ(block_file_unlock(&src), 0);
	CHECK(src.unlocked);
	CHECK(src.fd >= 0);                                      /* still open for I/O */
	CHECK_EQ(block_file_unlock(&src), 0);                    /* twice is fine */
	CHECK_EQ(block_file_open(&dst, p, false, false, err, sizeof(err)), 0);
	CHECK_EQ(block_file_relock(&src), -EBUSY);
	CHECK(src.unlocked);
	block_file_close(&dst);
	CHECK_EQ(block_file_relock(&src), 0);
	CHECK(!src.unlocked);
	CHECK_EQ(block_file_open(&dst, p, true, false, err, sizeof(err)), -EBUSY);
	block_file_close(&src);
}

static void test_file_direct(void)
{
	const char *p = make_file(8192, 0);
	struct block_file f;
	char err[256];
	int ret = block_file_open(&f, p, false, true, err, sizeof(err));

	/* The error must be the clear one where the file system refuses O_DIRECT. */
	if (ret) {
		CHECK_EQ(ret, -EINVAL);
		CHECK(strstr(err, "O_DIRECT") != NULL);
		return;
	}
	CHECK(f.direct);
	block_file_close(&f);
}

struct reaped {
	struct block_req *reqs[64];
	unsigned int n;
};

static void collect(void *ctx, struct block_req *req)
{
	struct reaped *r = ctx;

	if (r->n < 64)
		r->reqs[r->n++] = req;
}

/* Waits until count requests completed (5 s at most). */
static void wait_reaped(struct block_aio *aio, struct reaped *r, unsigned int count)
{
	struct pollfd pfd = { .fd = aio->event_fd, .events = POLLIN };

	for (int i = 0; i < 500 && r->n < count; i++) {
		poll(&pfd, 1, 10);
		block_aio_reap(aio, collect, r);
	}
	CHECK_EQ(r->n, count);
}

static struct block_aio *open_aio(enum block_aio_kind kind, const char *p, struct block_file *f, uint32_t depth)
{
	char err[256];
	struct block_aio *aio;

	CHECK_EQ(block_file_open(f, p, false, false, err, sizeof(err)), 0);
	aio = block_aio_create(f->fd, depth, kind, err, sizeof(err));
	if (!aio)
		fprintf(stderr, "block_aio_create(%d): %s\n", kind, err);
	CHECK(aio != NULL);
	return aio;
}

static void run_rw(enum block_aio_kind kind)
{
	const char *p = make_file(1 << 20, 0xee);
	static uint8_t a[8192], b[4096], c[12288];
	struct iovec wiov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct iovec riov[1] = { { c, sizeof(c) } };
	struct block_req w = { .op = BLOCK_OP_WRITE, .offset = 4096, .iov = wiov, .iovcnt = 2 };
	struct block_req r = { .op = BLOCK_OP_READ, .offset = 4096, .iov = riov, .iovcnt = 1 };
	struct block_req fl = { .op = BLOCK_OP_FLUSH };
	struct reaped done = { 0 };
	struct block_file f;
	struct block_aio *aio = open_aio(kind, p, &f, 16);

	if (!aio)
		return;
	CHECK_EQ(strcmp(block_aio_name(aio), kind == BLOCK_AIO_THREADS ? "threads" : "io_uring"), 0);
	memset(a, 0x11, sizeof(a));
	memset(b, 0x22, sizeof(b));
	CHECK_EQ(block_aio_submit(aio, &w), 0);
	CHECK_EQ(block_aio_submit(aio, &fl), 0);
	block_aio_kick(aio);
	wait_reaped(aio, &done, 2);
	CHECK_EQ(w.result, 0);
	CHECK_EQ(fl.result, 0);
	CHECK_EQ(aio->in_flight, 0);

	CHECK_EQ(block_aio_submit(aio, &r), 0);
	block_aio_kick(aio);
	wait_reaped(aio, &done, 3);
	CHECK_EQ(r.result, 0);
	CHECK_EQ(c[0], 0x11);
	CHECK_EQ(c[8191], 0x11);
	CHECK_EQ(c[8192], 0x22);
	CHECK_EQ(c[12287], 0x22);

	/* A read running past the end of the file reads zeroes. */
	memset(c, 0x55, sizeof(c));
	riov[0] = (struct iovec){ c, sizeof(c) };
	r = (struct block_req){ .op = BLOCK_OP_READ, .offset = (1 << 20) - 4096, .iov = riov, .iovcnt = 1 };
	CHECK_EQ(block_aio_submit(aio, &r), 0);
	block_aio_kick(aio);
	wait_reaped(aio, &done, 4);
	CHECK_EQ(r.result, 0);
	CHECK_EQ(c[0], 0xee);
	CHECK_EQ(c[4095], 0xee);
	CHECK_EQ(c[4096], 0);
	CHECK_EQ(c[12287], 0);
	block_aio_destroy(aio);
	block_file_close(&f);
}

static void run_discard_zeroes(enum block_aio_kind kind, bool force_fallback)
{
	const char *p = make_file(4 << 20, 0xab);
	struct block_req z = { .op = BLOCK_OP_WRITE_ZEROES, .offset = 8192, .len = (2 << 20) + 4096 };
	struct block_req d = { .op = BLOCK_OP_DISCARD, .offset = 3 << 20, .len = 65536 };
	struct reaped done = { 0 };
	static uint8_t buf[4 << 20];
	struct block_file f;
	struct block_aio *aio = open_aio(kind, p, &f, 4);

	if (!aio)
		return;
	aio->no_zero_range = force_fallback;
	CHECK_EQ(block_aio_submit(aio, &z), 0);
	CHECK_EQ(block_aio_submit(aio, &d), 0);
	block_aio_kick(aio);
	wait_reaped(aio, &done, 2);
	CHECK_EQ(z.result, 0);
	CHECK_EQ(d.result, 0);
	CHECK_EQ(pread(f.fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	CHECK_EQ(buf[8191], 0xab);
	CHECK_EQ(buf[8192], 0);
	CHECK_EQ(buf[8192 + (2 << 20) + 4095], 0);
	CHECK_EQ(buf[8192 + (2 << 20) + 4096], 0xab);
	/* Discarded space reads zeroes on ext4/tmpfs (holes); the data around it is intact. */
	CHECK_EQ(buf[(3 << 20) - 1], 0xab);
	CHECK_EQ(buf[(3 << 20) + 65536], 0xab);
	block_aio_destroy(aio);
	block_file_close(&f);
}

static void run_cancel(enum block_aio_kind kind)
{
	const char *p = make_file(8 << 20, 0);
	static uint8_t bufs[32][65536];
	struct iovec iov[32];
	struct block_req reqs[33];
	struct block_file f;
	struct block_aio *aio = open_aio(kind, p, &f, 32);
	struct reaped done = { 0 };

	if (!aio)
		return;
	for (int i = 0; i < 32; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		reqs[i] = (struct block_req){ .op = i % 2 ? BLOCK_OP_WRITE : BLOCK_OP_READ,
					      .offset = (uint64_t)i * 65536, .iov = &iov[i], .iovcnt = 1 };
		CHECK_EQ(block_aio_submit(aio, &reqs[i]), 0);
	}
	/* Full: the device never has more in flight than the depth. */
	reqs[32] = (struct block_req){ .op = BLOCK_OP_FLUSH };
	CHECK_EQ(block_aio_submit(aio, &reqs[32]), -EBUSY);
	block_aio_kick(aio);
	/* Waits for all of them and forgets them: nothing is reaped afterwards. */
	block_aio_cancel_all(aio);
	CHECK_EQ(aio->in_flight, 0);
	CHECK_EQ(block_aio_reap(aio, collect, &done), 0);
	CHECK_EQ(done.n, 0);
	/* And it still works. */
	CHECK_EQ(block_aio_submit(aio, &reqs[32]), 0);
	block_aio_kick(aio);
	wait_reaped(aio, &done, 1);
	CHECK(done.reqs[0] == &reqs[32]);
	block_aio_destroy(aio);
	block_file_close(&f);
}

static void test_aio_threads(void)
{
	run_rw(BLOCK_AIO_THREADS);
	run_discard_zeroes(BLOCK_AIO_THREADS, false);
	run_discard_zeroes(BLOCK_AIO_THREADS, true);
	run_cancel(BLOCK_AIO_THREADS);
}

static void test_aio_uring(void)
{
	char err[256];
	struct block_aio *aio = block_aio_create(0, 4, BLOCK_AIO_IO_URING, err, sizeof(err));

	if (!aio) {
		printf("skip: io_uring unavailable here: %s\n", err);
		return;
	}
	block_aio_destroy(aio);
	run_rw(BLOCK_AIO_IO_URING);
	run_discard_zeroes(BLOCK_AIO_IO_URING, false);
	run_discard_zeroes(BLOCK_AIO_IO_URING, true);
	run_cancel(BLOCK_AIO_IO_URING);
}

static void test_aio_auto(void)
{
	char err[256];
	struct block_aio *aio = block_aio_create(0, 4, BLOCK_AIO_AUTO, err, sizeof(err));

	/* Whatever the kernel allows, AUTO gives an engine. */
	CHECK(aio != NULL);
	block_aio_destroy(aio);
}

static void test_cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	CHECK_EQ(system(cmd), 0);
}

static void test_setup(void)
{
	CHECK(mkdtemp(tmpdir) != NULL);
}

TEST_MAIN(test_setup, test_file_errors, test_file_unreadable, test_file_lock, test_file_handover, test_file_direct,
	  test_aio_threads, test_aio_uring, test_aio_auto, test_cleanup)
