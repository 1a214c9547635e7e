#include "core/block_codec.hpp"

#include "core/error.hpp"

#include <cstring>
#include <lz4.h>
#include <lz4hc.h>
#include <lzo/lzo1x.h>
#include <sstream>

namespace squashpub {
namespace {

constexpr uint32_t kLzoLevelMask = 0x0F;
constexpr uint32_t kLzoOptimizedBit = 0x10;
constexpr uint32_t kLz4HcBit = 0x01;
constexpr int kLz4HcDefaultLevel = 9; // what LZ4_compressHC_limitedOutput used

// lzo1x_999 has no output bound: the documented worst case.
size_t lzo_worst_case(size_t size) {
    return size + size / 16 + 64 + 3;
}

bool lzo_initialised() {
    static const bool ok = lzo_init() == LZO_E_OK;
    return ok;
}

} // namespace

uint32_t CompressionSpec::encode() const {
    uint32_t value = static_cast<uint32_t>(family) << 24;
    if (family == CodecFamily::lzo)
        value |= static_cast<uint32_t>(lzo_level) | (lzo_optimized ? kLzoOptimizedBit : 0);
    else if (lz4_hc)
        value |= kLz4HcBit;
    return value;
}

CompressionSpec CompressionSpec::decode(uint32_t value, const std::string& subject) {
    CompressionSpec spec;
    const uint32_t settings = value & 0x00FFFFFF;
    std::ostringstream hex;
    hex << "0x" << std::hex << value;
    switch (value >> 24) {
    case 0x01:
        spec.family = CodecFamily::lzo;
        spec.lzo_level = static_cast<int>(settings & kLzoLevelMask);
        spec.lzo_optimized = (settings & kLzoOptimizedBit) != 0;
        if (settings & ~(kLzoLevelMask | kLzoOptimizedBit))
            throw Error(subject, "compression value " + hex.str() + " has reserved LZO bits set");
        if (spec.lzo_level < 1 || spec.lzo_level > 9)
            throw Error(subject, "compression value " + hex.str() + " has LZO level " +
                                     std::to_string(spec.lzo_level) + " (expected 1 to 9)");
        return spec;
    case 0x02:
        spec.family = CodecFamily::lz4;
        spec.lz4_hc = (settings & kLz4HcBit) != 0;
        if (settings & ~kLz4HcBit)
            throw Error(subject, "compression value " + hex.str() + " has reserved LZ4 bits set");
        return spec;
    default:
        throw Error(subject, "compression value " + hex.str() +
                                 " names an unknown compressor family (expected 1=LZO or 2=LZ4)");
    }
}

std::string CompressionSpec::describe() const {
    if (family == CodecFamily::lz4)
        return lz4_hc ? "lz4 HC" : "lz4";
    return "lzo1x_999 level " + std::to_string(lzo_level) + (lzo_optimized ? " optimized" : "");
}

BlockCodec::BlockCodec(CompressionSpec spec) : spec_(spec) {
    if (spec_.family == CodecFamily::lzo) {
        if (!lzo_initialised())
            throw Error("liblzo2", "lzo_init failed");
        work_memory_.resize(LZO1X_999_MEM_COMPRESS);
    }
}

std::optional<size_t> BlockCodec::compress(const uint8_t* in, size_t size, uint8_t* out,
                                           size_t capacity) {
    if (spec_.family == CodecFamily::lz4) {
        const int n =
            spec_.lz4_hc ? LZ4_compress_HC(reinterpret_cast<const char*>(in),
                                           reinterpret_cast<char*>(out), static_cast<int>(size),
                                           static_cast<int>(capacity), kLz4HcDefaultLevel)
                         : LZ4_compress_default(reinterpret_cast<const char*>(in),
                                                reinterpret_cast<char*>(out),
                                                static_cast<int>(size), static_cast<int>(capacity));
        if (n <= 0)
            return std::nullopt;
        return static_cast<size_t>(n);
    }
    output_.resize(lzo_worst_case(size));
    lzo_uint out_size = 0;
    if (lzo1x_999_compress_level(in, size, output_.data(), &out_size, work_memory_.data(), nullptr,
                                 0, nullptr, spec_.lzo_level) != LZO_E_OK)
        throw Error("liblzo2", "lzo1x_999_compress_level failed");
    if (out_size > capacity)
        return std::nullopt;
    if (spec_.lzo_optimized) {
        // The optimizer uses the uncompressed buffer as scratch and writes
        // the same bytes back; give it a copy so the input stays const.
        scratch_.assign(in, in + size);
        lzo_uint scratch_size = size;
        if (lzo1x_optimize(output_.data(), out_size, scratch_.data(), &scratch_size, nullptr) !=
            LZO_E_OK)
            throw Error("liblzo2", "lzo1x_optimize failed");
    }
    std::memcpy(out, output_.data(), out_size);
    return out_size;
}

std::optional<size_t> BlockCodec::decompress(const uint8_t* in, size_t size, uint8_t* out,
                                             size_t capacity) const {
    if (spec_.family == CodecFamily::lz4) {
        const int n =
            LZ4_decompress_safe(reinterpret_cast<const char*>(in), reinterpret_cast<char*>(out),
                                static_cast<int>(size), static_cast<int>(capacity));
        if (n < 0)
            return std::nullopt;
        return static_cast<size_t>(n);
    }
    lzo_uint out_size = capacity;
    if (lzo1x_decompress_safe(in, size, out, &out_size, nullptr) != LZO_E_OK)
        return std::nullopt;
    return out_size;
}

bool BlockCodec::reproduces(const uint8_t* data, size_t size, const uint8_t* compressed,
                            size_t compressed_size) {
    std::vector<uint8_t> again(compressed_size);
    std::optional<size_t> n = compress(data, size, again.data(), compressed_size);
    return n && *n == compressed_size && std::memcmp(again.data(), compressed, *n) == 0;
}

} // namespace squashpub
