/* SPDX-License-Identifier: MIT */
#include "migration/migration.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "arch/x86/kvm_state.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/vm_dirty_log.h"
#include "migration/mig_conn.h"
#include "migration/mig_pages.h"
#include "migration/mig_stream.h"
#include "migration/mig_url.h"
#include "pci/virtio_pci.h"
#include "snapshot/snapshot.h"

#define MIG_CONNECT_TIMEOUT_MS  5000
#define MIG_IO_TIMEOUT_MS       10000   /* a stalled peer fails the migration */
#define MIG_ACK_TIMEOUT_MS      30000   /* the destination builds the VM and loads it */
#define MIG_LINGER_MS           3000    /* after success: time for `vessel migrate` to read the report */
#define MIG_REPORTED_LINGER_MS  200     /* ... and after it was read */

struct migration {
	struct vm *vm;
	struct mig_url url;
	struct migration_params params;
	struct mig_conn conn;

	pthread_t thread;
	bool thread_started;
	int final_fd;               /* eventfd: the thread asks the loop for the final phase */
	int linger_fd;              /* timerfd: stops the VM after a success */
	bool was_paused;            /* the user had paused the VM: leave it so on failure */

	uint64_t *dirty[GUEST_MEM_MAX_REGIONS];   /* KVM's log, not yet sent */
	uint64_t *scratch[GUEST_MEM_MAX_REGIONS]; /* a fetch, ORed into dirty */
	uint64_t *written[GUEST_MEM_MAX_REGIONS]; /* device writes (guest_mem regions point here) */
	bool tracking;

	pthread_mutex_t lock;       /* guards status, final_done, cancelled */
	pthread_cond_t cond;
	struct migration_status status;
	uint64_t start_ns;
	bool final_done;
	int final_ret;
	bool cancelled;
};

const char *migration_state_name(enum migration_state state)
{
	switch (state) {
	case MIGRATION_CONNECTING: return "connecting";
	case MIGRATION_PRECOPY: return "precopy";
	case MIGRATION_STOPPING: return "stopping";
	case MIGRATION_COMPLETED: return "completed";
	case MIGRATION_FAILED: return "failed";
	default: return "none";
	}
}

void migration_format_report(const struct migration_status *st, char *buf, size_t len)
{
	snprintf(buf, len, "migration %s: destination=%s total_ms=%" PRIu64 " rounds=%u bytes=%" PRIu64
		 " pages=%" PRIu64 " zero_pages=%" PRIu64 " downtime_ms=%.1f dest_load_ms=%.1f"
		 " bandwidth_mib_s=%.1f%s%s",
		 migration_state_name(st->state), st->destination, st->total_ms, st->rounds,
		 st->bytes_sent, st->pages_sent, st->zero_pages, st->downtime_us / 1000.0,
		 st->dest_load_us / 1000.0, st->bandwidth_bps / 1048576.0,
		 st->error[0] ? " error=" : "", st->error);
}

static void mig_set_state(struct migration *mig, enum migration_state state)
{
	pthread_mutex_lock(&mig->lock);
	mig->status.state = state;
	pthread_mutex_unlock(&mig->lock);
}

static void mig_update_counts(struct migration *mig, const struct mig_page_counts *counts)
{
	pthread_mutex_lock(&mig->lock);
	mig->status.bytes_sent = mig->conn.bytes_out;
	mig->status.pages_sent = counts->pages;
	mig->status.zero_pages = counts->zero_pages;
	mig->status.total_ms = (clock_monotonic_ns() - mig->start_ns) / 1000000;
	pthread_mutex_unlock(&mig->lock);
}

/* ---- dirty tracking ---- */

static void mig_track_free(struct migration *mig)
{
	for (unsigned int i = 0; i < GUEST_MEM_MAX_REGIONS; i++) {
		free(mig->dirty[i]);
		free(mig->scratch[i]);
		free(mig->written[i]);
		mig->dirty[i] = mig->scratch[i] = mig->written[i] = NULL;
	}
}

static int mig_track_alloc(struct migration *mig)
{
	const struct guest_mem *mem = &mig->vm->mem;

	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		uint64_t words = vm_dirty_log_words(mem->regions[i].size);

		mig->dirty[i] = calloc(words, sizeof(uint64_t));
		mig->scratch[i] = calloc(words, sizeof(uint64_t));
		mig->written[i] = calloc(words, sizeof(uint64_t));
		if (!mig->dirty[i] || !mig->scratch[i] || !mig->written[i])
			return -ENOMEM;
	}
	return 0;
}

