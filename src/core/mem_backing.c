/* SPDX-License-Identifier: MIT */
#include "core/mem_backing.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/mman.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/log.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ  22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PREFAULT_MAX_THREADS 8
#define PREFAULT_MIN_CHUNK   (64ULL << 20)   /* smaller chunks are not worth a thread */

const char *mem_backing_page_name(uint64_t hugepage_size, char *buf, size_t len)
{
	if (hugepage_size >= (1ULL << 30))
		snprintf(buf, len, "%" PRIu64 "G", hugepage_size >> 30);
	else
		snprintf(buf, len, "%" PRIu64 "M", hugepage_size >> 20);
	return buf;
}

/* A number from /sys/kernel/mm/hugepages/hugepages-<kB>kB/<name>; -1 if unreadable. */
static long hugepage_sysfs(uint64_t hugepage_size, const char *name)
{
	char path[128];
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/%s",
		 hugepage_size >> 10, name);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

static void hugepage_shortage(uint64_t hugepage_size, uint64_t size, int err_no, char *err, size_t errlen)
{
	long free_pages = hugepage_sysfs(hugepage_size, "free_hugepages");
	long resv = hugepage_sysfs(hugepage_size, "resv_hugepages");
	uint64_t need = size / hugepage_size;
	char name[16];

	mem_backing_page_name(hugepage_size, name, sizeof(name));
	if (free_pages < 0) {
		snprintf(err, errlen, "memory: this host has no %s huge pages (no /sys/kernel/mm/hugepages/"
			 "hugepages-%" PRIu64 "kB)", name, hugepage_size >> 10);
		return;
	}
	if (err_no != ENOMEM) {
		snprintf(err, errlen, "memory: cannot map %" PRIu64 " %s huge pages: %s", need, name,
			 strerror(err_no));
		return;
	}
	snprintf(err, errlen, "memory: %" PRIu64 " huge pages of %s needed, %ld available; reserve more in "
		 "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/nr_hugepages%s", need, name,
		 free_pages - (resv > 0 ? resv : 0), hugepage_size >> 10,
		 hugepage_size == MEM_HUGEPAGE_2M ? " (or: sysctl vm.nr_hugepages=N)" : "");
}

int mem_backing_map(const struct mem_backing *mb, uint64_t size, void **out, char *err, size_t errlen)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
	void *ram;

	if (mb->hugepage_size) {
		if (size % mb->hugepage_size) {
			char name[16];

			snprintf(err, errlen, "memory: %" PRIu64 " MiB is not a multiple of the %s huge page size",
				 size >> 20, mem_backing_page_name(mb->hugepage_size, name, sizeof(name)));
			return -EINVAL;
		}
		/* No MAP_NORESERVE: the pages are reserved now, not found missing at a guest fault. */
		flags |= MAP_HUGETLB | (__builtin_ctzll(mb->hugepage_size) << MAP_HUGE_SHIFT);
	} else {
		/* MAP_NORESERVE: guest RAM is touched lazily, as the guest uses it. */
		flags |= MAP_NORESERVE;
	}
	ram = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (ram == MAP_FAILED) {
		int e = errno;

		if (mb->hugepage_size)
			hugepage_shortage(mb->hugepage_size, size, e, err, errlen);
		else
			snprintf(err, errlen, "memory: cannot map %" PRIu64 " MiB of guest RAM: %s", size >> 20,
				 strerror(e));
		return -e;
	}
	/*
	 * Transparent huge pages, as QEMU does for guest RAM: 512 times fewer
	 * host faults when the guest first touches its memory, and fewer TLB
	 * misses after. Advisory: where THP is off this changes nothing. Not
	 * with mergeable=on: KSM merges small pages only and leaves THPs be.
	 */
	if (!mb->hugepage_size && !mb->mergeable && madvise(ram, size, MADV_HUGEPAGE))
		log_debug("madvise(MADV_HUGEPAGE): %s", strerror(errno));
	*out = ram;
	return 0;
}

