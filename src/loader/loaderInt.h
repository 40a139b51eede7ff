/* loaderInt.h — the loader's internals that tests reach.
 *
 * The builder allocates every chunk and batch buffer through one allocator
 * table (core's ramp__hostmem): malloc, or page-locked memory when
 * ramp_loader_opts.pin_memory asks. A test swaps the table for one that
 * counts or fails allocations, to check that every buffer goes through it,
 * that frees match, and that a failure is a clean error.
 */
#ifndef RAMP_LOADER_INT_H
#define RAMP_LOADER_INT_H

#include "core/genInt.h"
#include "ramp/loader.h"

/* Makes the builder allocate its blocks from hm (borrowed: it must outlive
   every block, pins included), and report pin_memory = hm->pinned. Only
   before the builder's first generator (EINVAL afterwards). */
ramp_status ramp__gen_builder_set_hostmem(ramp_gen_builder *gb, const ramp__hostmem *hm);

#endif
