// The independent applier against valid, crafted and corrupted deltas.
// Valid deltas come from the squashpub binary; crafted ones are built here
// by hand from the specification (with the real xdelta3), so that the
// applier's checks are exercised without the generator's code.

#include "verifier/applier.hpp"

#include "core/block_codec.hpp"
#include "core/byte_order.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

namespace squashpub::verifier {
namespace {

using test::shell;

struct CraftedBlock {
    uint32_t offset;
    uint32_t length; // as listed
    std::vector<uint8_t> data;
};

void append_be32(std::string& out, uint32_t value) {
    uint8_t bytes[4];
    store_be32(bytes, value);
    out.append(reinterpret_cast<char*>(bytes), 4);
}

std::string header_bytes(uint32_t compression, uint32_t count) {
    std::string out;
    append_be32(out, 0x5371CEB4);
    append_be32(out, 0);
    append_be32(out, compression);
    append_be32(out, count);
    return out;
}

// A delta with an empty source list whose expanded target is built by hand.
std::string craft_delta(const TempDir& dir, const std::string& source_image,
                        uint32_t header_compression, const std::string& target_image,
                        const std::vector<CraftedBlock>& blocks, uint32_t trailer_compression) {
    test::write_file(dir.file("source.sqfs"), source_image);
    test::write_file(dir.file("expanded-source"),
                     source_image + header_bytes(header_compression, 0));
    std::string expanded = target_image;
    for (const CraftedBlock& block : blocks)
        expanded.append(block.data.begin(), block.data.end());
    for (const CraftedBlock& block : blocks) {
        append_be32(expanded, block.offset);
        append_be32(expanded, block.length);
        append_be32(expanded, static_cast<uint32_t>(block.data.size()));
    }
    expanded += header_bytes(trailer_compression, static_cast<uint32_t>(blocks.size()));
    test::write_file(dir.file("expanded-target"), expanded);
    shell("xdelta3 -e -9 -A -c -s '" + dir.file("expanded-source") + "' '" +
          dir.file("expanded-target") + "' > '" + dir.file("vcdiff") + "'");
    test::write_file(dir.file("crafted.sqdelta"),
                     header_bytes(header_compression, 0) + test::read_file(dir.file("vcdiff")));
    return dir.file("crafted.sqdelta");
}

std::vector<uint8_t> compressible(size_t size) {
    std::vector<uint8_t> data(size);
    for (size_t i = 0; i < size; ++i)
        data[i] = static_cast<uint8_t>("squashdelta "[i % 12]);
    return data;
}

std::string apply_error(const TempDir& dir, const std::string& delta) {
    try {
        apply_delta(dir.file("source.sqfs"), delta, dir.file("out.sqfs"), {});
    } catch (const Error& e) {
        EXPECT_FALSE(test::exists(dir.file("out.sqfs")));
        return e.what();
    }
    ADD_FAILURE() << "applied without error";
    return "";
}

TEST(Applier, RebuildsACraftedDeltaExactly) {
    TempDir dir;
    const uint32_t lzo4 = 0x01000014;
    std::vector<uint8_t> data = compressible(5000);
    BlockCodec codec(CompressionSpec::decode(lzo4, "t"));
    std::vector<uint8_t> packed(data.size());
    size_t n = *codec.compress(data.data(), data.size(), packed.data(), packed.size());
    // Target image: 100 bytes, the compressed block, 50 bytes; block zeroed.
    std::string image = std::string(100, 'A') + std::string(n, '\0') + std::string(50, 'Z');
    const std::string delta = craft_delta(dir, "old image bytes", lzo4, image,
                                          {{100, static_cast<uint32_t>(n), data}}, lzo4);
    ApplyResult result = apply_delta(dir.file("source.sqfs"), delta, dir.file("out.sqfs"), {});
    EXPECT_EQ(result.target_blocks, 1u);
    std::string expected = image;
    expected.replace(100, n, std::string(packed.begin(), packed.begin() + n));
    EXPECT_EQ(test::read_file(dir.file("out.sqfs")), expected);
}

TEST(Applier, RefusesCraftedDeltasThatSquashmergeWouldMisapply) {
    TempDir dir;
    const uint32_t lzo4 = 0x01000014;
    std::vector<uint8_t> data = compressible(5000);
    BlockCodec codec(CompressionSpec::decode(lzo4, "t"));
    std::vector<uint8_t> packed(data.size());
    const uint32_t n = static_cast<uint32_t>(
        *codec.compress(data.data(), data.size(), packed.data(), packed.size()));
    const std::string image(300, 'I');

    EXPECT_NE(apply_error(dir, craft_delta(dir, "src", lzo4, image, {{10, n, data}}, 0x01000018))
                  .find("trailer compression differs"),
              std::string::npos);
    EXPECT_NE(apply_error(dir, craft_delta(dir, "src", lzo4, image, {{10, n + 7, data}}, lzo4))
                  .find("recompresses to"),
              std::string::npos);
    EXPECT_NE(apply_error(dir, craft_delta(dir, "src", lzo4, image, {{290, n, data}}, lzo4))
                  .find("ends past"),
              std::string::npos);
    EXPECT_NE(apply_error(
                  dir, craft_delta(dir, "src", lzo4, image, {{100, n, data}, {10, n, data}}, lzo4))
                  .find("out of order"),
              std::string::npos);
}

class RealDelta : public ::testing::Test {
  protected:
    void SetUp() override {
        for (int side = 0; side < 2; ++side) {
            const std::string tree = dir_.file(side ? "b" : "a");
            for (int i = 0; i < 40; ++i) {
                std::string text;
                for (int k = 0; k < 30 + 20 * i; ++k)
                    text += "DEPEND=\"dev-libs/foo-" + std::to_string(k) + "\"\n";
                if (side && i % 9 == 0)
                    text += "# changed\n";
                test::write_file(tree + "/c" + std::to_string(i % 4) + "/p" + std::to_string(i),
                                 text);
            }
            auto result = test::squashpub({"image", "--quiet", "--mtime", "5", tree,
                                           dir_.file(side ? "new.sqfs" : "source.sqfs")});
            ASSERT_EQ(result.exit_code, 0) << result.output;
        }
        auto result = test::squashpub({"delta", "--quiet", dir_.file("source.sqfs"),
                                       dir_.file("new.sqfs"), dir_.file("good.sqdelta")});
        ASSERT_EQ(result.exit_code, 0) << result.output;
        delta_ = test::read_file(dir_.file("good.sqdelta"));
        target_hash_ = test::sha512(dir_.file("new.sqfs"));
    }

