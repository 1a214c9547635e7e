#include "generator/delta/image_scan.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

namespace squashpub::generator {
namespace {

using test::shell;

std::string make_tree(const TempDir& dir) {
    const std::string tree = dir.file("tree");
    for (int i = 0; i < 50; ++i)
        test::write_file(tree + "/d" + std::to_string(i % 7) + "/f" + std::to_string(i),
                         std::string(1000 + i * 3000, static_cast<char>('a' + i % 26)) +
                             std::to_string(i));
    return tree;
}

std::string mksquashfs(const TempDir& dir, const std::string& name, const std::string& options) {
    const std::string image = dir.file(name);
    shell("mksquashfs '" + dir.file("tree") + "' '" + image +
          "' -noappend -quiet -no-progress -all-root -no-xattrs " + options + " >/dev/null");
    return image;
}

ImageScan scan(const std::string& path) {
    UniqueFd fd = open_for_reading(path);
    return scan_image(fd.get(), path);
}

std::string scan_error(const std::string& path) {
    try {
        scan(path);
    } catch (const Error& e) {
        EXPECT_EQ(e.subject(), path);
        return e.problem();
    }
    ADD_FAILURE() << "no error scanning " << path;
    return "";
}

TEST(ImageScan, FindsEveryKindOfRegion) {
    TempDir dir;
    make_tree(dir);
    ImageScan result = scan(mksquashfs(dir, "a.sqfs", "-comp lzo"));
    size_t data = 0, fragments = 0, metadata = 0;
    uint64_t end = 0;
    for (const CompressedRegion& region : result.regions) {
        EXPECT_GE(region.offset, end) << "sorted and non-overlapping";
        end = region.offset + region.length;
        data += region.kind == RegionKind::data;
        fragments += region.kind == RegionKind::fragment;
        metadata += region.kind == RegionKind::metadata;
    }
    EXPECT_GT(data, 0u);
    EXPECT_GT(fragments, 0u);
    // Inode, directory, fragment and export tables; the 4-byte id table
    // does not shrink when compressed, so it is stored plainly.
    EXPECT_GE(metadata, 4u);
    EXPECT_EQ(result.header.compression.lzo_level, 8);
}

TEST(ImageScan, ReadsTheLzoLevelFromTheOptions) {
    TempDir dir;
    make_tree(dir);
    EXPECT_EQ(scan(mksquashfs(dir, "a.sqfs", "-comp lzo -Xcompression-level 3"))
                  .header.compression.lzo_level,
              3);
}

TEST(ImageScan, UncompressedImagesHaveNoCompressedRegions) {
    TempDir dir;
    make_tree(dir);
    ImageScan result = scan(mksquashfs(dir, "a.sqfs", "-comp lzo -noI -noD -noF -noX"));
    for (const CompressedRegion& region : result.regions)
        EXPECT_EQ(region.kind, RegionKind::metadata) << region.offset;
}

TEST(ImageScan, RefusesWhatClientsCannotRebuild) {
    TempDir dir;
    make_tree(dir);
    EXPECT_NE(scan_error(mksquashfs(dir, "gz.sqfs", "-comp gzip")).find("gzip"), std::string::npos);
    EXPECT_NE(scan_error(mksquashfs(dir, "xz.sqfs", "-comp xz")).find("xz"), std::string::npos);
    EXPECT_NE(scan_error(mksquashfs(dir, "hc.sqfs", "-comp lz4 -Xhc")).find("LZ4 HC"),
              std::string::npos);
    EXPECT_NE(scan_error(mksquashfs(dir, "l1.sqfs", "-comp lzo -Xalgorithm lzo1x_1"))
                  .find("only lzo1x_999"),
              std::string::npos);
}

TEST(ImageScan, ImagesOf4GiBOrMoreAreRefused) {
    TempDir dir;
    make_tree(dir);
    const std::string image = mksquashfs(dir, "a.sqfs", "-comp lzo");
    // A sparse tail: the superblock is valid, the file is past 32-bit offsets.
    shell("truncate -s 4294967296 '" + image + "'");
    EXPECT_NE(scan_error(image).find("4 GiB or larger"), std::string::npos);
}

TEST(ImageScan, CorruptAndTruncatedImagesAreClearErrors) {
    TempDir dir;
    make_tree(dir);
    const std::string good = mksquashfs(dir, "a.sqfs", "-comp lzo");
    test::write_file(dir.file("text"), "this is not an image, just some text that is long enough "
                                       "to hold a superblock if it were one........");
    EXPECT_NE(scan_error(dir.file("text")).find("not a SquashFS image"), std::string::npos);
    test::write_file(dir.file("tiny"), "hsqs");
    EXPECT_NE(scan_error(dir.file("tiny")).find("not a SquashFS image"), std::string::npos);
    shell("head -c 20000 '" + good + "' > '" + dir.file("cut.sqfs") + "'");
    EXPECT_NE(scan_error(dir.file("cut.sqfs")).find("truncated"), std::string::npos);
    // Every truncation point and many corruptions: an Error, never a crash.
    const std::string bytes = test::read_file(good);
    const uint64_t used = scan(good).header.super.bytes_used;
    for (uint64_t cut = 0; cut < used; cut += used / 97 + 1) {
        test::write_file(dir.file("t.sqfs"), bytes.substr(0, cut));
        EXPECT_THROW(scan(dir.file("t.sqfs")), Error) << "cut at " << cut;
    }
    for (size_t position = 96; position < bytes.size(); position += bytes.size() / 211 + 1) {
        std::string flipped = bytes;
        flipped[position] = static_cast<char>(flipped[position] ^ 0x5A);
        test::write_file(dir.file("f.sqfs"), flipped);
        try {
            scan(dir.file("f.sqfs")); // may or may not notice: data bytes are opaque
        } catch (const Error&) {
        }
    }
}

} // namespace
} // namespace squashpub::generator
