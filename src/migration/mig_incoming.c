/* SPDX-License-Identifier: MIT */
#include "migration/mig_incoming.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "arch/x86/arch.h"
#include "core/clock.h"
#include "core/log.h"
#include "migration/mig_conn.h"
#include "migration/mig_recv.h"
#include "migration/mig_stream.h"
#include "migration/mig_url.h"
#include "snapshot/snapshot.h"

#define MIG_INCOMING_TIMEOUT_MS 30000  /* the source stalls no longer than this */

struct mig_incoming {
	struct mig_conn conn;
	struct mig_recv rx;
	int mem_fd;                 /* memfd holding guest RAM */
	char mem_path[64];          /* /proc/self/fd/N: how vm_create() maps it */
	struct snapshot_file state; /* parsed; must outlive the VM */
	bool have_state;
	uint64_t end_ns;            /* when the end mark arrived */
};

/* This host's view of the hello: a reason to refuse, or NULL. */
static const char *mig_incoming_refusal(const struct mig_hello *hello, const struct mig_incoming_expect *expect,
					char *why, size_t len)
{
	struct arch_ram_region layout[MIG_MAX_REGIONS];
	int n = arch_ram_layout(hello->mem_size, layout, MIG_MAX_REGIONS);
	int kvm, api = -1;

	if (expect->mem_size && expect->mem_size != hello->mem_size) {
		snprintf(why, len, "the guest has %" PRIu64 " MiB of RAM, this destination was started for %" PRIu64 " MiB",
			 hello->mem_size >> 20, expect->mem_size >> 20);
		return why;
	}
	if (expect->nr_cpus && expect->nr_cpus != hello->nr_cpus) {
		snprintf(why, len, "the guest has %u vCPUs, this destination was started for %u",
			 hello->nr_cpus, expect->nr_cpus);
		return why;
	}
	if (n != (int)hello->nr_regions) {
		snprintf(why, len, "the guest's RAM layout differs from this vessel's for %" PRIu64 " MiB",
			 hello->mem_size >> 20);
		return why;
	}
	for (int i = 0; i < n; i++) {
		if (layout[i].gpa != hello->regions[i].gpa || layout[i].size != hello->regions[i].size) {
			snprintf(why, len, "the guest's RAM layout differs from this vessel's (region %d)", i);
			return why;
		}
	}
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm >= 0) {
		api = ioctl(kvm, KVM_GET_API_VERSION, 0);
		close(kvm);
	}
	if (api < 0 || (uint32_t)api != hello->kvm_api_version) {
		snprintf(why, len, "KVM API version %u on the source, %d here", hello->kvm_api_version, api);
		return why;
	}
	return NULL;
}

static int mig_incoming_reply(struct mig_incoming *in, const char *magic, uint32_t status,
			      const char *message, uint64_t load_us)
{
	struct mig_reply reply;

	mig_reply_fill(&reply, magic, status, message);
	reply.load_us = load_us;
	return mig_conn_send(&in->conn, &reply, sizeof(reply));
}

static int mig_incoming_accept(const char *url_text, struct mig_incoming *in, char *err, size_t errlen)
{
	struct mig_url url;
	int lfd, fd, ret;

	ret = mig_url_parse(url_text, &url, err, errlen);
	if (ret)
		return ret;
	lfd = mig_url_listen(&url, err, errlen);
	if (lfd < 0)
		return lfd;
	fprintf(stderr, "vessel: waiting for an incoming migration on %s\n", url_text);
	do
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	ret = fd < 0 ? -errno : 0;
	close(lfd);
	if (ret) {
		snprintf(err, errlen, "--incoming %s: accept: %s", url_text, strerror(-ret));
		return ret;
	}
	mig_conn_init_fd(&in->conn, fd);
	mig_conn_set_timeout(&in->conn, MIG_INCOMING_TIMEOUT_MS);
	return 0;
}

/* Guest RAM for the stream: a memfd, so vm_create() can map the same pages. */
static int mig_incoming_map(struct mig_incoming *in, char *err, size_t errlen)
{
	uint64_t size = in->rx.hello.mem_size;
	int ret;

	in->mem_fd = memfd_create("vessel-incoming-ram", MFD_CLOEXEC);
	if (in->mem_fd < 0 || ftruncate(in->mem_fd, (off_t)size)) {
		ret = -errno;
		snprintf(err, errlen, "cannot hold %" PRIu64 " MiB of incoming guest RAM: %s", size >> 20, strerror(errno));
		return ret;
	}
	in->rx.ram = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, in->mem_fd, 0);
	if (in->rx.ram == MAP_FAILED) {
		ret = -errno;
		in->rx.ram = NULL;
		snprintf(err, errlen, "cannot map %" PRIu64 " MiB of incoming guest RAM: %s", size >> 20, strerror(errno));
		return ret;
	}
	snprintf(in->mem_path, sizeof(in->mem_path), "/proc/self/fd/%d", in->mem_fd);
	return 0;
}

