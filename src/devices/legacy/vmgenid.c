/* SPDX-License-Identifier: MIT */
#include "devices/legacy/vmgenid.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int vmgenid_generate(uint8_t guid[VMGENID_SIZE])
{
	size_t done = 0;

	while (done < VMGENID_SIZE) {
		ssize_t n = getrandom(guid + done, VMGENID_SIZE - done, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	/* RFC 4122: version 4 (random) in byte 6's high nibble, variant 10 in byte 8. */
	guid[6] = (uint8_t)((guid[6] & 0x0f) | 0x40);
	guid[8] = (uint8_t)((guid[8] & 0x3f) | 0x80);
	return 0;
}

int vmgenid_renew(const struct guest_mem *mem, uint64_t gpa, uint8_t out[VMGENID_SIZE])
{
	uint8_t guid[VMGENID_SIZE];
	int ret;

	if (!guest_mem_ptr(mem, gpa, VMGENID_SIZE))
		return -EFAULT;
	ret = vmgenid_generate(guid);
	if (ret)
		return ret;
	ret = guest_mem_write(mem, gpa, guid, VMGENID_SIZE);
	if (!ret && out)
		memcpy(out, guid, VMGENID_SIZE);
	return ret;
}

void vmgenid_format(const uint8_t guid[VMGENID_SIZE], char out[VMGENID_STR_LEN])
{
	char *p = out;

	for (int i = 0; i < VMGENID_SIZE; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		p += sprintf(p, "%02x", guid[i]);
	}
}
