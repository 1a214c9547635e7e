#pragma once
// Applies a .sqdelta to its source image the way squashmerge does (spec
// §4), written from the specification alone and sharing no delta code
// with the generator. Unlike squashmerge it checks every structure (spec
// §8 items 1-9) and writes the output atomically: a failure leaves no file.

#include <cstdint>
#include <string>

namespace squashpub::verifier {

class RecompressionMemo;

struct ApplyOptions {
    std::string temp_dir; // empty: $TMPDIR or /tmp
    unsigned jobs = 0;    // 0: one per core
    // Optional: shared by applies to the same target (see recompression_memo.hpp).
    RecompressionMemo* memo = nullptr;
};

struct ApplyResult {
    uint32_t source_blocks = 0;
    uint32_t target_blocks = 0;
    uint64_t output_bytes = 0;
};

ApplyResult apply_delta(const std::string& source_path, const std::string& delta_path,
                        const std::string& output_path, const ApplyOptions& options);

} // namespace squashpub::verifier
