/* SPDX-License-Identifier: MIT */
/*
 * Logging to stderr, prefixed "vessel: ". log_ratelimited() is for anything a
 * guest can trigger: at most a burst per interval per call site.
 */
#ifndef VESSEL_CORE_LOG_H
#define VESSEL_CORE_LOG_H

#include <stdbool.h>
#include <stdint.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
/* True if messages of level are printed (to skip work that only feeds them). */
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct log_ratelimit {
	uint64_t window_start_ns;
	uint32_t printed;
	uint32_t suppressed;
};

/* True if a message may be printed now (10 per 5 s per state). */
bool log_ratelimit_allow(struct log_ratelimit *rl);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* A guest-triggered warning, rate limited per call site. */
#define log_guest(...) do { \
		static struct log_ratelimit rl_; \
		if (log_ratelimit_allow(&rl_)) \
			log_msg(LOG_WARN, __VA_ARGS__); \
	} while (0)

#endif
