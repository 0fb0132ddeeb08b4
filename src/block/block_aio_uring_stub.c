/* SPDX-License-Identifier: MIT */
/* Built without liburing: the io_uring engine is never available. */
#include <errno.h>

#include "block/block_aio.h"

struct block_aio *block_aio_uring_create(int fd, uint32_t depth, int *error)
{
	*error = ENOSYS;
	return NULL;
}
