#pragma once
// Runs body(index, worker) for every index in [0, count) on `jobs` threads.
// Each worker number is used by one thread only, so per-worker state (a
// BlockCodec's work memory) needs no locking. The first exception thrown by
// any body is rethrown once all threads have stopped.

#include <cstddef>
#include <functional>

namespace squashpub {

unsigned effective_jobs(unsigned requested); // 0: one per core

void parallel_for(size_t count, unsigned jobs,
                  const std::function<void(size_t index, unsigned worker)>& body);

} // namespace squashpub
