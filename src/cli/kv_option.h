/* SPDX-License-Identifier: MIT */
/*
 * The key=value items of an option such as --disk path=F,readonly=on: split
 * at commas (in place), each key looked up in the option's table and taken
 * at most once, with the messages every such option gives:
 *
 *   --disk: empty item (stray comma?)
 *   --disk 'x': expected key=value (keys: path, readonly, ...)
 *   --disk: unknown key 'size' (keys: path, readonly, ...)
 *   --disk: path given twice
 *   --disk readonly='yes': expected 'on' or 'off'
 *
 *	static const char *const keys[] = { "cid", "uds" };
 *	struct kv_option kv = KV_OPTION("--vsock", keys, arg);
 *
 *	while ((ret = kv_option_next(&kv, &key, &val, err, errlen)) > 0)
 *		... switch (key) ...
 */
#ifndef VESSEL_CLI_KV_OPTION_H
#define VESSEL_CLI_KV_OPTION_H

#include <stdbool.h>
#include <stddef.h>

struct kv_option {
	const char *opt;            /* "--disk": how every message starts */
	const char *const *keys;    /* the keys an item may have, at most 32 */
	unsigned int nr_keys;
	const char *after;          /* NULL, or where items go: "expected key=value after the size" */
	size_t max_item;            /* 0, or the longest item taken ("'...' is too long" beyond it) */
	char *rest;                 /* the items not read yet; NULL when none are left */
	unsigned int seen;          /* bit k: keys[k] was given */
};

/* The items of arg (split in place; NULL: none) for opt, with the array keys. */
#define KV_OPTION(opt_, keys_, arg_) \
	((struct kv_option){ .opt = (opt_), .keys = (keys_), \
			     .nr_keys = sizeof(keys_) / sizeof((keys_)[0]), .rest = (arg_) })

/*
 * The next item: 1 with *key its key's index in keys and *val its value
 * (a NUL-terminated part of the argument), 0 when none is left, or -EINVAL
 * with a one-line message in err.
 */
int kv_option_next(struct kv_option *kv, unsigned int *key, char **val, char *err, size_t errlen);

/*
 * Looks name up and counts it as given (for options that split their items
 * themselves): its index in keys, or -EINVAL ("unknown key", "given twice")
 * with the message in err.
 */
int kv_option_key(struct kv_option *kv, const char *name, char *err, size_t errlen);

/* Whether keys[key] was given. */
bool kv_option_given(const struct kv_option *kv, unsigned int key);

/* The value of keys[key] as "on" or "off" into *on: 0, or -EINVAL with the message in err. */
int kv_option_onoff(const struct kv_option *kv, unsigned int key, const char *val, bool *on,
		    char *err, size_t errlen);

#endif
