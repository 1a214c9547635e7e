#pragma once
// A VCDIFF payload (spec §2.6) whose cost follows the change, not the
// image. With the stable layout most of the expanded target equals the
// expanded source byte for byte: at the same offsets in the image part, and
// block for block in the decompressed data. Those runs become windows of
// one COPY each, written here; xdelta3 encodes only the ranges between
// them, each against a slice of the source around where its counterpart
// lies. Every VCDIFF window names its own source segment, so the pieces
// join into one stream that stock `xdelta3 -d` decodes (RFC 3284 §4.2),
// with every window's Adler-32 (xdelta3's VCD_ADLER32) kept.

#include "generator/delta/sqdelta_format.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::generator {

// One expanded file (spec §2.5) as written by write_expanded_file.
struct ExpandedView {
    int fd = -1;
    std::string path;
    uint64_t image_size = 0; // where the decompressed data begins
    uint64_t size = 0;       // the whole file
    const std::vector<BlockRecord>* records = nullptr;
};

// target bytes [target, target+length) equal source bytes [source, ...).
struct KnownMatch {
    uint64_t target = 0, source = 0, length = 0;
};

struct SpliceOptions {
    // Runs shorter than this stay with xdelta3, which encodes them in a
    // few bytes; each COPY window costs about 28.
    uint64_t min_copy = 256u << 10;
    // Source bytes either side of a range's expected counterpart that
    // xdelta3 sees: moves in the layout by up to this much still match.
    uint64_t margin = 1u << 20;
    // The same for ranges of decompressed data, whose counterparts move
    // further: every changed block ahead of them shifts them.
    uint64_t data_margin = 16u << 20;
    // Splice only when the runs skip at least this many bytes: below it
    // one xdelta3 run over the whole files is fast, and smaller on long
    // pairs (GURU, 15 MB images, forced: 29 days 284,972 against 269,916).
    uint64_t min_skipped = 64u << 20;
    // More xdelta3 ranges than this: min_copy doubles until they fit.
    size_t max_ranges = 64;
};

struct SpliceStats {
    uint64_t copied_bytes = 0;  // target bytes in COPY windows
    uint64_t encoded_bytes = 0; // target bytes xdelta3 encoded
    uint64_t copy_windows = 0;
    uint64_t xdelta3_runs = 0;
};

// Equal runs of the two expanded files, grown as far as both agree from
// seeds: the caller's (blocks both images hold compressed, wherever the
// layout moved them), the image parts' 4 KiB pages at the same offsets, and
// decompressed blocks whose content the source holds. Ascending by target,
// non-overlapping.
std::vector<KnownMatch> find_known_matches(const ExpandedView& source, const ExpandedView& target,
                                           const std::vector<KnownMatch>& seeds);

// Writes the payload for target against source to out_fd (at its current
// position), or returns nullopt without writing when the matches skip less
// than options.min_skipped (the caller then runs xdelta3 on the whole).
// Temporary files go to work_dir.
std::optional<SpliceStats> encode_spliced(const ExpandedView& source, const ExpandedView& target,
                                          int out_fd, const std::string& out_path,
                                          const std::string& work_dir,
                                          const std::vector<KnownMatch>& seeds,
                                          const SpliceOptions& options);

// xdelta3 with kXdeltaEncodeFlags, stdout to out_fd; source_window sets -B.
void run_xdelta3_encoder(const std::string& source, const std::string& target, int out_fd,
                         const std::string& output_path, uint64_t source_window = 0);

} // namespace squashpub::generator
