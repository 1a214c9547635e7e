#include "generator/squashfs/image_frame.hpp"

#include "core/error.hpp"

#include <sqfs/compressor.h>
#include <sqfs/io.h>
#include <vector>

namespace squashpub::generator {
namespace {

constexpr uint64_t kDevBlockSize = 4096;

} // namespace

void check_sqfs(int rc, const std::string& subject, const std::string& action) {
    if (rc != 0)
        throw Error(subject, action + " failed (libsquashfs error " + std::to_string(rc) + ")");
}

void begin_image(sqfs_super_t& super, const config::ImageOptions& options, uint32_t mtime,
                 sqfs_file_t* file, sqfs_compressor_t* compressor, const std::string& subject) {
    const auto id = static_cast<SQFS_COMPRESSOR>(squashfs_compressor_id(options.compressor));
    check_sqfs(sqfs_super_init(&super, options.block_size, mtime, id), subject, "superblock setup");
    super.flags |= SQFS_FLAG_NO_XATTRS;
    check_sqfs(sqfs_super_write(&super, file), subject, "writing the superblock");
    const int written = compressor->write_options(compressor, file);
    if (written < 0)
        check_sqfs(written, subject, "writing compressor options");
    if (written > 0)
        super.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;
}

uint64_t finish_image(sqfs_super_t& super, uint32_t mtime, sqfs_file_t* file,
                      const std::string& subject) {
    super.bytes_used = file->get_size(file);
    super.modification_time = mtime;
    check_sqfs(sqfs_super_write(&super, file), subject, "superblock");
    const uint64_t padding = (kDevBlockSize - super.bytes_used % kDevBlockSize) % kDevBlockSize;
    if (padding) {
        std::vector<uint8_t> zeros(padding);
        check_sqfs(file->write_at(file, super.bytes_used, zeros.data(), padding), subject,
                   "padding");
    }
    return super.bytes_used + padding;
}

} // namespace squashpub::generator
