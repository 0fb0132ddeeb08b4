/* SPDX-License-Identifier: MIT */
#include "block/block_file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Whole-file OFD lock: it belongs to this open file, not the process, so a
 * second open in-process conflicts too. type: F_RDLCK, F_WRLCK or F_UNLCK.
 */
static int block_file_lock_type(int fd, short type)
{
	struct flock fl = {
		.l_type = type,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0,
	};

	if (fcntl(fd, F_OFD_SETLK, &fl))
		return -errno;
	return 0;
}

static int block_file_lock(int fd, bool readonly)
{
	return block_file_lock_type(fd, readonly ? F_RDLCK : F_WRLCK);
}

static int block_file_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size))
			return -errno;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	*size = (uint64_t)st.st_size;
	return 0;
}

int block_file_open(struct block_file *file, const char *path, bool readonly, bool direct,
		    char *err, size_t errlen)
{
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | (direct ? O_DIRECT : 0);
	int fd, ret;

	*file = (struct block_file){ .fd = -1, .readonly = readonly, .direct = direct };
	fd = open(path, flags);
	if (fd < 0 && direct && errno == EINVAL) {
		/* open() says EINVAL for O_DIRECT on a file system without it. */
		snprintf(err, errlen, "disk %s: cache=none (O_DIRECT) is not supported by this file system", path);
		return -EINVAL;
	}
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "disk %s: %s", path, strerror(errno));
		return ret;
	}
	ret = block_file_size(fd, &file->size);
	if (ret == -EINVAL) {
		snprintf(err, errlen, "disk %s: not a regular file or block device", path);
		goto out_close;
	}
	if (ret) {
		snprintf(err, errlen, "disk %s: cannot get its size: %s", path, strerror(-ret));
		goto out_close;
	}
	if (file->size % BLOCK_SECTOR_SIZE) {
		snprintf(err, errlen, "disk %s: size %llu is not a multiple of %u", path,
			 (unsigned long long)file->size, BLOCK_SECTOR_SIZE);
		ret = -EINVAL;
		goto out_close;
	}
	ret = block_file_lock(fd, readonly);
	if (ret == -EAGAIN || ret == -EACCES) {
		snprintf(err, errlen, "disk %s: in use by another process (locked)", path);
		ret = -EBUSY;
		goto out_close;
	}
	if (ret) {
		snprintf(err, errlen, "disk %s: cannot lock it: %s", path, strerror(-ret));
		goto out_close;
	}
	file->fd = fd;
	return 0;

out_close:
	close(fd);
	return ret;
}

void block_file_close(struct block_file *file)
{
	/* Closing the last fd of the open file drops its OFD lock. */
	if (file->fd >= 0)
		close(file->fd);
	file->fd = -1;
}

int block_file_unlock(struct block_file *file)
{
	int ret;

	if (file->fd < 0 || file->unlocked)
		return 0;
	if (!file->readonly && fdatasync(file->fd))
		return -errno;
	ret = block_file_lock_type(file->fd, F_UNLCK);
	if (ret)
		return ret;
	file->unlocked = true;
	return 0;
}

int block_file_relock(struct block_file *file)
{
	int ret;

	if (file->fd < 0 || !file->unlocked)
		return 0;
	ret = block_file_lock(file->fd, file->readonly);
	if (ret == -EAGAIN || ret == -EACCES)
		return -EBUSY;
	if (ret)
		return ret;
	file->unlocked = false;
	return 0;
}
