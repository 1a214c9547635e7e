#include "generator/squashfs/squashfs_super.hpp"

#include "core/byte_order.hpp"
#include "core/error.hpp"
#include "core/files.hpp"

#include <vector>

namespace squashpub::generator {
namespace {

constexpr uint32_t kMagic = 0x73717368; // "hsqs"
constexpr size_t kSuperSize = 96;
constexpr uint16_t kFlagCompressorOptions = 0x0400;
constexpr uint16_t kLzoId = 3;
constexpr uint16_t kLz4Id = 5;
constexpr uint32_t kLzo1x999 = 4;
constexpr uint32_t kLz4Legacy = 1;
constexpr uint32_t kLz4FlagHc = 1;

const char* compressor_name(uint16_t id) {
    switch (id) {
    case 1:
        return "gzip";
    case 2:
        return "lzma";
    case 3:
        return "lzo";
    case 4:
        return "xz";
    case 5:
        return "lz4";
    case 6:
        return "zstd";
    default:
        return "unknown";
    }
}

SquashfsSuper parse_super(const uint8_t* p) {
    SquashfsSuper s;
    s.inode_count = load_le32(p + 4);
    s.block_size = load_le32(p + 12);
    s.fragment_count = load_le32(p + 16);
    s.compressor_id = load_le16(p + 20);
    s.flags = load_le16(p + 24);
    s.id_count = load_le16(p + 26);
    s.root_inode_ref = load_le64(p + 32);
    s.bytes_used = load_le64(p + 40);
    s.id_table_start = load_le64(p + 48);
    s.xattr_id_table_start = load_le64(p + 56);
    s.inode_table_start = load_le64(p + 64);
    s.directory_table_start = load_le64(p + 72);
    s.fragment_table_start = load_le64(p + 80);
    s.export_table_start = load_le64(p + 88);
    return s;
}

// The 8 bytes of the options block; it is normally stored uncompressed.
std::vector<uint8_t> read_options_block(int fd, const std::string& path,
                                        const CompressionSpec& decoder_spec) {
    uint8_t header[2];
    read_exact_at(fd, header, 2, kSuperSize, path);
    const uint16_t word = load_le16(header);
    const uint32_t size = word & 0x7FFF;
    if (size == 0 || size > kMetadataBlockSize)
        throw Error(path, "corrupt compressor options block");
    std::vector<uint8_t> stored(size);
    read_exact_at(fd, stored.data(), size, kSuperSize + 2, path);
    if (word & 0x8000)
        return stored;
    std::vector<uint8_t> plain(kMetadataBlockSize);
    auto n = BlockCodec(decoder_spec).decompress(stored.data(), size, plain.data(), plain.size());
    if (!n)
        throw Error(path, "compressor options block does not decompress");
    plain.resize(*n);
    return plain;
}

// The checks every caller needs, whatever the compressor.
SquashfsSuper read_image_header_fields(int fd, const std::string& path, uint64_t* file_size) {
    const uint64_t size = file_size_of(fd, path);
    if (file_size)
        *file_size = size;
    if (size < kSuperSize)
        throw Error(path, "not a SquashFS image (only " + std::to_string(size) + " bytes)");
    uint8_t raw[kSuperSize];
    read_exact_at(fd, raw, kSuperSize, 0, path);
    if (load_le32(raw) != kMagic)
        throw Error(path, "not a SquashFS image (bad magic)");
    if (load_le16(raw + 28) != 4 || load_le16(raw + 30) != 0)
        throw Error(path, "SquashFS version " + std::to_string(load_le16(raw + 28)) + "." +
                              std::to_string(load_le16(raw + 30)) + " (only 4.0 is supported)");
    const SquashfsSuper s = parse_super(raw);
    if (s.bytes_used > size)
        throw Error(path, "truncated image: the superblock says " + std::to_string(s.bytes_used) +
                              " bytes, the file has " + std::to_string(size));
    if (size >= (uint64_t{1} << 32))
        throw Error(path, "image is 4 GiB or larger; sqdelta offsets are 32-bit");
    if (s.block_size < 4096 || s.block_size > (1u << 20) || (s.block_size & (s.block_size - 1)))
        throw Error(path, "corrupt superblock: block size " + std::to_string(s.block_size));
    for (uint64_t start : {s.inode_table_start, s.directory_table_start, s.id_table_start})
        if (start >= s.bytes_used)
            throw Error(path, "corrupt superblock: a table starts past the end of the image");
    return s;
}

} // namespace

SquashfsSuper read_squashfs_super(int fd, const std::string& path) {
    return read_image_header_fields(fd, path, nullptr);
}

ImageHeader read_image_header(int fd, const std::string& path) {
    ImageHeader header;
    header.super = read_image_header_fields(fd, path, &header.file_size);
    const SquashfsSuper& s = header.super;
    CompressionSpec& spec = header.compression;
    if (s.compressor_id == kLzoId) {
        spec.family = CodecFamily::lzo;
        spec.lzo_level = 8; // mksquashfs's default, used when no options are stored
        spec.lzo_optimized = true;
    } else if (s.compressor_id == kLz4Id) {
        spec.family = CodecFamily::lz4;
    } else {
        throw Error(path, std::string("compressed with ") + compressor_name(s.compressor_id) +
                              "; sqdelta clients can only rebuild lzo and lz4 images");
    }
    const bool has_options = (s.flags & kFlagCompressorOptions) != 0;
    if (spec.family == CodecFamily::lz4 && !has_options)
        throw Error(path, "lz4 image without its compressor options block");
    if (has_options) {
        std::vector<uint8_t> options = read_options_block(fd, path, spec);
        if (options.size() < 8)
            throw Error(path, "compressor options block too short");
        const uint32_t first = load_le32(options.data()), second = load_le32(options.data() + 4);
        if (spec.family == CodecFamily::lzo) {
            if (first != kLzo1x999)
                throw Error(path, "LZO algorithm " + std::to_string(first) +
                                      " (only lzo1x_999 can be recompressed by clients)");
            if (second < 1 || second > 9)
                throw Error(path, "LZO level " + std::to_string(second) + " (expected 1 to 9)");
            spec.lzo_level = static_cast<int>(second);
        } else {
            if (first != kLz4Legacy)
                throw Error(path, "LZ4 options version " + std::to_string(first) + " (expected 1)");
            if (second & kLz4FlagHc)
                throw Error(path, "LZ4 HC image: clients recompress HC at level 9 while "
                                  "mksquashfs uses level 12, so no delta could be rebuilt");
            if (second & ~kLz4FlagHc)
                throw Error(path, "unknown LZ4 option flags");
        }
    }
    return header;
}

} // namespace squashpub::generator
