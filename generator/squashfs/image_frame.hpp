#pragma once
// What every image starts and ends with, whatever its layout: the
// superblock and compressor options first (the superblock rewritten once
// the tables are placed), and padding to 4 KiB at the end, as mksquashfs
// leaves it so that the image fills whole device blocks.

#include "config/image_config.hpp"
#include "generator/squashfs/sqfs_codec_adapter.hpp"

#include <sqfs/super.h>
#include <string>

namespace squashpub::generator {

// Throws an Error naming subject when a libsquashfs call failed.
void check_sqfs(int rc, const std::string& subject, const std::string& action);

// Sets up super for the options and writes it and the compressor options.
void begin_image(sqfs_super_t& super, const config::ImageOptions& options, uint32_t mtime,
                 sqfs_file_t* file, sqfs_compressor_t* compressor, const std::string& subject);

// Writes the final superblock and the padding; returns the image size.
uint64_t finish_image(sqfs_super_t& super, uint32_t mtime, sqfs_file_t* file,
                      const std::string& subject);

} // namespace squashpub::generator
