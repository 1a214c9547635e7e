#pragma once
// Computes a squashmerge-compatible delta between two SquashFS images
// (spec §1): expand the compressed blocks of both, then run xdelta3 on the
// expanded files. The delta appears atomically, or not at all.

#include <cstdint>
#include <string>

namespace squashpub::generator {

struct DeltaOptions {
    std::string temp_dir; // empty: $TMPDIR or /tmp
    unsigned jobs = 0;    // 0: one per core
    // Also expand blocks whose compressed bytes both images share. Off by
    // default: xdelta3 copies a shared compressed block cheaply, and
    // expanding it only lengthens the lists (see README, "Delta tuning").
    bool expand_shared = false;
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
};

DeltaStats encode_delta(const std::string& source_path, const std::string& target_path,
                        const std::string& output_path, const DeltaOptions& options);

// The xdelta3 encoder arguments, measured in bench/delta (README).
inline constexpr const char* kXdeltaEncodeFlags[] = {"-e", "-9", "-S", "djw", "-A", "-c"};

} // namespace squashpub::generator
