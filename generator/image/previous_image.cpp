#include "generator/image/previous_image.hpp"

#include "core/byte_order.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

#include <algorithm>
#include <set>
#include <sqfs/compressor.h>

namespace squashpub::generator {
namespace {

constexpr uint32_t kUncompressedDataBit = 1u << 24;

// Where the directory table ends: at the first structure after it, which
// may be the metadata blocks of an indexed table (found through its index).
uint64_t directory_table_end(int fd, const std::string& path, const SquashfsSuper& s) {
    const uint64_t start = s.directory_table_start;
    uint64_t end = s.bytes_used;
    auto consider = [&](uint64_t other) {
        if (other != kNoTable && other > start && other < end)
            end = other;
    };
    for (uint64_t index : {s.fragment_table_start, s.export_table_start, s.id_table_start}) {
        if (index == kNoTable || index + 8 > s.bytes_used)
            continue;
        consider(index);
        if (index == s.fragment_table_start && s.fragment_count == 0)
            continue;
        uint8_t first[8];
        read_exact_at(fd, first, 8, index, path);
        consider(load_le64(first));
    }
    consider(s.xattr_id_table_start);
    return end;
}

} // namespace

PreviousImage::PreviousImage(const std::string& path, const config::ImageOptions& options)
    : path_(path), fd_(open_for_reading(path)), super_(read_squashfs_super(fd_.get(), path)),
      options_(options), decompressor_(make_sqfs_compressor(options, true)) {
    auto decompress = [this](const uint8_t* in, size_t size, uint8_t* out,
                             size_t capacity) -> std::optional<size_t> {
        const sqfs_s32 n =
            decompressor_->do_block(decompressor_.get(), in, static_cast<sqfs_u32>(size), out,
                                    static_cast<sqfs_u32>(capacity));
        if (n <= 0)
            return std::nullopt;
        return static_cast<size_t>(n);
    };
    inodes_ = read_stored_table(fd_.get(), path, super_.inode_table_start,
                                super_.directory_table_start, decompress, "inode table");
    directories_ = read_stored_table(fd_.get(), path, super_.directory_table_start,
                                     directory_table_end(fd_.get(), path, super_), decompress,
                                     "directory table");
    read_fragment_table(decompress);
    walk_inode_tree(inodes_, directories_, super_.root_inode_ref, super_.block_size, path,
                    [this](const WalkedInode& walked) { entries_.emplace(walked.path, walked); });
}

void PreviousImage::read_fragment_table(
    const std::function<std::optional<size_t>(const uint8_t*, size_t, uint8_t*, size_t)>&
        decompress) {
    const uint32_t count = super_.fragment_count;
    if (count == 0)
        return;
    const uint64_t blocks = (uint64_t{count} * 16 + kMetadataBlockSize - 1) / kMetadataBlockSize;
    std::vector<uint64_t> index(blocks);
    for (uint64_t b = 0; b < blocks; ++b) {
        uint8_t raw[8];
        read_exact_at(fd_.get(), raw, 8, super_.fragment_table_start + 8 * b, path_);
        index[b] = load_le64(raw);
    }
    const std::string entries =
        read_indexed_table(fd_.get(), path_, index, super_.bytes_used, decompress, "fragment table")
            .content;
    if (entries.size() < uint64_t{count} * 16)
        throw Error(path_, "corrupt image: fragment table shorter than its entry count");
    fragments_.resize(count);
    for (uint32_t i = 0; i < count; ++i) {
        const auto* p = reinterpret_cast<const uint8_t*>(entries.data()) + 16 * i;
        PreviousFragment& fragment = fragments_[i];
        fragment.start = load_le64(p);
        fragment.size_word = load_le32(p + 8);
        const uint32_t size = fragment.size_word & ~kUncompressedDataBit;
        if (size > super_.block_size || fragment.start + size > super_.bytes_used)
            throw Error(path_, "corrupt image: fragment block " + std::to_string(i) +
                                   " lies outside the image");
    }
}

const WalkedInode* PreviousImage::find(const std::string& path) const {
    auto it = entries_.find(path);
    return it == entries_.end() ? nullptr : &it->second;
}

std::string PreviousImage::stored_blocks(const InodeRecord& file) const {
    uint64_t total = 0;
    for (uint32_t word : file.block_sizes)
        total += word & ~kUncompressedDataBit;
    if (file.blocks_start + total > super_.bytes_used)
        throw Error(path_, "corrupt image: data blocks lie outside the image");
    std::string bytes(total, '\0');
    read_exact_at(fd_.get(), bytes.data(), total, file.blocks_start, path_);
    return bytes;
}

std::string PreviousImage::stored_fragment(uint32_t index) const {
    const PreviousFragment& fragment = fragments_.at(index);
    std::string bytes(fragment.size_word & ~kUncompressedDataBit, '\0');
    read_exact_at(fd_.get(), bytes.data(), bytes.size(), fragment.start, path_);
    return bytes;
}

std::string PreviousImage::block_content(const InodeRecord& file, size_t index) const {
    uint64_t offset = file.blocks_start;
    for (size_t i = 0; i < index; ++i)
        offset += file.block_sizes[i] & ~kUncompressedDataBit;
    const uint32_t word = file.block_sizes.at(index);
    const uint32_t size = word & ~kUncompressedDataBit;
    std::string stored(size, '\0');
    if (offset + size > super_.bytes_used)
        throw Error(path_, "corrupt image: data block lies outside the image");
    read_exact_at(fd_.get(), stored.data(), size, offset, path_);
    if (size == 0)
        return std::string(super_.block_size, '\0'); // sparse
    if (word & kUncompressedDataBit)
        return stored;
    std::string plain(super_.block_size, '\0');
    const sqfs_s32 n = decompressor_->do_block(
        decompressor_.get(), reinterpret_cast<const sqfs_u8*>(stored.data()), size,
        reinterpret_cast<sqfs_u8*>(plain.data()), super_.block_size);
    if (n <= 0)
        throw Error(path_, "corrupt image: data block at offset " + std::to_string(offset) +
                               " does not decompress");
    plain.resize(static_cast<size_t>(n));
    return plain;
}

std::string PreviousImage::tail(const InodeRecord& file) const {
    if (file.fragment_index == kNoFragment)
        return {};
    const uint64_t size = file.file_size % super_.block_size;
    if (file.fragment_index >= fragments_.size())
        throw Error(path_, "corrupt image: fragment index out of range");
    const std::string& content = recent_fragment(file.fragment_index);
    if (file.fragment_offset > content.size() || size > content.size() - file.fragment_offset)
        throw Error(path_, "corrupt image: fragment slice outside its block");
    return content.substr(file.fragment_offset, size);
}

const std::string& PreviousImage::recent_fragment(uint32_t index) const {
    constexpr size_t kRecentFragments = 8;
    auto it = std::find_if(recent_fragments_.begin(), recent_fragments_.end(),
                           [&](const auto& recent) { return recent.first == index; });
    if (it == recent_fragments_.end()) {
        if (recent_fragments_.size() == kRecentFragments)
            recent_fragments_.pop_back();
        recent_fragments_.emplace_back(index, fragment_content(index, decompressor_.get()));
        it = std::prev(recent_fragments_.end());
    }
    std::rotate(recent_fragments_.begin(), it, std::next(it));
    return recent_fragments_.front().second;
}

std::string PreviousImage::fragment_content(uint32_t index, sqfs_compressor_t* decompressor) const {
    const PreviousFragment& fragment = fragments_.at(index);
    std::string stored = stored_fragment(index);
    if (stored.empty() || (fragment.size_word & kUncompressedDataBit))
        return stored;
    std::string content(super_.block_size, '\0');
    const sqfs_s32 n = decompressor->do_block(
        decompressor, reinterpret_cast<const sqfs_u8*>(stored.data()),
        static_cast<sqfs_u32>(stored.size()), reinterpret_cast<sqfs_u8*>(content.data()),
        static_cast<sqfs_u32>(content.size()));
    if (n <= 0)
        throw Error(path_, "corrupt image: fragment block " + std::to_string(index) +
                               " does not decompress");
    content.resize(static_cast<size_t>(n));
    return content;
}

SqfsCompressorPtr PreviousImage::make_decompressor() const {
    return make_sqfs_compressor(options_, true);
}

std::unique_ptr<PreviousImage> load_previous_image(const std::string& path,
                                                   const config::ImageOptions& options) {
    UniqueFd fd = open_for_reading(path);
    const SquashfsSuper super = read_squashfs_super(fd.get(), path);
    std::string mismatch;
    if (super.compressor_id != squashfs_compressor_id(options.compressor))
        mismatch = "another compressor";
    else if (super.block_size != options.block_size)
        mismatch = "block size " + std::to_string(super.block_size);
    else if (options.compressor == config::Compressor::lzo) {
        const ImageHeader header = read_image_header(fd.get(), path);
        const int level = options.level.value_or(config::level_range(options.compressor)->fallback);
        if (header.compression.lzo_level != level)
            mismatch = "LZO level " + std::to_string(header.compression.lzo_level);
    }
    if (!mismatch.empty()) {
        log_warning(path + ": built with " + mismatch +
                    "; its layout is not carried over (this image starts a fresh layout)");
        return nullptr;
    }
    return std::make_unique<PreviousImage>(path, options);
}

} // namespace squashpub::generator
