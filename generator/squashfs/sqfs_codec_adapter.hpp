#pragma once
// libsquashfs compressors for the image writer. LZO and fast LZ4 go through
// core's BlockCodec, the exact calls the sqdelta client recompresses with
// (Debian's libsquashfs has no LZO at all, and its LZ4 can emit "compressed"
// blocks larger than their input). gzip, xz and zstd use libsquashfs's own.

#include "config/image_config.hpp"

#include <memory>
#include <sqfs/predef.h>

namespace squashpub::generator {

struct SqfsObjectDeleter {
    void operator()(void* object) const;
};
using SqfsCompressorPtr = std::unique_ptr<sqfs_compressor_t, SqfsObjectDeleter>;

// A compressor (or, with for_decompression, a decompressor) for the image
// options; its write_options writes the options block mksquashfs would.
SqfsCompressorPtr make_sqfs_compressor(const config::ImageOptions& options, bool for_decompression);

// The SquashFS compressor id (SQFS_COMP_*) for a compressor.
uint16_t squashfs_compressor_id(config::Compressor compressor);

} // namespace squashpub::generator
