/* SPDX-License-Identifier: MIT */
#include "migration/mig_stream.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int mig_hello_check(const struct mig_hello *hello, char *err, size_t errlen)
{
	uint64_t total = 0, prev_end = 0;

	if (memcmp(hello->magic, MIG_MAGIC_HELLO, sizeof(hello->magic))) {
		snprintf(err, errlen, "not a vessel migration stream (bad magic)");
		return -EINVAL;
	}
	if (hello->version != MIG_VERSION) {
		snprintf(err, errlen, "migration stream version %u, this vessel speaks version %u",
			 hello->version, MIG_VERSION);
		return -EPROTO;
	}
	if (hello->header_size != sizeof(*hello) || hello->page_size != MIG_PAGE_SIZE) {
		snprintf(err, errlen, "migration stream: bad header size %u or page size %u",
			 hello->header_size, hello->page_size);
		return -EINVAL;
	}
	if (hello->nr_regions == 0 || hello->nr_regions > MIG_MAX_REGIONS) {
		snprintf(err, errlen, "migration stream: %u RAM regions (1 to %u)",
			 hello->nr_regions, MIG_MAX_REGIONS);
		return -EINVAL;
	}
	for (uint32_t i = 0; i < hello->nr_regions; i++) {
		const struct mig_region *r = &hello->regions[i];

		if (r->size == 0 || (r->gpa | r->size) % MIG_PAGE_SIZE || r->gpa + r->size < r->gpa ||
		    r->gpa < prev_end || total + r->size < total) {
			snprintf(err, errlen, "migration stream: bad RAM region %u", i);
			return -EINVAL;
		}
		prev_end = r->gpa + r->size;
		total += r->size;
	}
	if (total != hello->mem_size) {
		snprintf(err, errlen, "migration stream: RAM regions add up to %llu bytes, not %llu",
			 (unsigned long long)total, (unsigned long long)hello->mem_size);
		return -EINVAL;
	}
	if (hello->nr_cpus == 0 || hello->nr_cpus > 255) {
		snprintf(err, errlen, "migration stream: %u vCPUs", hello->nr_cpus);
		return -EINVAL;
	}
	return 0;
}

/* Does [gpa, gpa + len) lie inside one region of the hello? */
static bool mig_range_in_ram(const struct mig_hello *hello, uint64_t gpa, uint64_t len)
{
	for (uint32_t i = 0; i < hello->nr_regions; i++) {
		const struct mig_region *r = &hello->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return true;
	}
	return false;
}

int mig_chunk_check(const struct mig_chunk *chunk, const struct mig_hello *hello, char *err, size_t errlen)
{
	if (chunk->flags) {
		snprintf(err, errlen, "migration stream: chunk type %u with unknown flags 0x%x",
			 chunk->type, chunk->flags);
		return -EINVAL;
	}
	switch (chunk->type) {
	case MIG_CHUNK_PAGES:
	case MIG_CHUNK_ZERO:
		if (chunk->len == 0 || (chunk->gpa | chunk->len) % MIG_PAGE_SIZE ||
		    (chunk->type == MIG_CHUNK_PAGES && chunk->len > MIG_MAX_RUN) ||
		    !mig_range_in_ram(hello, chunk->gpa, chunk->len)) {
			snprintf(err, errlen, "migration stream: bad %s run at 0x%llx, %llu bytes",
				 chunk->type == MIG_CHUNK_PAGES ? "page" : "zero",
				 (unsigned long long)chunk->gpa, (unsigned long long)chunk->len);
			return -EINVAL;
		}
		return 0;
	case MIG_CHUNK_ROUND:
		if (chunk->len) {
			snprintf(err, errlen, "migration stream: a round mark with a payload");
			return -EINVAL;
		}
		return 0;
	case MIG_CHUNK_STATE:
		if (chunk->gpa || chunk->len == 0 || chunk->len > MIG_MAX_STATE) {
			snprintf(err, errlen, "migration stream: state of %llu bytes (1 to %u)",
				 (unsigned long long)chunk->len, MIG_MAX_STATE);
			return -EINVAL;
		}
		return 0;
	case MIG_CHUNK_END:
		if (chunk->gpa || chunk->len) {
			snprintf(err, errlen, "migration stream: an end mark with a payload");
			return -EINVAL;
		}
		return 0;
	default:
		snprintf(err, errlen, "migration stream: unknown chunk type %u", chunk->type);
		return -EINVAL;
	}
}

int mig_reply_check(const struct mig_reply *reply, const char *magic, char *err, size_t errlen)
{
	if (memcmp(reply->magic, magic, sizeof(reply->magic))) {
		snprintf(err, errlen, "the destination's answer is not a vessel migration %s",
			 strcmp(magic, MIG_MAGIC_ACK) ? "reply" : "acknowledgement");
		return -EINVAL;
	}
	if (!memchr(reply->message, 0, sizeof(reply->message))) {
		snprintf(err, errlen, "the destination's answer has an unterminated message");
		return -EINVAL;
	}
	return 0;
}

void mig_reply_fill(struct mig_reply *reply, const char *magic, uint32_t status, const char *message)
{
	*reply = (struct mig_reply){ .status = status };
	memcpy(reply->magic, magic, sizeof(reply->magic));
	if (message)
		snprintf(reply->message, sizeof(reply->message), "%s", message);
}
