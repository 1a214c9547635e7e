#pragma once
// Writes a SquashFS 4.0 image of a tree with libsquashfs: data and
// fragments through its block processor (which also deduplicates), then
// the inode, directory, fragment and id tables, then the superblock.
// The output appears atomically; a failure leaves no file behind.

#include "config/image_config.hpp"
#include "generator/source/tree.hpp"

#include <string>

namespace squashpub::generator {

struct ImageStats {
    uint64_t inodes = 0;
    uint64_t files = 0;
    uint64_t input_bytes = 0;
    uint64_t image_bytes = 0;
};

// The timestamp every inode and the superblock get: options.mtime, else
// SOURCE_DATE_EPOCH, else the source's revision time, else 0.
uint32_t choose_image_time(const config::ImageOptions& options, const TreeSource& source);

// layout_from names the previous image whose layout a stable-layout image
// carries over ("" for none).
ImageStats write_image(const TreeSource& source, const config::ImageOptions& options,
                       uint32_t mtime, const std::string& output_path,
                       const std::string& layout_from = "");

} // namespace squashpub::generator
