#pragma once
// The block compressors exactly as the sqdelta client (squashmerge) calls
// them (spec §4.1), and the 32-bit `compression` value that names them
// (spec §2.3). Both the image writer and the appliers use this, so that an
// image block and its client-side recompression come from the same call.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace squashpub {

enum class CodecFamily : uint8_t { lzo = 0x01, lz4 = 0x02 };

struct CompressionSpec {
    CodecFamily family = CodecFamily::lzo;
    int lzo_level = 4;         // lzo1x_999 level, 1..9
    bool lzo_optimized = true; // lzo1x_optimize after compressing
    bool lz4_hc = false;       // LZ4 HC at the default level (9)

    uint32_t encode() const;
    // Validates family, level and reserved bits; subject names the file.
    static CompressionSpec decode(uint32_t value, const std::string& subject);
    std::string describe() const;
    bool operator==(const CompressionSpec&) const = default;
};

// One codec per thread: it owns the work memory the compressors need.
class BlockCodec {
  public:
    explicit BlockCodec(CompressionSpec spec);

    const CompressionSpec& spec() const { return spec_; }

    // Compresses as the client does. Returns the compressed size, or nullopt
    // when the result would not fit in capacity bytes.
    std::optional<size_t> compress(const uint8_t* in, size_t size, uint8_t* out, size_t capacity);

    // Safe decompression into at most capacity bytes; nullopt if malformed
    // or larger than capacity.
    std::optional<size_t> decompress(const uint8_t* in, size_t size, uint8_t* out,
                                     size_t capacity) const;

    // True when compress(data) reproduces exactly the given compressed bytes.
    bool reproduces(const uint8_t* data, size_t size, const uint8_t* compressed,
                    size_t compressed_size);

  private:
    CompressionSpec spec_;
    std::vector<uint8_t> work_memory_;
    std::vector<uint8_t> scratch_;
    std::vector<uint8_t> output_;
};

} // namespace squashpub