/* Any thread. The bitmaps stay allocated until migration_destroy() or the next start. */
static int mig_track_start(struct migration *mig)
{
	struct guest_mem *mem = &mig->vm->mem;
	int ret = vm_dirty_log_set(mig->vm, true);

	if (ret)
		return ret;
	for (unsigned int i = 0; i < mem->nr_regions; i++)
		mem->regions[i].written = mig->written[i];
	__atomic_store_n(&mem->track_writes, true, __ATOMIC_RELEASE);
	mig->tracking = true;
	return 0;
}

static void mig_track_stop(struct migration *mig)
{
	if (!mig->tracking)
		return;
	__atomic_store_n(&mig->vm->mem.track_writes, false, __ATOMIC_RELEASE);
	if (vm_dirty_log_set(mig->vm, false))
		log_warn("migration: cannot turn KVM dirty logging off");
	mig->tracking = false;
}

/* Only on the loop thread (no device marks pages concurrently) or after the VM stopped. */
static void mig_track_detach(struct migration *mig)
{
	struct guest_mem *mem = &mig->vm->mem;

	for (unsigned int i = 0; i < mem->nr_regions; i++)
		if (mem->regions[i].written == mig->written[i])
			mem->regions[i].written = NULL;
}

/* Fetches KVM's log into dirty; returns the pages now dirty (not sent), or -errno. */
static int64_t mig_fetch_dirty(struct migration *mig)
{
	const struct guest_mem *mem = &mig->vm->mem;
	uint64_t total = 0;

	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		uint64_t words = vm_dirty_log_words(mem->regions[i].size);
		int ret = vm_dirty_log_fetch(mig->vm, i, mig->scratch[i]);

		if (ret)
			return ret;
		mig_bitmap_or(mig->dirty[i], mig->scratch[i], words);
		total += mig_bitmap_count(mig->dirty[i], words);
	}
	return (int64_t)total;
}

/* Sends the dirty pages (or all with all) and clears what was sent. */
static int mig_send_dirty(struct migration *mig, bool all, struct mig_page_counts *counts)
{
	const struct guest_mem *mem = &mig->vm->mem;
	int ret;

	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		ret = mig_pages_send(&mig->conn, &mem->regions[i], all ? NULL : mig->dirty[i], counts);
		if (ret)
			return ret;
		memset(mig->dirty[i], 0, vm_dirty_log_words(mem->regions[i].size) * sizeof(uint64_t));
		mig_update_counts(mig, counts);
	}
	return 0;
}

static int mig_send_mark(struct migration *mig, uint32_t type, uint64_t gpa, uint64_t len)
{
	struct mig_chunk ch = { .type = type, .gpa = gpa, .len = len };

	return mig_conn_send(&mig->conn, &ch, sizeof(ch));
}

/* ---- devices: what the destination must take over on this host (disk locks) ---- */

/* Quiesced, paused: every device lets go; on a failure the ones before it take theirs back. */
static int mig_devices_handover(struct vm *vm, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < vm->nr_virtio; i++) {
		int ret = virtio_pci_handover(vm->virtio[i]);

		if (ret) {
			snprintf(err, errlen, "virtio device %u: cannot hand its disk over: %s", i, strerror(-ret));
			while (i--)
				virtio_pci_reclaim(vm->virtio[i]);
			return ret;
		}
	}
	return 0;
}

/* The migration failed before the ack: the guest stays, its devices take back what they gave up. */
static void mig_devices_reclaim(struct vm *vm)
{
	uint32_t failed = 0;

	for (uint32_t i = 0; i < vm->nr_virtio; i++)
		failed += virtio_pci_reclaim(vm->virtio[i]) != 0;
	if (failed)
		log_error("migration: %u device(s) could not take their disk lock back (see above); "
			  "the guest keeps running here", failed);
}

/* ---- phases ---- */

