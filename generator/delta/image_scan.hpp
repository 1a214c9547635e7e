#pragma once
// Finds every compressed region of a SquashFS image: file data blocks,
// fragment blocks, and the metadata blocks of every table (inode,
// directory, fragment, export, id, xattr). These are what a delta expands.

#include "generator/squashfs/squashfs_super.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace squashpub::generator {

enum class RegionKind : uint8_t { data, fragment, metadata };

struct CompressedRegion {
    uint64_t offset = 0; // first compressed byte (after a metadata length word)
    uint32_t length = 0; // compressed bytes
    RegionKind kind = RegionKind::data;
};

struct ImageScan {
    ImageHeader header;
    // Sorted by offset, non-overlapping, de-duplicated (files that share
    // blocks list each block once).
    std::vector<CompressedRegion> regions;
    // Largest decompressed size any region can have.
    uint32_t max_uncompressed() const;
};

// Scans the image; corrupt or truncated structures are Errors naming path.
ImageScan scan_image(int fd, const std::string& path);

} // namespace squashpub::generator
