#pragma once
// Computes a squashmerge-compatible delta between two SquashFS images
// (spec §1): expand the compressed blocks of both, then run xdelta3 on the
// expanded files. The delta appears atomically, or not at all.

#include "core/files.hpp"
#include "generator/delta/squashmerge_race.hpp"
#include "generator/delta/vcdiff_splice.hpp"

#include <cstdint>
#include <string>

namespace squashpub::generator {

// What to do with blocks whose compressed bytes both images hold.
enum class SharedBlocks {
    keep,      // leave them compressed: xdelta3 copies them verbatim (the reference)
    expand,    // expand them too: xdelta3 then also matches inside them
    automatic, // small images: build both and keep the smaller; large: keep
};

// Below this size (each image) `automatic` builds both variants.
inline constexpr uint64_t kAutoSharedBlocksLimit = 128ull << 20;

class RecompressionCache;

struct DeltaOptions {
    std::string temp_dir; // empty: $TMPDIR or /tmp
    unsigned jobs = 0;    // 0: one per core
    SharedBlocks shared_blocks = SharedBlocks::automatic;
    // Shared by deltas to the same target image (optional).
    RecompressionCache* target_checks = nullptr;
    // Stock squashmerge's thread race (squashmerge_race.hpp): how much work
    // its worker 0 must own; zero margins turn the guard off.
    RaceMargin race_margin;
    // Runs both expanded files share go into the payload as COPY windows,
    // xdelta3 encodes the rest (vcdiff_splice.hpp).
    SpliceOptions splice;
    // scratch: the caller makes the delta durable itself (the publisher
    // syncs a night's deltas once they are all built).
    Durability output = Durability::synced;
};

struct DeltaStats {
    uint64_t source_candidates = 0;
    uint64_t target_candidates = 0;
    uint64_t shared_blocks = 0; // excluded from both lists
    uint64_t source_listed = 0;
    uint64_t target_listed = 0;
    uint64_t target_unreproducible = 0; // left compressed: they don't round-trip
    uint64_t expanded_source_bytes = 0;
    uint64_t expanded_target_bytes = 0;
    uint64_t delta_bytes = 0;
    uint32_t compression = 0;
    bool expanded_shared = false; // which variant was kept
    // How the delta meets squashmerge's race: "immune" (lists too short
    // for any worker but 0 to own a block), "natural" (long enough as
    // they are), "padded" (shared blocks added), "unexpanded" (nothing to
    // pad with: no lists at all).
    std::string race_guard;
    uint64_t race_padding = 0;       // shared blocks expanded for the guard
    uint64_t spliced_copy_bytes = 0; // target bytes xdelta3 was spared (0: one xdelta3 run)
};

// Fills cache with the exact-recompression result of every compressed
// block of target, on jobs threads: done once, it serves every delta of a
// run to that target.
void precheck_recompression(const std::string& target_path, RecompressionCache& cache,
                            unsigned jobs);

DeltaStats encode_delta(const std::string& source_path, const std::string& target_path,
                        const std::string& output_path, const DeltaOptions& options);

// The xdelta3 encoder arguments, measured in bench/delta (README).
inline constexpr const char* kXdeltaEncodeFlags[] = {"-e", "-9", "-S", "djw", "-A", "-c"};

} // namespace squashpub::generator
