#pragma once
// The SquashFS 4.0 superblock and compressor options of an existing image,
// validated for delta encoding: only LZO (lzo1x_999) and fast LZ4 images
// can be rebuilt by sqdelta clients (spec §3.1, §6).

#include "core/block_codec.hpp"

#include <cstdint>
#include <string>

namespace squashpub::generator {

inline constexpr uint64_t kNoTable = ~uint64_t{0};
inline constexpr uint32_t kMetadataBlockSize = 8192;

struct SquashfsSuper {
    uint32_t inode_count = 0;
    uint32_t block_size = 0;
    uint32_t fragment_count = 0;
    uint16_t compressor_id = 0;
    uint16_t flags = 0;
    uint16_t id_count = 0;
    uint64_t root_inode_ref = 0;
    uint64_t bytes_used = 0;
    uint64_t id_table_start = 0;
    uint64_t xattr_id_table_start = 0;
    uint64_t inode_table_start = 0;
    uint64_t directory_table_start = 0;
    uint64_t fragment_table_start = 0;
    uint64_t export_table_start = 0;
};

struct ImageHeader {
    SquashfsSuper super;
    uint64_t file_size = 0;
    // The client-side compression that should reproduce the image's blocks.
    // For LZO, lzo_optimized is a first guess (mksquashfs >= 4.3 optimizes);
    // the encoder confirms it on real blocks.
    CompressionSpec compression;
};

// Reads and checks the superblock of any SquashFS 4.0 image.
SquashfsSuper read_squashfs_super(int fd, const std::string& path);

// Reads and validates superblock and options. Errors name path.
ImageHeader read_image_header(int fd, const std::string& path);

} // namespace squashpub::generator
