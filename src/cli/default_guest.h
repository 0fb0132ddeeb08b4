/* SPDX-License-Identifier: MIT */
/*
 * What `vessel run` boots without --kernel: the Debian Linux guest (made by
 * tests/linux/fetch.sh) where guest kernels run natively, else the vessel
 * test guest built with vessel, so a newcomer sees a working VM anywhere.
 */
#ifndef VESSEL_CLI_DEFAULT_GUEST_H
#define VESSEL_CLI_DEFAULT_GUEST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct default_guest {
	char kernel[PATH_MAX];
	char initrd_buf[PATH_MAX];
	const char *initrd;         /* NULL or initrd_buf */
	const char *cmdline;
	const char *description;
};

/*
 * Picks the default guest; native_kernels says whether guest kernels run
 * natively (false on a kvm_pvm host). 0, or -ENOENT with the reason (and how
 * to fix it) in err.
 */
int default_guest_find(struct default_guest *guest, bool native_kernels, char *err, size_t errlen);

#endif