struct prefault_chunk {
	uint8_t *start;
	uint64_t len;
	int advice;
	int ret;
	bool threaded;
	pthread_t thread;
};

/* Kernels before 5.14 have no MADV_POPULATE_*: touch each page instead. */
static void prefault_touch(uint8_t *start, uint64_t len, bool write)
{
	long page = sysconf(_SC_PAGESIZE);

	for (uint64_t off = 0; off < len; off += (uint64_t)page) {
		volatile uint8_t *p = start + off;
		uint8_t v = *p;

		if (write)
			*p = v;
	}
}

static void *prefault_chunk_run(void *arg)
{
	struct prefault_chunk *c = arg;

	c->ret = 0;
	if (madvise(c->start, c->len, c->advice)) {
		if (errno == EINVAL)
			prefault_touch(c->start, c->len, c->advice == MADV_POPULATE_WRITE);
		else
			c->ret = -errno;
	}
	return NULL;
}

/* Populates [ram, ram + size) with up to PREFAULT_MAX_THREADS threads, in align-sized pieces. */
static int prefault(uint8_t *ram, uint64_t size, uint64_t align, int advice)
{
	struct prefault_chunk chunks[PREFAULT_MAX_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t n = size / PREFAULT_MIN_CHUNK, per, off = 0;
	int ret = 0;

	if (cpus < 1)
		cpus = 1;
	if (n > (uint64_t)cpus)
		n = (uint64_t)cpus;
	if (n > PREFAULT_MAX_THREADS)
		n = PREFAULT_MAX_THREADS;
	if (n == 0)
		n = 1;
	per = (size / n + align - 1) / align * align;
	for (uint64_t i = 0; i < n; i++) {
		struct prefault_chunk *c = &chunks[i];

		c->start = ram + off;
		c->len = size - off < per ? size - off : per;
		c->advice = advice;
		off += c->len;
		/* The last chunk runs here; a thread that cannot start is done here too. */
		c->threaded = i + 1 < n && !pthread_create(&c->thread, NULL, prefault_chunk_run, c);
		if (!c->threaded)
			prefault_chunk_run(c);
	}
	for (uint64_t i = 0; i < n; i++) {
		if (chunks[i].threaded)
			pthread_join(chunks[i].thread, NULL);
		if (chunks[i].ret && !ret)
			ret = chunks[i].ret;
	}
	return ret;
}

static void ksm_check_running(void)
{
	FILE *f = fopen("/sys/kernel/mm/ksm/run", "re");
	int run = -1;

	if (f) {
		if (fscanf(f, "%d", &run) != 1)
			run = -1;
		fclose(f);
	}
	if (run == 0)
		log_warn("memory: mergeable=on, but KSM is stopped on this host (/sys/kernel/mm/ksm/run is 0): "
			 "no pages merge until it runs");
}

int mem_backing_apply(const struct mem_backing *mb, void *ram, uint64_t size, bool file_backed,
		      char *err, size_t errlen)
{
	int ret;

	if (mb->mergeable) {
		if (madvise(ram, size, MADV_MERGEABLE)) {
			ret = -errno;
			snprintf(err, errlen, "memory: mergeable=on: madvise(MADV_MERGEABLE): %s (a kernel "
				 "without KSM?)", strerror(errno));
			return ret;
		}
		ksm_check_running();
	}
	if (mb->prefault) {
		ret = prefault(ram, size, mb->hugepage_size ? mb->hugepage_size : MEM_HUGEPAGE_2M,
			       file_backed ? MADV_POPULATE_READ : MADV_POPULATE_WRITE);
		if (ret) {
			snprintf(err, errlen, "memory: prefault=on: cannot populate guest RAM: %s%s", strerror(-ret),
				 mb->hugepage_size ? " (huge pages taken by someone else?)" : "");
			return ret;
		}
	}
	return 0;
}
