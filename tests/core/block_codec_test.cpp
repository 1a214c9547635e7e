#include "core/block_codec.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>
#include <random>

namespace squashpub {
namespace {

std::vector<uint8_t> sample_text(size_t size) {
    std::vector<uint8_t> data(size);
    std::mt19937 random(42);
    const char* words[] = {"ebuild ", "EAPI=8\n", "inherit ", "cargo ", "SRC_URI=", "KEYWORDS "};
    size_t pos = 0;
    while (pos < size) {
        const char* w = words[random() % 6];
        for (const char* c = w; *c && pos < size; ++c)
            data[pos++] = static_cast<uint8_t>(*c);
    }
    return data;
}

TEST(CompressionSpec, EncodesTheValuesThatOccurInPractice) {
    // spec §2.3, "Values that occur in practice".
    EXPECT_EQ((CompressionSpec{CodecFamily::lzo, 8, true, false}.encode()), 0x01000018u);
    EXPECT_EQ((CompressionSpec{CodecFamily::lzo, 4, true, false}.encode()), 0x01000014u);
    EXPECT_EQ((CompressionSpec{CodecFamily::lzo, 1, true, false}.encode()), 0x01000011u);
    EXPECT_EQ((CompressionSpec{CodecFamily::lzo, 8, false, false}.encode()), 0x01000008u);
    EXPECT_EQ((CompressionSpec{CodecFamily::lz4, 4, true, false}.encode()), 0x02000000u);
    EXPECT_EQ((CompressionSpec{CodecFamily::lz4, 4, true, true}.encode()), 0x02000001u);
}

TEST(CompressionSpec, DecodeRoundTrips) {
    for (uint32_t value :
         {0x01000011u, 0x01000019u, 0x01000014u, 0x01000008u, 0x02000000u, 0x02000001u})
        EXPECT_EQ(CompressionSpec::decode(value, "t").encode(), value);
}

TEST(CompressionSpec, RejectsInvalidValues) {
    for (uint32_t value :
         {0x01000000u, 0x0100000Au, 0x01000118u, 0x02000002u, 0x03000000u, 0x00000000u}) {
        EXPECT_THROW(CompressionSpec::decode(value, "delta"), Error) << std::hex << value;
    }
}

class CodecRoundTrip : public ::testing::TestWithParam<uint32_t> {};

TEST_P(CodecRoundTrip, CompressDecompressAndReproduce) {
    BlockCodec codec(CompressionSpec::decode(GetParam(), "t"));
    const std::vector<uint8_t> data = sample_text(131072);
    std::vector<uint8_t> packed(data.size());
    auto n = codec.compress(data.data(), data.size(), packed.data(), packed.size());
    ASSERT_TRUE(n);
    EXPECT_LT(*n, data.size() / 2);
    std::vector<uint8_t> plain(data.size());
    auto m = codec.decompress(packed.data(), *n, plain.data(), plain.size());
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, data.size());
    EXPECT_EQ(plain, data);
    EXPECT_TRUE(codec.reproduces(data.data(), data.size(), packed.data(), *n));
    // An exact-size capacity is accepted, as squashmerge relies on (spec §4.1).
    std::vector<uint8_t> exact(*n);
    EXPECT_EQ(codec.compress(data.data(), data.size(), exact.data(), *n), n);
    // One byte less does not fit.
    EXPECT_FALSE(codec.compress(data.data(), data.size(), exact.data(), *n - 1));
    // Corrupt input is reported, not crashed on.
    packed[*n / 2] ^= 0xFF;
    packed[0] ^= 0xFF;
    std::vector<uint8_t> small(100);
    EXPECT_FALSE(codec.decompress(packed.data(), *n, small.data(), small.size()));
}

INSTANTIATE_TEST_SUITE_P(AllClientSettings, CodecRoundTrip,
                         ::testing::Values(0x01000011u, 0x01000014u, 0x01000019u, 0x01000008u,
                                           0x02000000u, 0x02000001u));

TEST(BlockCodec, OptimizedAndPlainLzoAreDistinguishable) {
    // The generator tells mksquashfs versions apart by this (spec §3.5); it
    // only works if some blocks differ between the two variants.
    const std::vector<uint8_t> data = sample_text(65536);
    BlockCodec optimized(CompressionSpec{CodecFamily::lzo, 4, true, false});
    BlockCodec plain(CompressionSpec{CodecFamily::lzo, 4, false, false});
    std::vector<uint8_t> a(data.size()), b(data.size());
    auto na = optimized.compress(data.data(), data.size(), a.data(), a.size());
    auto nb = plain.compress(data.data(), data.size(), b.data(), b.size());
    ASSERT_TRUE(na && nb);
    EXPECT_EQ(*na, *nb); // the optimizer never changes the length
}

} // namespace
} // namespace squashpub
