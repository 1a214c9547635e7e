#pragma once
// Applies a .sqdelta to its source image the way squashmerge does (spec
// §4), written from the specification alone and sharing no delta code
// with the generator. Unlike squashmerge it checks every structure (spec
// §8 items 1-9) and writes the output atomically: a failure leaves no file.

#include "core/files.hpp"

#include <cstdint>
#include <string>

namespace squashpub::verifier {

class RecompressionMemo;

// SquashFS images (and so .sqdelta offsets) end below 4 GiB.
inline constexpr uint64_t kMaxImageBytes = 4ull << 30;
// An expanded target is the image plus the decompressed content of its
// listed blocks, their list and a trailer: four times the largest image
// allows content compressed 3:1 and more, yet stops a bomb.
inline constexpr uint64_t kDefaultMaxOutput = 4 * kMaxImageBytes;

struct ApplyOptions {
    std::string temp_dir; // empty: $TMPDIR or /tmp
    unsigned jobs = 0;    // 0: one per core
    // Optional: shared by applies to the same target (see recompression_memo.hpp).
    RecompressionMemo* memo = nullptr;
    // A delta whose VCDIFF windows declare a larger expanded target is
    // refused before xdelta3 runs (vcdiff_windows.hpp); xdelta3 itself is
    // stopped once it writes more than the windows declared.
    uint64_t max_output = kDefaultMaxOutput;
    // A delta whose source blocks would expand the source image past this
    // is refused before any block is decompressed.
    uint64_t max_expanded_source = kDefaultMaxOutput;
    // scratch: the caller reads the output back and removes it (a
    // test-apply), so it is not fsynced.
    Durability output = Durability::synced;
};

struct ApplyResult {
    uint32_t source_blocks = 0;
    uint32_t target_blocks = 0;
    uint64_t output_bytes = 0;
};

ApplyResult apply_delta(const std::string& source_path, const std::string& delta_path,
                        const std::string& output_path, const ApplyOptions& options);

} // namespace squashpub::verifier
