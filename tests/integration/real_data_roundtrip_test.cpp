// Round trips on the bundled real workload: pairs 1, 4, 7 and 29 days
// apart, lzo levels 1, 4 and 9 and lz4, images from squashpub and from
// mksquashfs. Every delta is applied with the independent applier and must
// rebuild the target's exact SHA-512; the same inputs give the same delta.

#include "core/files.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <tuple>

namespace squashpub {
namespace {

struct Compression {
    const char* name;
    std::vector<std::string> squashpub_flags;
    std::string mksquashfs_flags;
};

const Compression kCompressions[] = {
    {"lzo1", {"--compressor", "lzo", "--level", "1"}, "-comp lzo -Xcompression-level 1"},
    {"lzo4", {"--compressor", "lzo", "--level", "4"}, "-comp lzo -Xcompression-level 4"},
    {"lzo9", {"--compressor", "lzo", "--level", "9"}, "-comp lzo -Xcompression-level 9"},
    {"lz4", {"--compressor", "lz4"}, "-comp lz4"},
};

const char* kTarget = "2026-06-30";

using Param = std::tuple<int /*days*/, int /*compression*/, bool /*mksquashfs*/>;

class RealDataRoundTrip : public ::testing::TestWithParam<Param> {
  protected:
    std::string build(const std::string& repository, const std::string& rev,
                      const Compression& compression, bool with_mksquashfs) {
        const std::string image = dir_.file(rev + ".sqfs");
        if (with_mksquashfs) {
            const std::string tree = dir_.file("tree-" + rev);
            test::export_revision(repository, rev, tree);
            test::shell("mksquashfs '" + tree + "' '" + image + "' " +
                        compression.mksquashfs_flags +
                        " -all-root -no-xattrs -noappend -quiet -no-progress >/dev/null");
            return image;
        }
        std::vector<std::string> args = {"image", "--quiet", "--rev", rev};
        args.insert(args.end(), compression.squashpub_flags.begin(),
                    compression.squashpub_flags.end());
        args.insert(args.end(), {repository, image});
        auto result = test::squashpub(args);
        EXPECT_EQ(result.exit_code, 0) << result.output;
        return image;
    }

    TempDir dir_;
};

TEST_P(RealDataRoundTrip, DeltaRebuildsTheExactTarget) {
    const std::string repository = test::guru_repository();
    if (repository.empty())
        GTEST_SKIP() << test::kNoDataMessage;
    const auto [days, compression_index, with_mksquashfs] = GetParam();
    const Compression& compression = kCompressions[compression_index];
    const int day = 30 - days;
    const std::string source_rev =
        std::string("2026-06-") + (day < 10 ? "0" : "") + std::to_string(day);

    const std::string source = build(repository, source_rev, compression, with_mksquashfs);
    const std::string target = build(repository, kTarget, compression, with_mksquashfs);
    const std::string delta = dir_.file("d.sqdelta");
    auto made = test::squashpub({"delta", "--quiet", source, target, delta});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    auto applied = test::squashpub({"apply", "--quiet", source, delta, dir_.file("rebuilt.sqfs")});
    ASSERT_EQ(applied.exit_code, 0) << applied.output;
    EXPECT_EQ(test::sha512(dir_.file("rebuilt.sqfs")), test::sha512(target));
    EXPECT_LT(test::file_size(delta), test::file_size(target) / 5);

    // Reproducibility: checked once per pair and generator (level 4).
    if (compression_index == 1) {
        auto again =
            test::squashpub({"delta", "--quiet", source, target, dir_.file("again.sqdelta")});
        ASSERT_EQ(again.exit_code, 0) << again.output;
        EXPECT_EQ(test::sha512(dir_.file("again.sqdelta")), test::sha512(delta));
    }
}

std::string name_of(const ::testing::TestParamInfo<Param>& info) {
    const auto [days, compression, with_mksquashfs] = info.param;
    return std::to_string(days) + "days_" + kCompressions[compression].name +
           (with_mksquashfs ? "_mksquashfs" : "_squashpub");
}

INSTANTIATE_TEST_SUITE_P(Matrix, RealDataRoundTrip,
                         ::testing::Combine(::testing::Values(1, 4, 7, 29), ::testing::Range(0, 4),
                                            ::testing::Bool()),
                         name_of);

} // namespace
} // namespace squashpub
