/* SPDX-License-Identifier: MIT */
/* Freestanding string/memory helpers and formatting. */
#ifndef VESSEL_GUEST_LIB_H
#define VESSEL_GUEST_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/* %s %c %d %u %x with optional zero-pad width and l/ll (all 64-bit), and %p. Always terminates. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* 64-bit FNV-1a over n bytes; _update continues a hash started at FNV1A64_INIT. */
#define FNV1A64_INIT	0xcbf29ce484222325ULL
uint64_t fnv1a64(const void *p, size_t n);
uint64_t fnv1a64_update(uint64_t h, const void *p, size_t n);

/* Parse "123", "0x1f", with optional K/M/G suffix. Returns 0 or -1. */
int parse_size(const char *s, uint64_t *out);

/* Parse exactly n colon-separated sizes ("100:20:5" for n = 3). Returns 0 or -1. */
int parse_sizes(const char *s, uint64_t *v, int n);

#endif
