/* SPDX-License-Identifier: MIT */
/* Shared by the disk commands (blk_cmd.c, blk_bench.c, blk_bad.c). */
#ifndef VESSEL_GUEST_BLK_CMD_H
#define VESSEL_GUEST_BLK_CMD_H

#include <stdint.h>
#include "virtio_blk.h"

#define BLK_ARGS_MAX		8
#define BLK_ARG_LEN		32
#define BLK_BUF_BYTES		(4u << 20)	/* data buffers, outside the loaded image */

/* Data buffers for all disk commands (one command runs at a time). */
extern uint8_t blk_buf[BLK_BUF_BYTES];

/* Split "a:b:c" into at most max fields. Number of fields, or -1 if too many/long. */
int blk_args_split(const char *arg, char fields[][BLK_ARG_LEN], int max);
/*
 * Open disk `index` (a decimal field) up to DRIVER_OK in the one shared
 * driver instance. NULL after printing "<cmd>.error=<why>".
 */
struct virtio_blk *blk_cmd_open(const char *cmd, const char *index);
/* splitmix64's output function of x + the golden gamma: the pattern word of a byte offset. */
uint64_t blk_pattern_word(uint64_t seed, uint64_t byte_off);

#endif