static int mig_handshake(struct migration *mig, char *err, size_t errlen)
{
	const struct vm *vm = mig->vm;
	struct mig_hello hello = {
		.version = MIG_VERSION,
		.header_size = sizeof(hello),
		.mem_size = vm->mem.ram_size,
		.page_size = MIG_PAGE_SIZE,
		.nr_regions = vm->mem.nr_regions,
		.nr_cpus = vm->cfg.nr_cpus,
		.cpu_model = (uint32_t)vm->cfg.cpu_model,
		.kvm_api_version = (uint32_t)ioctl(vm->kvm.fd, KVM_GET_API_VERSION, 0),
		.cpuid_hash = arch_cpuid_hash(vm),
	};
	struct mig_reply reply;
	int fd, ret;

	memcpy(hello.magic, MIG_MAGIC_HELLO, sizeof(hello.magic));
	for (unsigned int i = 0; i < vm->mem.nr_regions && i < MIG_MAX_REGIONS; i++)
		hello.regions[i] = (struct mig_region){ vm->mem.regions[i].gpa, vm->mem.regions[i].size };
	fd = mig_url_connect(&mig->url, MIG_CONNECT_TIMEOUT_MS, err, errlen);
	if (fd < 0)
		return fd;
	pthread_mutex_lock(&mig->lock);
	mig_conn_init_fd(&mig->conn, fd);
	pthread_mutex_unlock(&mig->lock);
	mig_conn_set_timeout(&mig->conn, MIG_IO_TIMEOUT_MS);
	ret = mig_conn_send(&mig->conn, &hello, sizeof(hello));
	if (!ret)
		ret = mig_conn_recv(&mig->conn, &reply, sizeof(reply));
	if (ret) {
		snprintf(err, errlen, "handshake with the destination: %s",
			 ret == -ECONNRESET ? "the connection was closed" : strerror(-ret));
		return ret;
	}
	ret = mig_reply_check(&reply, MIG_MAGIC_REPLY, err, errlen);
	if (ret)
		return ret;
	if (reply.status) {
		snprintf(err, errlen, "the destination refused: %s", reply.message);
		return -EPERM;
	}
	return 0;
}

/* Rounds while the guest runs, until the rest fits the budget or the round limit. */
static int mig_precopy(struct migration *mig, struct mig_page_counts *counts, char *err, size_t errlen)
{
	uint64_t budget_bytes, bw = 0;
	int ret;

	for (uint32_t round = 0;; round++) {
		uint64_t t0 = clock_monotonic_ns(), bytes0 = mig->conn.bytes_out, dt;
		int64_t dirty;

		ret = mig_send_dirty(mig, round == 0, counts);
		if (!ret)
			ret = mig_send_mark(mig, MIG_CHUNK_ROUND, round + 1, 0);
		if (ret)
			goto out_io;
		dt = clock_monotonic_ns() - t0;
		if (dt)
			bw = (mig->conn.bytes_out - bytes0) * 1000000000ULL / dt;
		dirty = mig_fetch_dirty(mig);
		if (dirty < 0) {
			snprintf(err, errlen, "KVM_GET_DIRTY_LOG: %s", strerror((int)-dirty));
			return (int)dirty;
		}
		pthread_mutex_lock(&mig->lock);
		mig->status.rounds = round + 1;
		mig->status.dirty_pages = (uint64_t)dirty;
		mig->status.bandwidth_bps = bw;
		pthread_mutex_unlock(&mig->lock);
		budget_bytes = bw / 1000 * mig->params.downtime_ms;
		log_info("migration: round %u: %" PRIu64 " MiB/s, %" PRId64 " pages dirty",
			 round + 1, bw >> 20, dirty);
		if ((uint64_t)dirty * MIG_PAGE_SIZE <= budget_bytes || round >= mig->params.max_rounds)
			return 0;
		if (atomic_load(&mig->conn.aborted))
			return -ECANCELED;
	}
out_io:
	snprintf(err, errlen, "sending guest memory: %s",
		 ret == -ECONNRESET ? "the destination closed the connection" :
		 ret == -ETIMEDOUT ? "the destination stopped reading" : strerror(-ret));
	return ret;
}

/*
 * The stop-and-copy phase, on the loop thread (no device runs meanwhile):
 * pause, drain, last pages (KVM's log plus every page a device wrote since
 * the start), the state, the end mark, the ack. Returns 0 once the
 * destination runs the guest; otherwise the guest is resumed here.
 */
