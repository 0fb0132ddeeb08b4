/* SPDX-License-Identifier: MIT */
/* Parsing sizes, counts and on/off switches given on the command line. */
#ifndef VESSEL_CLI_SIZE_H
#define VESSEL_CLI_SIZE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * "512M", "2G", "2GiB", "1.5G", "4096K", "1T"; a plain number means MiB (as
 * QEMU's -m). 0 or -EINVAL (not a size) / -ERANGE (overflows 64 bits).
 */
int size_parse(const char *str, uint64_t *bytes);

/* A decimal count 0..max; 0 or -EINVAL / -ERANGE. */
int count_parse(const char *str, uint64_t max, uint64_t *value);

/* "on" or "off"; 0 or -EINVAL. */
int onoff_parse(const char *str, bool *on);

#endif
