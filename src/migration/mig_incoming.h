/* SPDX-License-Identifier: MIT */
/*
 * Live migration, destination side (`vessel run --incoming tcp://ADDR:PORT`):
 * listen, take one source, check its hello (refusing an incompatible guest
 * with a reason the source logs), receive guest RAM into a memfd and the
 * state, then rebuild the machine from the state's configuration as a
 * snapshot restore does (disks at the same paths: shared storage) and
 * acknowledge. Any failure before the ack is answered (when the connection
 * still works) and returned: the caller exits non-zero, the source resumes.
 */
#ifndef VESSEL_MIGRATION_MIG_INCOMING_H
#define VESSEL_MIGRATION_MIG_INCOMING_H

#include <stddef.h>
#include <stdint.h>

#include "core/vm.h"

struct mig_incoming;

/* What the destination's command line insists on; 0: whatever the source has. */
struct mig_incoming_expect {
	uint64_t mem_size;
	uint32_t nr_cpus;
};

/*
 * Listens on url and receives one guest up to the source's end mark.
 * 0 with *out set, or -errno with a one-line reason in err.
 */
__attribute__((warn_unused_result))
int mig_incoming_receive(const char *url, const struct mig_incoming_expect *expect,
			 struct mig_incoming **out, char *err, size_t errlen);

/*
 * Builds vm from what was received (host gives the terminal console, as
 * for snapshot_restore()) and acknowledges it to the source. 0 once the
 * source has the ack: vm is ready for vm_run(). Otherwise vm is not built,
 * the source was told why (if it still listens) and err says it.
 */
__attribute__((warn_unused_result))
int mig_incoming_restore(struct mig_incoming *in, struct vm *vm, const struct vm_config *host,
			 char *err, size_t errlen);

/* After the VM is destroyed. NULL is fine. */
void mig_incoming_free(struct mig_incoming *in);

#endif