static int mig_final(struct migration *mig, struct mig_page_counts *counts, char *err, size_t errlen)
{
	struct vm *vm = mig->vm;
	struct snap_writer w = { 0 };
	struct mig_reply ack;
	bool handed_over = false;
	uint64_t t_pause;
	int64_t dirty;
	int ret;

	mig_set_state(mig, MIGRATION_STOPPING);
	t_pause = clock_monotonic_ns();
	ret = vm_pause(vm);
	mig->was_paused = ret == -EALREADY;
	if (ret && ret != -EALREADY) {
		snprintf(err, errlen, "cannot pause the VM: %s", strerror(-ret));
		return ret;
	}
	ret = snapshot_quiesce(vm, err, errlen);
	if (ret)
		goto out_resume;
	dirty = mig_fetch_dirty(mig);
	if (dirty < 0) {
		ret = (int)dirty;
		snprintf(err, errlen, "KVM_GET_DIRTY_LOG: %s", strerror(-ret));
		goto out_resume;
	}
	/* Device writes are never cleared during the migration: all go again now. */
	for (unsigned int i = 0; i < vm->mem.nr_regions; i++)
		mig_bitmap_or(mig->dirty[i], mig->written[i], vm_dirty_log_words(vm->mem.regions[i].size));
	ret = snapshot_save_state(vm, &w, err, errlen);
	if (ret)
		goto out_resume;
	/* The destination opens the disks when it loads the state: their locks go first. */
	ret = mig_devices_handover(vm, err, errlen);
	if (ret)
		goto out_resume;
	handed_over = true;
	ret = mig_send_dirty(mig, false, counts);
	if (!ret)
		ret = mig_send_mark(mig, MIG_CHUNK_STATE, 0, w.len);
	if (!ret)
		ret = mig_conn_send(&mig->conn, w.buf, w.len);
	if (!ret)
		ret = mig_send_mark(mig, MIG_CHUNK_END, 0, 0);
	if (ret) {
		snprintf(err, errlen, "sending the last pages and the device state: %s",
			 ret == -ECONNRESET ? "the destination closed the connection" : strerror(-ret));
		goto out_resume;
	}
	mig_conn_set_timeout(&mig->conn, MIG_ACK_TIMEOUT_MS);
	ret = mig_conn_recv(&mig->conn, &ack, sizeof(ack));
	if (ret) {
		snprintf(err, errlen, "no acknowledgement from the destination: %s",
			 ret == -ECONNRESET ? "it closed the connection (did it fail? see its log)" :
			 ret == -ETIMEDOUT ? "timed out" : strerror(-ret));
		goto out_resume;
	}
	ret = mig_reply_check(&ack, MIG_MAGIC_ACK, err, errlen);
	if (ret)
		goto out_resume;
	if (ack.status) {
		snprintf(err, errlen, "the destination could not load the VM: %s", ack.message);
		ret = -EPROTO;
		goto out_resume;
	}
	snap_writer_free(&w);
	pthread_mutex_lock(&mig->lock);
	mig->status.downtime_us = (clock_monotonic_ns() - t_pause) / 1000;
	mig->status.dest_load_us = ack.load_us;
	mig->status.bytes_sent = mig->conn.bytes_out;
	mig->status.pages_sent = counts->pages;
	mig->status.zero_pages = counts->zero_pages;
	mig->status.total_ms = (clock_monotonic_ns() - mig->start_ns) / 1000000;
	mig->status.state = MIGRATION_COMPLETED;
	pthread_mutex_unlock(&mig->lock);
	return 0;

out_resume:
	snap_writer_free(&w);
	if (handed_over)
		mig_devices_reclaim(vm);
	mig_track_stop(mig);
	if (!mig->was_paused)
		vm_resume(vm);
	return ret;
}

static void mig_fail(struct migration *mig, const char *why)
{
	mig_track_stop(mig);
	pthread_mutex_lock(&mig->lock);
	snprintf(mig->status.error, sizeof(mig->status.error), "%s", why);
	mig->status.bytes_sent = mig->conn.bytes_out;
	mig->status.state = MIGRATION_FAILED;
	mig->status.total_ms = (clock_monotonic_ns() - mig->start_ns) / 1000000;
	pthread_mutex_unlock(&mig->lock);
	fprintf(stderr, "vessel: migration to %s failed: %s; the VM keeps running here\n",
		mig->params.destination, why);
}

