/* SPDX-License-Identifier: MIT */
/*
 * The byte stream a snapshot's state is written to and read from: a growing
 * buffer (snap_writer) and a bounds-checked cursor over received bytes
 * (snap_reader). Header-only, so a device's save/load functions need no
 * library beyond their own: each device writes its plain fixed-width *_state
 * struct (little-endian x86 hosts only, see docs/snapshot.md) and checks
 * what it reads before applying any of it.
 *
 * A writer that ran out of memory remembers it (error) and ignores further
 * puts, so callers check once at the end. A reader never reads past its
 * end: snap_get() fails with -EINVAL instead.
 */
#ifndef VESSEL_SNAPSHOT_SNAP_BUF_H
#define VESSEL_SNAPSHOT_SNAP_BUF_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct snap_writer {
	uint8_t *buf;
	size_t len;
	size_t cap;
	int error;                  /* 0 or -ENOMEM */
};

struct snap_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};

static inline void snap_writer_free(struct snap_writer *w)
{
	free(w->buf);
	*w = (struct snap_writer){ 0 };
}

/* Makes room for n more bytes; a pointer to them, or NULL (error set). */
static inline uint8_t *snap_reserve(struct snap_writer *w, size_t n)
{
	uint8_t *p;

	if (w->error)
		return NULL;
	if (n > SIZE_MAX / 2 - w->len) {
		w->error = -ENOMEM;
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;

		while (cap < w->len + n)
			cap *= 2;
		p = realloc(w->buf, cap);
		if (!p) {
			w->error = -ENOMEM;
			return NULL;
		}
		w->buf = p;
		w->cap = cap;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

static inline void snap_put(struct snap_writer *w, const void *data, size_t n)
{
	uint8_t *p = snap_reserve(w, n);

	if (p && n)
		memcpy(p, data, n);
}

static inline void snap_put_u32(struct snap_writer *w, uint32_t v)
{
	snap_put(w, &v, sizeof(v));
}

static inline void snap_put_u64(struct snap_writer *w, uint64_t v)
{
	snap_put(w, &v, sizeof(v));
}

/* A string as u32 length + bytes (no NUL); NULL is written as length 0xffffffff. */
static inline void snap_put_str(struct snap_writer *w, const char *s)
{
	if (!s) {
		snap_put_u32(w, UINT32_MAX);
		return;
	}
	snap_put_u32(w, (uint32_t)strlen(s));
	snap_put(w, s, strlen(s));
}

static inline struct snap_reader snap_reader_init(const void *buf, size_t len)
{
	return (struct snap_reader){ .buf = buf, .len = len };
}

static inline size_t snap_left(const struct snap_reader *r)
{
	return r->len - r->pos;
}

/* Copies the next n bytes; 0, or -EINVAL (and nothing read) if fewer are left. */
static inline int snap_get(struct snap_reader *r, void *data, size_t n)
{
	if (n > snap_left(r))
		return -EINVAL;
	if (n)
		memcpy(data, r->buf + r->pos, n);
	r->pos += n;
	return 0;
}

/* A pointer to the next n bytes (consumed), or NULL if fewer are left. */
static inline const uint8_t *snap_get_ptr(struct snap_reader *r, size_t n)
{
	const uint8_t *p;

	if (n > snap_left(r))
		return NULL;
	p = r->buf + r->pos;
	r->pos += n;
	return p;
}

static inline int snap_get_u32(struct snap_reader *r, uint32_t *v)
{
	return snap_get(r, v, sizeof(*v));
}

static inline int snap_get_u64(struct snap_reader *r, uint64_t *v)
{
	return snap_get(r, v, sizeof(*v));
}

/*
 * A string written by snap_put_str(), of at most max bytes: *s points into
 * the reader's buffer (not NUL terminated), *len its length; *s is NULL for
 * a NULL string. 0 or -EINVAL.
 */
static inline int snap_get_str(struct snap_reader *r, const char **s, uint32_t *len, uint32_t max)
{
	uint32_t n;

	if (snap_get_u32(r, &n))
		return -EINVAL;
	if (n == UINT32_MAX) {
		*s = NULL;
		*len = 0;
		return 0;
	}
	if (n > max || !(*s = (const char *)snap_get_ptr(r, n)))
		return -EINVAL;
	*len = n;
	return 0;
}

/* A device's load: exactly one state struct of n bytes must remain. */
static inline int snap_get_exact(struct snap_reader *r, void *data, size_t n)
{
	if (snap_left(r) != n)
		return -EINVAL;
	return snap_get(r, data, n);
}

#endif