int mig_incoming_receive(const char *url, const struct mig_incoming_expect *expect,
			 struct mig_incoming **out, char *err, size_t errlen)
{
	struct mig_incoming *in = calloc(1, sizeof(*in));
	char why[MIG_MSG_LEN];
	const char *refusal;
	uint64_t t0;
	int ret;

	if (!in) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	in->mem_fd = -1;
	in->conn.fd = -1;
	ret = mig_incoming_accept(url, in, err, errlen);
	if (ret)
		goto out_free;
	t0 = clock_monotonic_ns();
	ret = mig_recv_hello(&in->conn, &in->rx, err, errlen);
	if (ret) {
		mig_incoming_reply(in, MIG_MAGIC_REPLY, 1, err, 0);
		goto out_free;
	}
	refusal = mig_incoming_refusal(&in->rx.hello, expect, why, sizeof(why));
	if (refusal) {
		mig_incoming_reply(in, MIG_MAGIC_REPLY, 1, refusal, 0);
		snprintf(err, errlen, "refused the incoming migration: %s", refusal);
		ret = -EPERM;
		goto out_free;
	}
	ret = mig_incoming_map(in, err, errlen);
	if (ret) {
		mig_incoming_reply(in, MIG_MAGIC_REPLY, 1, err, 0);
		goto out_free;
	}
	ret = mig_incoming_reply(in, MIG_MAGIC_REPLY, 0, NULL, 0);
	if (ret) {
		snprintf(err, errlen, "incoming migration: the source went away after the handshake");
		goto out_free;
	}
	ret = mig_recv_stream(&in->conn, &in->rx, err, errlen);
	if (ret)
		goto out_nack;
	in->end_ns = clock_monotonic_ns();
	/* The state parser takes the buffer over. */
	ret = snapshot_file_parse(&in->state, in->rx.state, in->rx.state_len, err, errlen);
	in->rx.state = NULL;
	if (ret)
		goto out_nack;
	in->have_state = true;
	if (in->state.cfg.vm.mem_size != in->rx.hello.mem_size || in->state.cfg.vm.nr_cpus != in->rx.hello.nr_cpus) {
		snprintf(err, errlen, "incoming migration: the device state's machine differs from the stream's header");
		ret = -EINVAL;
		goto out_nack;
	}
	fprintf(stderr, "vessel: incoming migration: %" PRIu64 " MiB in %u rounds (%" PRIu64 " pages, %" PRIu64
		" zero) in %" PRIu64 " ms\n", in->conn.bytes_in >> 20, in->rx.rounds, in->rx.pages,
		in->rx.zero_pages, (in->end_ns - t0) / 1000000);
	*out = in;
	return 0;

out_nack:
	mig_incoming_reply(in, MIG_MAGIC_ACK, 1, err, 0);
out_free:
	mig_incoming_free(in);
	return ret;
}

int mig_incoming_restore(struct mig_incoming *in, struct vm *vm, const struct vm_config *host,
			 char *err, size_t errlen)
{
	struct vm_config cfg = *host;
	uint64_t load_us;
	int ret;

	cfg.restore_mem_path = in->mem_path;
	cfg.restore_state_path = NULL;
	ret = snapshot_restore(vm, &cfg, &in->state, err, errlen);
	if (ret) {
		mig_incoming_reply(in, MIG_MAGIC_ACK, 1, err, 0);
		return ret;
	}
	/* The VM maps the memfd itself now. */
	munmap(in->rx.ram, in->rx.hello.mem_size);
	in->rx.ram = NULL;
	load_us = (clock_monotonic_ns() - in->end_ns) / 1000;
	ret = mig_incoming_reply(in, MIG_MAGIC_ACK, 0, NULL, load_us);
	if (ret) {
		/* The source did not hear it and resumes the guest there: it must not run twice. */
		snprintf(err, errlen, "incoming migration: cannot acknowledge to the source (%s): not running the guest",
			 strerror(-ret));
		vm_destroy(vm);
		return ret;
	}
	fprintf(stderr, "vessel: incoming migration: the guest runs here (loaded in %.1f ms)\n", load_us / 1000.0);
	mig_conn_close(&in->conn);
	return 0;
}

void mig_incoming_free(struct mig_incoming *in)
{
	if (!in)
		return;
	if (in->have_state)
		snapshot_file_free(&in->state);
	if (in->rx.ram)
		munmap(in->rx.ram, in->rx.hello.mem_size);
	mig_recv_free(&in->rx);
	mig_conn_close(&in->conn);
	if (in->mem_fd >= 0)
		close(in->mem_fd);
	free(in);
}