/* On the loop: the thread's request for the final phase. */
static void mig_on_final(void *ctx, uint32_t events)
{
	struct migration *mig = ctx;
	struct mig_page_counts counts;
	struct itimerspec its = { .it_value = { .tv_sec = MIG_LINGER_MS / 1000,
						.tv_nsec = (MIG_LINGER_MS % 1000) * 1000000L } };
	char err[256] = "", report[640];
	uint64_t v;
	int ret;

	if (read(mig->final_fd, &v, sizeof(v)) != sizeof(v))
		return;
	pthread_mutex_lock(&mig->lock);
	counts = (struct mig_page_counts){ mig->status.pages_sent, mig->status.zero_pages };
	pthread_mutex_unlock(&mig->lock);
	ret = mig_final(mig, &counts, err, sizeof(err));
	if (ret) {
		mig_fail(mig, err);
	} else {
		struct migration_status st;

		migration_get_status(mig, &st);
		migration_format_report(&st, report, sizeof(report));
		fprintf(stderr, "vessel: %s\n", report);
		timerfd_settime(mig->linger_fd, 0, &its, NULL);
	}
	mig_track_detach(mig);
	pthread_mutex_lock(&mig->lock);
	mig->final_done = true;
	mig->final_ret = ret;
	pthread_cond_broadcast(&mig->cond);
	pthread_mutex_unlock(&mig->lock);
}

static void mig_on_linger(void *ctx, uint32_t events)
{
	struct migration *mig = ctx;
	uint64_t v;

	if (read(mig->linger_fd, &v, sizeof(v)) == sizeof(v))
		vm_request_stop(mig->vm, VM_EXIT_MIGRATED);
}

static void *migration_thread(void *arg)
{
	struct migration *mig = arg;
	struct mig_page_counts counts = { 0 };
	uint64_t one = 1;
	char err[256] = "";
	int ret;

	ret = mig_handshake(mig, err, sizeof(err));
	if (ret)
		goto out_fail;
	ret = mig_track_start(mig);
	if (ret) {
		snprintf(err, sizeof(err), "cannot turn on KVM dirty logging: %s", strerror(-ret));
		goto out_fail;
	}
	mig_set_state(mig, MIGRATION_PRECOPY);
	ret = mig_precopy(mig, &counts, err, sizeof(err));
	if (ret)
		goto out_fail;
	pthread_mutex_lock(&mig->lock);
	mig->status.pages_sent = counts.pages;
	mig->status.zero_pages = counts.zero_pages;
	mig->final_done = false;
	pthread_mutex_unlock(&mig->lock);
	if (write(mig->final_fd, &one, sizeof(one)) != sizeof(one)) {
		ret = -errno;
		snprintf(err, sizeof(err), "cannot reach the VM's event loop: %s", strerror(errno));
		goto out_fail;
	}
	pthread_mutex_lock(&mig->lock);
	while (!mig->final_done && !mig->cancelled)
		pthread_cond_wait(&mig->cond, &mig->lock);
	pthread_mutex_unlock(&mig->lock);
	return NULL;

out_fail:
	if (ret == -ECANCELED)
		snprintf(err, sizeof(err), "cancelled: the VM is stopping");
	mig_fail(mig, err);
	return NULL;
}

void migration_get_status(struct migration *mig, struct migration_status *st)
{
	const struct itimerspec its = { .it_value = { .tv_nsec = MIG_REPORTED_LINGER_MS * 1000000L } };
	bool completed;

	pthread_mutex_lock(&mig->lock);
	*st = mig->status;
	if (st->state != MIGRATION_COMPLETED && st->state != MIGRATION_FAILED)
		st->total_ms = (clock_monotonic_ns() - mig->start_ns) / 1000000;
	if (st->state == MIGRATION_PRECOPY || st->state == MIGRATION_CONNECTING)
		st->bytes_sent = mig->conn.bytes_out;
	completed = st->state == MIGRATION_COMPLETED;
	pthread_mutex_unlock(&mig->lock);
	/* The report has been read: stop soon, once the answer carrying it is out. */
	if (completed)
		timerfd_settime(mig->linger_fd, 0, &its, NULL);
}

static bool mig_finished(struct migration *mig)
{
	enum migration_state state;

	pthread_mutex_lock(&mig->lock);
	state = mig->status.state;
	pthread_mutex_unlock(&mig->lock);
	return state == MIGRATION_FAILED;
}

