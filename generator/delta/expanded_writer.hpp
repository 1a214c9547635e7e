#pragma once
// Writes an "expanded file" (spec §2.5): the image with the listed
// compressed regions zeroed, then their decompressed contents in list
// order, then the block list, then a 16-byte header. Blocks are processed
// in bounded batches on several threads, so memory stays small however
// large the image.

#include "core/block_codec.hpp"
#include "generator/delta/image_scan.hpp"
#include "generator/delta/sqdelta_format.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace squashpub {
class Progress;
}

namespace squashpub::generator {

// Remembers which target blocks recompress exactly, so that the deltas of
// one run (which all share their target image) check each block once.
// Keyed by the block's offset and length in that one target image.
class RecompressionCache {
  public:
    std::optional<bool> find(uint64_t offset, uint32_t length) const;
    void store(uint64_t offset, uint32_t length, bool reproduces);

  private:
    mutable std::mutex mutex_;
    std::map<std::pair<uint64_t, uint32_t>, bool> results_;
};

struct ExpansionInput {
    int image_fd = -1;
    std::string image_path;
    uint64_t image_size = 0;
    uint32_t max_uncompressed = 0;
    std::vector<CompressedRegion> candidates; // sorted, non-overlapping
    CompressionSpec compression;              // written into the trailer
    // Target side: list a block only if the client's call recompresses its
    // content to exactly the original bytes (spec §5.6).
    bool require_exact_recompression = false;
    RecompressionCache* cache = nullptr; // optional, for the target side
    unsigned jobs = 0;
};

struct ExpandedFile {
    std::vector<BlockRecord> records; // what was listed, ascending by offset
    uint64_t size = 0;
    uint64_t not_reproducible = 0; // candidates left compressed because they don't round-trip
    uint64_t uncompressed_bytes = 0;
};

ExpandedFile write_expanded_file(const ExpansionInput& input, int out_fd,
                                 const std::string& out_path, Progress* progress);

} // namespace squashpub::generator