    // Applies bytes as a delta; returns true on success (after checking the
    // output is exactly the target), false on a clean failure.
    bool apply(const std::string& bytes) {
        test::write_file(dir_.file("bad.sqdelta"), bytes);
        try {
            apply_delta(dir_.file("source.sqfs"), dir_.file("bad.sqdelta"), dir_.file("out.sqfs"),
                        {});
        } catch (const Error&) {
            EXPECT_FALSE(test::exists(dir_.file("out.sqfs")));
            return false;
        }
        EXPECT_EQ(test::sha512(dir_.file("out.sqfs")), target_hash_) << "a wrong image was written";
        std::remove(dir_.file("out.sqfs").c_str());
        return true;
    }

    TempDir dir_;
    std::string delta_;
    std::string target_hash_;
};

TEST_F(RealDelta, AppliesCleanly) {
    EXPECT_TRUE(apply(delta_));
}

TEST_F(RealDelta, EveryTruncationFailsWithoutOutput) {
    for (size_t cut = 0; cut < delta_.size(); cut += delta_.size() / 150 + 1)
        EXPECT_FALSE(apply(delta_.substr(0, cut))) << "truncated at " << cut;
    EXPECT_FALSE(apply(delta_.substr(0, delta_.size() - 1)));
}

TEST_F(RealDelta, FlippedBytesNeverYieldAWrongImage) {
    size_t failures = 0, tries = 0;
    for (size_t position = 0; position < delta_.size(); position += delta_.size() / 200 + 1) {
        std::string bytes = delta_;
        bytes[position] = static_cast<char>(bytes[position] ^ 0x21);
        failures += !apply(bytes);
        ++tries;
    }
    // Flips that decode to the very same target are harmless; almost every
    // flip must be caught.
    EXPECT_GE(failures * 100, tries * 95) << failures << " of " << tries;
}

TEST_F(RealDelta, WrongSourceImageFails) {
    std::string wrong = test::read_file(dir_.file("new.sqfs"));
    test::write_file(dir_.file("source.sqfs"), wrong);
    EXPECT_FALSE(apply(delta_));
}

TEST_F(RealDelta, BadMagicAndMissingVcdiffAreNamed) {
    std::string bytes = delta_;
    bytes[0] = 'X';
    test::write_file(dir_.file("bad.sqdelta"), bytes);
    try {
        apply_delta(dir_.file("source.sqfs"), dir_.file("bad.sqdelta"), dir_.file("out.sqfs"), {});
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.subject(), dir_.file("bad.sqdelta"));
        EXPECT_NE(e.problem().find("bad magic"), std::string::npos);
    }
    const uint32_t count = load_be32(reinterpret_cast<const uint8_t*>(delta_.data()) + 12);
    bytes = delta_;
    bytes[16 + 12 * count] = 0;
    test::write_file(dir_.file("bad.sqdelta"), bytes);
    try {
        apply_delta(dir_.file("source.sqfs"), dir_.file("bad.sqdelta"), dir_.file("out.sqfs"), {});
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(e.problem().find("no VCDIFF stream"), std::string::npos);
    }
}

} // namespace
} // namespace squashpub::verifier