int migration_start(struct migration **out, struct vm *vm, const struct migration_params *p,
		    char *err, size_t errlen)
{
	struct migration *mig;
	int ret;

	if (*out && !mig_finished(*out)) {
		snprintf(err, errlen, "a migration is in progress (or has completed)");
		return -EBUSY;
	}
	/* It would carry a snapshot's state, which a firmware boot cannot give (docs/firmware.md). */
	if (vm->cfg.firmware_path) {
		snprintf(err, errlen, "migration of a VM booted from firmware (--firmware) is not supported");
		return -ENOTSUP;
	}
	mig = calloc(1, sizeof(*mig));
	if (!mig) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	mig->vm = vm;
	mig->final_fd = mig->linger_fd = -1;
	mig->conn.fd = -1;
	pthread_mutex_init(&mig->lock, NULL);
	pthread_cond_init(&mig->cond, NULL);
	ret = mig_url_parse(p->destination, &mig->url, err, errlen);
	if (ret)
		goto out_free;
	mig->params = *p;
	if (!mig->params.downtime_ms)
		mig->params.downtime_ms = MIGRATION_DEFAULT_DOWNTIME_MS;
	if (!mig->params.max_rounds)
		mig->params.max_rounds = MIGRATION_DEFAULT_MAX_ROUNDS;
	snprintf(mig->status.destination, sizeof(mig->status.destination), "%s", p->destination);
	mig->params.destination = mig->status.destination;
	mig->status.downtime_budget_ms = mig->params.downtime_ms;
	mig->status.state = MIGRATION_CONNECTING;
	if (vm->mem.nr_regions > MIG_MAX_REGIONS) {
		snprintf(err, errlen, "this VM has more RAM regions than the migration stream carries");
		ret = -EINVAL;
		goto out_free;
	}
	ret = mig_track_alloc(mig);
	if (ret) {
		snprintf(err, errlen, "out of memory for the dirty bitmaps");
		goto out_free;
	}
	mig->final_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	mig->linger_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (mig->final_fd < 0 || mig->linger_fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot create the migration's event fds: %s", strerror(errno));
		goto out_free;
	}
	ret = event_loop_add(&vm->loop, mig->final_fd, EPOLLIN, mig_on_final, mig);
	if (ret) {
		snprintf(err, errlen, "event loop: %s", strerror(-ret));
		goto out_free;
	}
	ret = event_loop_add(&vm->loop, mig->linger_fd, EPOLLIN, mig_on_linger, mig);
	if (ret) {
		event_loop_del(&vm->loop, mig->final_fd);
		snprintf(err, errlen, "event loop: %s", strerror(-ret));
		goto out_free;
	}
	/* The previous (failed) migration goes; on this thread no device marks pages meanwhile. */
	migration_destroy(*out);
	*out = NULL;
	mig->start_ns = clock_monotonic_ns();
	ret = -pthread_create(&mig->thread, NULL, migration_thread, mig);
	if (ret) {
		snprintf(err, errlen, "cannot start the migration thread: %s", strerror(-ret));
		event_loop_del(&vm->loop, mig->final_fd);
		event_loop_del(&vm->loop, mig->linger_fd);
		goto out_free;
	}
	mig->thread_started = true;
	fprintf(stderr, "vessel: migrating to %s (downtime budget %u ms)\n", p->destination,
		mig->params.downtime_ms);
	*out = mig;
	return 0;

out_free:
	mig_track_free(mig);
	if (mig->final_fd >= 0)
		close(mig->final_fd);
	if (mig->linger_fd >= 0)
		close(mig->linger_fd);
	pthread_cond_destroy(&mig->cond);
	pthread_mutex_destroy(&mig->lock);
	free(mig);
	return ret;
}

void migration_destroy(struct migration *mig)
{
	if (!mig)
		return;
	if (mig->thread_started) {
		pthread_mutex_lock(&mig->lock);
		mig->cancelled = true;
		pthread_cond_broadcast(&mig->cond);
		mig_conn_abort(&mig->conn);
		pthread_mutex_unlock(&mig->lock);
		pthread_join(mig->thread, NULL);
	}
	mig_track_stop(mig);
	mig_track_detach(mig);
	mig_conn_close(&mig->conn);
	event_loop_del(&mig->vm->loop, mig->final_fd);
	event_loop_del(&mig->vm->loop, mig->linger_fd);
	close(mig->final_fd);
	close(mig->linger_fd);
	mig_track_free(mig);
	pthread_cond_destroy(&mig->cond);
	pthread_mutex_destroy(&mig->lock);
	free(mig);
}
