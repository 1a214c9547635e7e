#pragma once
// The sqdelta structures as the generator writes them (spec §2): a 16-byte
// big-endian header and 12-byte block records. The verifier has its own
// reader on purpose, so that a mistake here cannot hide from it.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace squashpub::generator {

inline constexpr uint32_t kSqdeltaMagic = 0x5371CEB4;
inline constexpr size_t kSqdeltaHeaderSize = 16;
inline constexpr size_t kSqdeltaRecordSize = 12;

struct BlockRecord {
    uint32_t offset = 0;
    uint32_t length = 0;
    uint32_t uncompressed_length = 0;
};

// Header: magic, flags 0, compression, record count.
std::vector<uint8_t> encode_header(uint32_t compression, uint32_t block_count);
std::vector<uint8_t> encode_records(const std::vector<BlockRecord>& records);

} // namespace squashpub::generator
