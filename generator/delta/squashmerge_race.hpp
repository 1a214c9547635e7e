#pragma once
// Stock squashmerge (8bcfd46) shares one running offset between the threads
// that expand the source and recompress the target (spec §4.3, R1): every
// worker reads it when it starts, worker 0 overwrites it with its final
// value when it finishes. A worker that owns a block and starts after
// worker 0 has finished works from the wrong offset and the run fails.
//
// Which worker owns what is fixed by the lists: with T threads, source
// record i goes to worker i % T (decompression), target record k to worker
// (k + 1) % T (recompression, walked from the end). So a delta is
//   - immune whatever the timing if its source list holds at most one
//     record and its target list none (no worker but 0 owns anything);
//   - otherwise safe for as long as worker 0 stays busy, which the
//     generator controls by giving worker 0 enough bytes in both phases.
// These functions measure a pair of lists against that rule for every
// thread count a client plausibly runs.

#include "generator/delta/sqdelta_format.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

namespace squashpub::generator {

inline constexpr unsigned kClientThreadsMin = 2;
inline constexpr unsigned kClientThreadsMax = 16;

// How much work worker 0 must own, in decompressed bytes, for every thread
// count from kClientThreadsMin to kClientThreadsMax. Decompression runs at
// ~450 MB/s and lzo1x_999 recompression at ~12-37 MB/s on one core
// (bench/race), so the default keeps worker 0 busy for about 2 ms in the
// decompression phase at 16 threads, and far longer at fewer threads or in
// the recompression phase.
struct RaceMargin {
    uint64_t decompress_bytes = 1u << 20;
    uint64_t compress_bytes = 256u << 10;
    bool disabled() const { return decompress_bytes == 0 && compress_bytes == 0; }
};

// Decompressed bytes worker 0 handles with `threads` threads.
uint64_t first_worker_decompress_bytes(const std::vector<BlockRecord>& source, unsigned threads);
uint64_t first_worker_compress_bytes(const std::vector<BlockRecord>& target, unsigned threads);

// No worker but 0 owns a block, whatever the thread count.
bool immune_to_race(const std::vector<BlockRecord>& source, const std::vector<BlockRecord>& target);

// Immune, or worker 0 owns at least the margin in both phases for every
// thread count in [kClientThreadsMin, kClientThreadsMax].
bool outlasts_start_up(const std::vector<BlockRecord>& source,
                       const std::vector<BlockRecord>& target, const RaceMargin& margin);

// A block both images hold with identical compressed bytes, which the
// delta may expand on both sides at almost no cost: xdelta3 copies its
// decompressed content from the expanded source.
struct PaddingBlock {
    BlockRecord source;
    BlockRecord target;
};

// Yields the next padding block, nullopt when none is left.
using PaddingSource = std::function<std::optional<PaddingBlock>()>;

// Adds padding blocks to both lists until outlasts_start_up holds; returns
// the blocks it added (all there were, and the lists still short, if the
// supply runs out). The lists stay sorted by offset.
std::vector<PaddingBlock> pad_until_safe(std::vector<BlockRecord>& source,
                                         std::vector<BlockRecord>& target,
                                         const PaddingSource& next, const RaceMargin& margin);

} // namespace squashpub::generator
