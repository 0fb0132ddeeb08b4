/* SPDX-License-Identifier: MIT */
/*
 * A disk image file (or block device) opened for a VM: size checked, and
 * locked against other VMMs with an OFD lock, as QEMU does (a write lock for
 * read-write use, a read lock for read-only use), so two VMs never write one
 * disk.
 */
#ifndef VESSEL_BLOCK_BLOCK_FILE_H
#define VESSEL_BLOCK_BLOCK_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BLOCK_SECTOR_SIZE 512u

struct block_file {
	int fd;
	uint64_t size;              /* bytes, a multiple of BLOCK_SECTOR_SIZE */
	bool readonly;
	bool direct;                /* opened O_DIRECT (cache=none) */
	bool unlocked;              /* handed over by block_file_unlock() */
};

/*
 * Opens and locks path; 0, or -errno with a one-line message "disk PATH: ..."
 * in err.
 */
__attribute__((warn_unused_result))
int block_file_open(struct block_file *file, const char *path, bool readonly, bool direct,
		    char *err, size_t errlen);
void block_file_close(struct block_file *file);

/*
 * Live migration on one host (shared storage): the source hands the image
 * over to the destination, which opens and locks it as usual.
 * block_file_unlock() flushes what was written (fdatasync, so a destination
 * on another host reads it too) and drops the lock; the fd stays open.
 * block_file_relock() takes the lock back (the migration failed): 0, or
 * -EBUSY if another process holds it now, or -errno.
 */
__attribute__((warn_unused_result))
int block_file_unlock(struct block_file *file);
__attribute__((warn_unused_result))
int block_file_relock(struct block_file *file);

#endif
