#pragma once
// A SquashFS metadata table (inode or directory table) handled as what it
// is underneath: one uncompressed byte stream cut into 8 KiB blocks, each
// stored compressed or not behind a 16-bit length word. A record's
// reference is (on-disk start of its block) << 16 | offset in the block.
//
// Reading one back is here; writing one is metadata_table_writer's.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::generator {

// A table as stored in an image.
struct StoredTable {
    std::string content;                // uncompressed, all blocks concatenated
    std::vector<uint64_t> block_starts; // on-disk offset of each block, from the table start
    std::vector<bool> block_compressed;
    std::vector<uint32_t> block_sizes; // stored bytes of each block, length word not counted
    uint64_t stored_size = 0;
    std::vector<std::string> stored_blocks; // length word and data (written tables only)

    // The content offset a reference points at, or nullopt if no block
    // starts there.
    std::optional<uint64_t> content_offset(uint64_t ref) const;
    // Leading blocks stored uncompressed.
    size_t leading_raw_blocks() const;
};

// Decompresses in[0, size) into out[0, capacity); nullopt on failure.
using Decompress = std::function<std::optional<size_t>(const uint8_t* in, size_t size, uint8_t* out,
                                                       size_t capacity)>;

// Reads the metadata blocks in [start, end) of fd.
StoredTable read_stored_table(int fd, const std::string& path, uint64_t start, uint64_t end,
                              const Decompress& decompress, const std::string& what);

// Reads the one metadata block each index entry points at (the fragment,
// export and id tables), none reaching past limit. Block starts are
// offsets in the file.
StoredTable read_indexed_table(int fd, const std::string& path, const std::vector<uint64_t>& index,
                               uint64_t limit, const Decompress& decompress,
                               const std::string& what);

} // namespace squashpub::generator
