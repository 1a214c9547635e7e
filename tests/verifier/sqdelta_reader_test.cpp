#include "verifier/sqdelta_reader.hpp"

#include "core/byte_order.hpp"
#include "core/error.hpp"

#include <gtest/gtest.h>

namespace squashpub::verifier {
namespace {

std::vector<uint8_t> header(uint32_t magic, uint32_t flags, uint32_t compression, uint32_t count) {
    std::vector<uint8_t> bytes(16);
    store_be32(bytes.data(), magic);
    store_be32(bytes.data() + 4, flags);
    store_be32(bytes.data() + 8, compression);
    store_be32(bytes.data() + 12, count);
    return bytes;
}

std::vector<uint8_t> records(const std::vector<DeltaRecord>& list) {
    std::vector<uint8_t> bytes(12 * list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        store_be32(bytes.data() + 12 * i, list[i].offset);
        store_be32(bytes.data() + 12 * i + 4, list[i].length);
        store_be32(bytes.data() + 12 * i + 8, list[i].uncompressed_length);
    }
    return bytes;
}

std::string header_error(const std::vector<uint8_t>& bytes) {
    try {
        parse_header(bytes.data(), "x.sqdelta");
    } catch (const Error& e) {
        EXPECT_EQ(e.subject(), "x.sqdelta");
        return e.problem();
    }
    return "";
}

std::string records_error(const std::vector<DeltaRecord>& list, uint64_t limit) {
    auto bytes = records(list);
    try {
        parse_records(bytes.data(), static_cast<uint32_t>(list.size()), limit, "x.sqdelta",
                      "source");
    } catch (const Error& e) {
        return e.problem();
    }
    return "";
}

TEST(SqdeltaReader, ParsesTheSpecExampleHeader) {
    // spec §2.4: squashmerge's test vector 01-sqfs-lzo1.sqdelta.
    const std::vector<uint8_t> bytes = {0x53, 0x71, 0xCE, 0xB4, 0, 0, 0, 0,
                                        0x01, 0,    0,    0x11, 0, 0, 0, 0x19};
    DeltaHeader h = parse_header(bytes.data(), "t");
    EXPECT_EQ(h.compression_value, 0x01000011u);
    EXPECT_EQ(h.compression.lzo_level, 1);
    EXPECT_TRUE(h.compression.lzo_optimized);
    EXPECT_EQ(h.block_count, 25u);
}

TEST(SqdeltaReader, RejectsBadHeaders) {
    EXPECT_NE(header_error(header(0x5371CEB5, 0, 0x01000014, 0)).find("bad magic"),
              std::string::npos);
    EXPECT_NE(header_error(header(0x5371CEB4, 1, 0x01000014, 0)).find("flags"), std::string::npos);
    EXPECT_NE(header_error(header(0x5371CEB4, 0, 0x03000000, 0)).find("unknown compressor"),
              std::string::npos);
    EXPECT_NE(header_error(header(0x5371CEB4, 0, 0x0100001A, 0)).find("level"), std::string::npos);
    EXPECT_NE(header_error(header(0x5371CEB4, 0, 0x01000114, 0)).find("reserved"),
              std::string::npos);
}

TEST(SqdeltaReader, ChecksBlockLists) {
    EXPECT_EQ(records_error({{100, 10, 50}, {110, 5, 20}}, 200), "");
    EXPECT_NE(records_error({{100, 10, 50}, {105, 10, 50}}, 200).find("overlaps"),
              std::string::npos);
    EXPECT_NE(records_error({{100, 10, 50}, {50, 10, 50}}, 200).find("out of order"),
              std::string::npos);
    EXPECT_NE(records_error({{100, 10, 50}, {100, 10, 50}}, 200).find("overlaps"),
              std::string::npos);
    EXPECT_NE(records_error({{195, 10, 50}}, 200).find("ends past"), std::string::npos);
    EXPECT_NE(records_error({{0xFFFFFFF0, 0x20, 50}}, 200).find("ends past"), std::string::npos);
    EXPECT_NE(records_error({{10, 0, 0}}, 200).find("empty"), std::string::npos);
    EXPECT_NE(records_error({{10, 5, 0xFFFFFFF0}}, 200).find("more than any SquashFS block"),
              std::string::npos);
    EXPECT_EQ(records_error({{10, 5, 1u << 20}}, 200), "");
}

} // namespace
} // namespace squashpub::verifier
