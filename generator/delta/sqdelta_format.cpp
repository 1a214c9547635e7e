#include "generator/delta/sqdelta_format.hpp"

#include "core/byte_order.hpp"

namespace squashpub::generator {

std::vector<uint8_t> encode_header(uint32_t compression, uint32_t block_count) {
    std::vector<uint8_t> header(kSqdeltaHeaderSize);
    store_be32(header.data(), kSqdeltaMagic);
    store_be32(header.data() + 4, 0);
    store_be32(header.data() + 8, compression);
    store_be32(header.data() + 12, block_count);
    return header;
}

std::vector<uint8_t> encode_records(const std::vector<BlockRecord>& records) {
    std::vector<uint8_t> bytes(records.size() * kSqdeltaRecordSize);
    uint8_t* p = bytes.data();
    for (const BlockRecord& record : records) {
        store_be32(p, record.offset);
        store_be32(p + 4, record.length);
        store_be32(p + 8, record.uncompressed_length);
        p += kSqdeltaRecordSize;
    }
    return bytes;
}

} // namespace squashpub::generator
