// The compatibility contract on real data: every compressed block of a
// squashpub lzo image is exactly what the client's call makes of its
// content, and full data blocks equal mksquashfs's for the same tree.

#include "core/block_codec.hpp"
#include "core/files.hpp"
#include "core/sha512.hpp"
#include "generator/delta/image_scan.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <set>

namespace squashpub::generator {
namespace {

struct Block {
    std::vector<uint8_t> stored;
    std::vector<uint8_t> plain;
};

template <typename Visit> void for_each_block(const std::string& path, Visit visit) {
    UniqueFd fd = open_for_reading(path);
    ImageScan scan = scan_image(fd.get(), path);
    BlockCodec codec(scan.header.compression);
    for (const CompressedRegion& region : scan.regions) {
        Block block;
        block.stored.resize(region.length);
        read_exact_at(fd.get(), block.stored.data(), region.length, region.offset, path);
        block.plain.resize(scan.max_uncompressed());
        auto n = codec.decompress(block.stored.data(), block.stored.size(), block.plain.data(),
                                  block.plain.size());
        ASSERT_TRUE(n) << path << " offset " << region.offset;
        block.plain.resize(*n);
        visit(region, block, codec, scan);
    }
}

std::string digest(const std::vector<uint8_t>& bytes) {
    Sha512 hash;
    hash.update(bytes.data(), bytes.size());
    return hash.hex_digest();
}

TEST(LzoCompatibility, EveryBlockIsTheClientsLzo999Level4Optimized) {
    const std::string repository = test::guru_repository();
    if (repository.empty())
        GTEST_SKIP() << test::kNoDataMessage;
    TempDir dir;
    auto result = test::squashpub(
        {"image", "--quiet", "--rev", "2026-06-30", repository, dir.file("ours.sqfs")});
    ASSERT_EQ(result.exit_code, 0) << result.output;

    // The exact call sequence of spec §4.1 for 0x01000014.
    BlockCodec client(CompressionSpec::decode(0x01000014, "test"));
    size_t blocks = 0, metadata = 0, fragments = 0;
    std::set<std::string> our_full_blocks;
    for_each_block(dir.file("ours.sqfs"), [&](const CompressedRegion& region, const Block& block,
                                              BlockCodec&, const ImageScan& scan) {
        ++blocks;
        metadata += region.kind == RegionKind::metadata;
        fragments += region.kind == RegionKind::fragment;
        EXPECT_TRUE(client.reproduces(block.plain.data(), block.plain.size(), block.stored.data(),
                                      block.stored.size()))
            << "block at offset " << region.offset;
        if (region.kind == RegionKind::data && block.plain.size() == scan.header.super.block_size)
            our_full_blocks.insert(digest(block.stored));
    });
    EXPECT_GT(metadata, 10u);
    EXPECT_GT(fragments, 10u);
    EXPECT_GT(blocks, 300u);

    test::export_revision(repository, "2026-06-30", dir.file("tree"));
    test::shell("mksquashfs '" + dir.file("tree") + "' '" + dir.file("mksquashfs.sqfs") +
                "' -comp lzo -Xcompression-level 4 -all-root -no-xattrs -noappend -quiet "
                "-no-progress >/dev/null");
    std::set<std::string> their_full_blocks;
    for_each_block(dir.file("mksquashfs.sqfs"), [&](const CompressedRegion& region,
                                                    const Block& block, BlockCodec&,
                                                    const ImageScan& scan) {
        if (region.kind == RegionKind::data && block.plain.size() == scan.header.super.block_size)
            their_full_blocks.insert(digest(block.stored));
    });
    EXPECT_FALSE(our_full_blocks.empty());
    EXPECT_EQ(our_full_blocks, their_full_blocks);
}

} // namespace
} // namespace squashpub::generator
