/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk request parsing (virtio 1.2, 5.2.6). Everything here is guest
 * controlled. The chain is a byte stream (no framing assumed, 2.6.4): a
 * 16-byte header at the front of the readable bytes, the status byte at the
 * end of the writable bytes, data in between in the direction the type says.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "devices/virtio/virtio_blk.h"

/*
 * Points dst at bytes [off, off + len) of the n buffers in src. Returns the
 * number of entries, or -E2BIG if more than max are needed.
 */
static int virtio_blk_iov_slice(const struct iovec *src, unsigned int n, uint64_t off, uint64_t len,
				struct iovec *dst, unsigned int max)
{
	unsigned int cnt = 0;

	for (unsigned int i = 0; i < n && len; i++) {
		uint64_t take;

		if (off >= src[i].iov_len) {
			off -= src[i].iov_len;
			continue;
		}
		take = src[i].iov_len - off;
		if (take > len)
			take = len;
		if (cnt == max)
			return -E2BIG;
		dst[cnt++] = (struct iovec){ .iov_base = (uint8_t *)src[i].iov_base + off, .iov_len = take };
		len -= take;
		off = 0;
	}
	return (int)cnt;
}

/* Whether [sector, sector + nr) lies within the disk, without overflowing. */
static bool virtio_blk_in_range(const struct virtio_blk_limits *lim, uint64_t sector, uint64_t nr)
{
	return sector <= lim->capacity && nr <= lim->capacity - sector;
}

static uint8_t virtio_blk_parse_rw(const struct virtq_chain *chain, const struct virtio_blk_limits *lim,
				   struct iovec *iov, unsigned int iov_max, struct virtio_blk_req *req)
{
	int cnt;

	if (req->type == VIRTIO_BLK_T_IN) {
		/* Readable bytes past the header, or nowhere to read into, are the wrong direction. */
		if (chain->out_len != VIRTIO_BLK_HDR_SIZE)
			return VIRTIO_BLK_S_IOERR;
		req->data_len = chain->in_len - 1;
		cnt = virtio_blk_iov_slice(chain->iov + chain->nr_out, chain->nr_in, 0, req->data_len,
					   iov, iov_max);
	} else {
		if (chain->in_len != 1)
			return VIRTIO_BLK_S_IOERR;
		if (lim->readonly)
			return VIRTIO_BLK_S_IOERR;
		req->data_len = chain->out_len - VIRTIO_BLK_HDR_SIZE;
		cnt = virtio_blk_iov_slice(chain->iov, chain->nr_out, VIRTIO_BLK_HDR_SIZE, req->data_len,
					   iov, iov_max);
	}
	if (cnt < 0)
		return VIRTIO_BLK_S_IOERR;
	if (req->data_len % VIRTIO_BLK_SECTOR_SIZE)
		return VIRTIO_BLK_S_IOERR;
	if (!virtio_blk_in_range(lim, req->sector, req->data_len / VIRTIO_BLK_SECTOR_SIZE))
		return VIRTIO_BLK_S_IOERR;
	req->iov = iov;
	req->iovcnt = cnt;
	return VIRTIO_BLK_S_OK;
}

/* DISCARD and WRITE_ZEROES: exactly one segment (max_*_seg is 1). */
static uint8_t virtio_blk_parse_seg(const struct virtq_chain *chain, const struct virtio_blk_limits *lim,
				    struct virtio_blk_req *req)
{
	uint32_t max = req->type == VIRTIO_BLK_T_DISCARD ? VIRTIO_BLK_MAX_DISCARD_SECTORS :
		       VIRTIO_BLK_MAX_WRITE_ZEROES_SECTORS;
	uint32_t allowed = req->type == VIRTIO_BLK_T_DISCARD ? 0 : VIRTIO_BLK_WRITE_ZEROES_F_UNMAP;
	uint8_t seg[VIRTIO_BLK_SEG_SIZE];
	uint64_t sector;
	uint32_t nr, flags;

	if (chain->in_len != 1 || chain->out_len != VIRTIO_BLK_HDR_SIZE + VIRTIO_BLK_SEG_SIZE)
		return VIRTIO_BLK_S_IOERR;
	if (lim->readonly)
		return VIRTIO_BLK_S_IOERR;
	virtq_chain_read(chain, VIRTIO_BLK_HDR_SIZE, seg, sizeof(seg));
	memcpy(&sector, seg, 8);
	memcpy(&nr, seg + 8, 4);
	memcpy(&flags, seg + 12, 4);
	req->seg_sector = le64toh(sector);
	req->seg_sectors = le32toh(nr);
	req->seg_flags = le32toh(flags);
	/* Unknown flags are UNSUPP (5.2.6.2). */
	if (req->seg_flags & ~allowed)
		return VIRTIO_BLK_S_UNSUPP;
	if (req->seg_sectors > max)
		return VIRTIO_BLK_S_IOERR;
	if (!virtio_blk_in_range(lim, req->seg_sector, req->seg_sectors))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

int virtio_blk_req_parse(const struct virtq_chain *chain, const struct virtio_blk_limits *lim,
			 struct iovec *iov, unsigned int iov_max, struct virtio_blk_req *req)
{
	const struct iovec *last;
	uint8_t hdr[VIRTIO_BLK_HDR_SIZE];
	uint32_t type;
	uint64_t sector;

	memset(req, 0, sizeof(*req));
	/* No writable byte: nowhere to say what went wrong. */
	if (chain->nr_in == 0 || chain->in_len == 0)
		return -EINVAL;
	last = &chain->iov[chain->nr_out + chain->nr_in - 1];
	req->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	req->result = VIRTIO_BLK_S_IOERR;
	if (chain->out_len < VIRTIO_BLK_HDR_SIZE)
		return 0;
	virtq_chain_read(chain, 0, hdr, sizeof(hdr));
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	req->type = le32toh(type);
	req->sector = le64toh(sector);

	switch (req->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		req->result = virtio_blk_parse_rw(chain, lim, iov, iov_max, req);
		break;
	case VIRTIO_BLK_T_FLUSH:
		req->result = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID:
		req->data_len = chain->in_len - 1;
		req->result = chain->out_len == VIRTIO_BLK_HDR_SIZE && req->data_len ?
			      VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		req->result = virtio_blk_parse_seg(chain, lim, req);
		break;
	default:
		req->result = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	return 0;
}
