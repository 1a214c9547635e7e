#include "generator/squashfs/sqfs_codec_adapter.hpp"

#include "core/block_codec.hpp"
#include "core/error.hpp"

#include <cstring>
#include <new>
#include <sqfs/compressor.h>
#include <sqfs/error.h>
#include <sqfs/io.h>
#include <sqfs/super.h>

namespace squashpub::generator {
namespace {

constexpr uint32_t kLzo1x999 = 4;        // squashfs-tools' id for lzo1x_999
constexpr uint32_t kLzoDefaultLevel = 8; // mksquashfs writes no options for it
constexpr uint32_t kLz4Legacy = 1;       // the only LZ4 options version

// A sqfs_compressor_t whose first member makes it pointer-interconvertible
// with the C interface; the C++ state lives behind a pointer.
struct ClientCompressor {
    sqfs_compressor_t base;
    BlockCodec* codec;
    config::ImageOptions options;
    bool decompress;
};

ClientCompressor* self(sqfs_compressor_t* base) {
    return reinterpret_cast<ClientCompressor*>(base);
}
const ClientCompressor* self(const sqfs_compressor_t* base) {
    return reinterpret_cast<const ClientCompressor*>(base);
}

void put_le32(uint8_t* out, uint32_t value) {
    for (int i = 0; i < 4; ++i)
        out[i] = static_cast<uint8_t>(value >> (8 * i));
}

int write_options(sqfs_compressor_t* base, sqfs_file_t* file) {
    const ClientCompressor* c = self(base);
    uint32_t first = 0, second = 0;
    if (c->options.compressor == config::Compressor::lzo) {
        const uint32_t level = static_cast<uint32_t>(c->codec->spec().lzo_level);
        if (level == kLzoDefaultLevel)
            return 0;
        first = kLzo1x999;
        second = level;
    } else {
        first = kLz4Legacy;
        second = 0; // no HC: HC images cannot be rebuilt by clients (spec §6)
    }
    // An uncompressed metadata block of 8 bytes right after the superblock.
    uint8_t block[10];
    block[0] = 8;
    block[1] = 0x80;
    put_le32(block + 2, first);
    put_le32(block + 6, second);
    int rc = file->write_at(file, sizeof(sqfs_super_t), block, sizeof block);
    return rc == 0 ? static_cast<int>(sizeof block) : rc;
}

int read_options(sqfs_compressor_t*, sqfs_file_t*) {
    return SQFS_ERROR_UNSUPPORTED;
}

void get_configuration(const sqfs_compressor_t* base, sqfs_compressor_config_t* cfg) {
    const ClientCompressor* c = self(base);
    std::memset(cfg, 0, sizeof *cfg);
    cfg->id = squashfs_compressor_id(c->options.compressor);
    cfg->block_size = c->options.block_size;
    cfg->level = static_cast<sqfs_u32>(c->codec->spec().lzo_level);
    cfg->flags = c->decompress ? SQFS_COMP_FLAG_UNCOMPRESS : 0;
}

sqfs_s32 do_block(sqfs_compressor_t* base, const sqfs_u8* in, sqfs_u32 size, sqfs_u8* out,
                  sqfs_u32 outsize) {
    ClientCompressor* c = self(base);
    try {
        if (c->decompress) {
            auto n = c->codec->decompress(in, size, out, outsize);
            return n ? static_cast<sqfs_s32>(*n) : SQFS_ERROR_CORRUPTED;
        }
        // Like mksquashfs: keep the compressed form only if it is smaller.
        if (size < 2)
            return 0;
        auto n = c->codec->compress(in, size, out, std::min(outsize, size - 1));
        return n ? static_cast<sqfs_s32>(*n) : 0;
    } catch (const std::exception&) {
        return SQFS_ERROR_COMPRESSOR;
    }
}

sqfs_compressor_t* create(const config::ImageOptions& options, bool decompress);

void destroy(sqfs_object_t* object) {
    ClientCompressor* c = reinterpret_cast<ClientCompressor*>(object);
    delete c->codec;
    delete c;
}

sqfs_object_t* copy(const sqfs_object_t* object) {
    const ClientCompressor* c = reinterpret_cast<const ClientCompressor*>(object);
    return reinterpret_cast<sqfs_object_t*>(create(c->options, c->decompress));
}

CompressionSpec client_spec(const config::ImageOptions& options) {
    CompressionSpec spec;
    if (options.compressor == config::Compressor::lz4) {
        spec.family = CodecFamily::lz4;
    } else {
        spec.family = CodecFamily::lzo;
        spec.lzo_level = options.level.value_or(config::level_range(options.compressor)->fallback);
        spec.lzo_optimized = true; // what mksquashfs 4.3 and later do
    }
    return spec;
}

sqfs_compressor_t* create(const config::ImageOptions& options, bool decompress) {
    auto* c = new ClientCompressor{};
    c->codec = new BlockCodec(client_spec(options));
    c->options = options;
    c->decompress = decompress;
    c->base.base.destroy = destroy;
    c->base.base.copy = copy;
    c->base.get_configuration = get_configuration;
    c->base.write_options = write_options;
    c->base.read_options = read_options;
    c->base.do_block = do_block;
    return &c->base;
}

} // namespace

void SqfsObjectDeleter::operator()(void* object) const {
    sqfs_destroy(object);
}

uint16_t squashfs_compressor_id(config::Compressor compressor) {
    switch (compressor) {
    case config::Compressor::lzo:
        return SQFS_COMP_LZO;
    case config::Compressor::lz4:
        return SQFS_COMP_LZ4;
    case config::Compressor::gzip:
        return SQFS_COMP_GZIP;
    case config::Compressor::xz:
        return SQFS_COMP_XZ;
    case config::Compressor::zstd:
        return SQFS_COMP_ZSTD;
    }
    return 0;
}

SqfsCompressorPtr make_sqfs_compressor(const config::ImageOptions& options,
                                       bool for_decompression) {
    if (options.compressor == config::Compressor::lzo ||
        options.compressor == config::Compressor::lz4)
        return SqfsCompressorPtr(create(options, for_decompression));

    sqfs_compressor_config_t cfg;
    const auto id = static_cast<SQFS_COMPRESSOR>(squashfs_compressor_id(options.compressor));
    if (sqfs_compressor_config_init(&cfg, id, options.block_size,
                                    for_decompression ? SQFS_COMP_FLAG_UNCOMPRESS : 0) != 0)
        throw Error(config::compressor_name(options.compressor), "unsupported by libsquashfs");
    if (options.level)
        cfg.level = static_cast<sqfs_u32>(*options.level);
    sqfs_compressor_t* compressor = nullptr;
    int rc = sqfs_compressor_create(&cfg, &compressor);
    if (rc != 0)
        throw Error(config::compressor_name(options.compressor),
                    "libsquashfs cannot create this compressor (error " + std::to_string(rc) + ")");
    return SqfsCompressorPtr(compressor);
}

} // namespace squashpub::generator
