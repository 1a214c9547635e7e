// Deltas between synthetic images, applied with the independent applier
// (`squashpub apply`, in verifier/) and compared by SHA-512.

#include "generator/delta/delta_encoder.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "support/test_support.hpp"

#include <filesystem>
#include <gtest/gtest.h>

namespace fs = std::filesystem;

namespace squashpub::generator {
namespace {

using test::shell;
using test::squashpub;

void make_tree(const std::string& root, int variant) {
    for (int i = 0; i < 60; ++i) {
        std::string content;
        for (int k = 0; k < 50 + i * 40; ++k)
            content += "line " + std::to_string(k) + " of file " + std::to_string(i) + "\n";
        if (variant > 0 && i % 11 == variant % 11)
            content += "changed in variant " + std::to_string(variant) + "\n";
        test::write_file(root + "/cat" + std::to_string(i % 5) + "/pkg" + std::to_string(i) +
                             "/pkg.ebuild",
                         content);
    }
    if (variant > 0)
        test::write_file(root + "/new-in-" + std::to_string(variant), "new\n");
}

std::string build_image(const TempDir& dir, const std::string& tree, const std::string& name,
                        const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"image", "--quiet", "--mtime", "1000"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {tree, dir.file(name)});
    auto result = squashpub(args);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return dir.file(name);
}

// Two default images: tree "a" (variant 0) and tree "b" (the given variant).
struct ImagePair {
    std::string a, b;
};

ImagePair make_image_pair(const TempDir& dir, int variant) {
    make_tree(dir.file("a"), 0);
    make_tree(dir.file("b"), variant);
    return {build_image(dir, dir.file("a"), "a.sqfs"), build_image(dir, dir.file("b"), "b.sqfs")};
}

// Makes a delta, applies it, and checks the rebuilt image; returns the delta size.
uint64_t round_trip(const TempDir& dir, const std::string& from, const std::string& to,
                    const std::vector<std::string>& extra = {}) {
    const std::string delta = dir.file("d.sqdelta"), rebuilt = dir.file("rebuilt.sqfs");
    std::vector<std::string> args = {"delta", "--quiet"};
    args.insert(args.end(), extra.begin(), extra.end());
    args.insert(args.end(), {from, to, delta});
    auto made = squashpub(args);
    EXPECT_EQ(made.exit_code, 0) << made.output;
    auto applied = squashpub({"apply", "--quiet", from, delta, rebuilt});
    EXPECT_EQ(applied.exit_code, 0) << applied.output;
    EXPECT_EQ(test::sha512(rebuilt), test::sha512(to));
    return test::file_size(delta);
}

TEST(DeltaEncoder, RoundTripsForEveryClientCompressor) {
    TempDir dir;
    make_tree(dir.file("a"), 0);
    make_tree(dir.file("b"), 1);
    for (std::vector<std::string> options :
         {std::vector<std::string>{"--compressor", "lzo", "--level", "1"},
          {"--compressor", "lzo", "--level", "4"},
          {"--compressor", "lzo", "--level", "9"},
          {"--compressor", "lz4"}}) {
        SCOPED_TRACE(options.back());
        const std::string old_image = build_image(dir, dir.file("a"), "old.sqfs", options);
        const std::string new_image = build_image(dir, dir.file("b"), "new.sqfs", options);
        const uint64_t size = round_trip(dir, old_image, new_image);
        EXPECT_LT(size, test::file_size(new_image) / 4);
        round_trip(dir, old_image, new_image, {"--shared-blocks", "keep"});
        round_trip(dir, old_image, new_image, {"--shared-blocks", "expand"});
    }
}

TEST(DeltaEncoder, AutomaticSharedBlocksKeepsTheSmallerVariant) {
    TempDir dir;
    const auto [a, b] = make_image_pair(dir, 4);
    const uint64_t keep = round_trip(dir, a, b, {"--shared-blocks", "keep"});
    const uint64_t expand = round_trip(dir, a, b, {"--shared-blocks", "expand"});
    EXPECT_EQ(round_trip(dir, a, b), std::min(keep, expand));
    EXPECT_EQ(squashpub({"delta", "--shared-blocks", "some", a, b, dir.file("x")}).exit_code, 2);
}

TEST(DeltaEncoder, SplicedDeltasRoundTripAndStayAsSmall) {
    TempDir dir;
    make_tree(dir.file("a"), 0);
    make_tree(dir.file("b"), 5);
    // Letters from a generator: compresses to about 60%, so the image
    // holds runs long enough to splice (256 KiB and more).
    std::string big(4 << 20, 'q');
    uint64_t state = 1;
    for (char& c : big) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        c = static_cast<char>('a' + (state >> 59));
    }
    test::write_file(dir.file("a/big.bin"), big);
    test::write_file(dir.file("b/big.bin"), big);
    const std::string a = build_image(dir, dir.file("a"), "a.sqfs");
    const std::string b = build_image(dir, dir.file("b"), "b.sqfs", {"--layout-from", a});
    for (const char* shared : {"keep", "expand"}) {
        SCOPED_TRACE(shared);
        const uint64_t whole =
            round_trip(dir, a, b, {"--shared-blocks", shared, "--splice-min", "off"});
        auto made = squashpub({"delta", "--verbose", "--shared-blocks", shared, "--splice-min", "0",
                               a, b, dir.file("spliced.sqdelta")});
        ASSERT_EQ(made.exit_code, 0) << made.output;
        EXPECT_NE(made.output.find("bytes copied in"), std::string::npos) << made.output;
        const uint64_t spliced =
            round_trip(dir, a, b, {"--shared-blocks", shared, "--splice-min", "0"});
        EXPECT_LT(spliced, whole + whole / 10 + 300) << whole;
    }
    EXPECT_EQ(squashpub({"delta", "--splice-min", "-1", a, b, dir.file("x")}).exit_code, 2);
}

TEST(DeltaEncoder, SameInputsGiveByteIdenticalDeltas) {
    TempDir dir;
    make_tree(dir.file("a"), 0);
    make_tree(dir.file("b"), 2);
    const std::string old_image = build_image(dir, dir.file("a"), "old.sqfs");
    const std::string new_image = build_image(dir, dir.file("b"), "new.sqfs");
    ASSERT_EQ(squashpub({"delta", "--quiet", "--jobs", "1", old_image, new_image,
                         dir.file("one.sqdelta")})
                  .exit_code,
              0);
    ASSERT_EQ(squashpub({"delta", "--quiet", "--jobs", "2", old_image, new_image,
                         dir.file("two.sqdelta")})
                  .exit_code,
              0);
    EXPECT_EQ(test::sha512(dir.file("one.sqdelta")), test::sha512(dir.file("two.sqdelta")));
}

TEST(DeltaEncoder, IdenticalAndEmptyImages) {
    TempDir dir;
    make_tree(dir.file("a"), 0);
    const std::string image = build_image(dir, dir.file("a"), "a.sqfs");
    EXPECT_LT(round_trip(dir, image, image), 2000u);
    fs::create_directories(dir.file("empty"));
    const std::string empty = build_image(dir, dir.file("empty"), "empty.sqfs");
    round_trip(dir, empty, image);
    round_trip(dir, image, empty);
    round_trip(dir, empty, empty);
}

TEST(DeltaEncoder, MksquashfsImagesWithUncompressedParts) {
    TempDir dir;
    make_tree(dir.file("a"), 0);
    make_tree(dir.file("b"), 3);
    for (const char* flags : {"", "-noD", "-noF", "-noI", "-noI -noD -noF -noX",
                              "-Xcompression-level 1", "-no-fragments"}) {
        SCOPED_TRACE(flags);
        for (const char* side : {"a", "b"})
            shell(std::string("mksquashfs '") + dir.file(side) + "' '" + dir.file(side) +
                  ".sqfs' -comp lzo -all-root -no-xattrs -noappend -quiet -no-progress " + flags +
                  " >/dev/null");
        round_trip(dir, dir.file("a.sqfs"), dir.file("b.sqfs"));
    }
}

TEST(DeltaEncoder, SparseFilesAndOneByteChangedInALargeTree) {
    TempDir dir;
    for (const char* side : {"a", "b"}) {
        make_tree(dir.file(side), 0);
        shell(std::string("cd '") + dir.file(side) +
              "' && dd if=/dev/zero of=sparse bs=1 count=0 seek=3000000 2>/dev/null && "
              "printf tail >> sparse");
    }
    std::string big(4 << 20, 'q');
    for (size_t i = 0; i < big.size(); i += 97)
        big[i] = static_cast<char>('a' + (i / 97) % 26);
    test::write_file(dir.file("a/big.bin"), big);
    big[big.size() / 2] = '!';
    test::write_file(dir.file("b/big.bin"), big);
    const std::string a = build_image(dir, dir.file("a"), "a.sqfs");
    const std::string b = build_image(dir, dir.file("b"), "b.sqfs");
    EXPECT_LT(round_trip(dir, a, b), 20000u);
}

TEST(DeltaEncoder, IncompatibleImagesAreClearErrors) {
    TempDir dir;
    make_tree(dir.file("a"), 0);
    const std::string lzo = build_image(dir, dir.file("a"), "lzo.sqfs");
    const std::string small_blocks =
        build_image(dir, dir.file("a"), "small.sqfs", {"--block-size", "65536"});
    const std::string lz4 = build_image(dir, dir.file("a"), "lz4.sqfs", {"--compressor", "lz4"});
    const std::string gzip = build_image(dir, dir.file("a"), "gz.sqfs", {"--compressor", "gzip"});
    struct Case {
        std::string from, to, expected;
    };
    test::write_file(dir.file("junk.sqfs"), std::string(4096, 'j'));
    for (const Case& c :
         {Case{lzo, small_blocks, "block size 65536 differs"}, Case{lzo, lz4, "compressor differs"},
          Case{lzo, gzip, "can only rebuild lzo and lz4"},
          Case{lzo, dir.file("junk.sqfs"), "not a SquashFS image"},
          Case{lzo, dir.file("missing.sqfs"), "cannot open"}}) {
        auto result = squashpub({"delta", c.from, c.to, dir.file("out.sqdelta")});
        EXPECT_EQ(result.exit_code, 1);
        EXPECT_NE(result.output.find(c.expected), std::string::npos) << result.output;
        EXPECT_FALSE(test::exists(dir.file("out.sqdelta")));
    }
}

TEST(DeltaEncoder, FailingXdelta3LeavesNoOutput) {
    TempDir dir;
    const auto [a, b] = make_image_pair(dir, 1);
    // An xdelta3 that writes half a delta and then dies by a signal: the
    // reference generator's defect D7 published such truncated deltas.
    test::write_file(dir.file("bin/xdelta3"),
                     "#!/bin/sh\nprintf '\\326\\303\\304\\000junk'\nkill -9 $$\n");
    shell("chmod +x '" + dir.file("bin/xdelta3") + "'");
    auto result = test::run({"env", "PATH=" + dir.file("bin") + ":/usr/bin:/bin", SQUASHPUB_BINARY,
                             "delta", a, b, dir.file("out.sqdelta")});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("killed by signal 9"), std::string::npos) << result.output;
    EXPECT_FALSE(test::exists(dir.file("out.sqdelta")));
    for (const std::string& name : test::list_dir(dir.path()))
        EXPECT_EQ(name.find(".tmp."), std::string::npos) << name;
}

TEST(DeltaEncoder, SigtermRemovesTemporaryFilesAndStopsXdelta3) {
    TempDir dir;
    const auto [a, b] = make_image_pair(dir, 1);
    fs::create_directories(dir.file("scratch"));
    // An xdelta3 that records its pid and then takes its time.
    test::write_file(dir.file("bin/xdelta3"),
                     "#!/bin/sh\necho $$ > '" + dir.file("xdelta3.pid") + "'\nexec sleep 30\n");
    shell("chmod +x '" + dir.file("bin/xdelta3") + "'");
    shell("PATH='" + dir.file("bin") +
          ":/usr/bin:/bin' '" SQUASHPUB_BINARY "' delta --quiet "
          "--tmpdir '" +
          dir.file("scratch") + "' '" + a + "' '" + b + "' '" + dir.file("out.sqdelta") +
          "' & pid=$!; "
          "for i in $(seq 100); do [ -s '" +
          dir.file("xdelta3.pid") +
          "' ] && break; sleep 0.1; done; "
          "kill -TERM $pid; wait $pid; test $? -eq 143");
    EXPECT_TRUE(test::list_dir(dir.file("scratch")).empty());
    EXPECT_FALSE(test::exists(dir.file("out.sqdelta")));
    for (const std::string& name : test::list_dir(dir.path()))
        EXPECT_EQ(name.find(".tmp."), std::string::npos) << name;
    // The child was told to stop too.
    std::string child = test::read_file(dir.file("xdelta3.pid"));
    child.erase(child.find_last_not_of("\n") + 1);
    shell("for i in $(seq 50); do kill -0 " + child +
          " 2>/dev/null || exit 0; sleep 0.1; done; exit 1");
}

TEST(DeltaEncoder, TemporaryFilesGoToTmpdirAndAreRemoved) {
    TempDir dir;
    const auto [a, b] = make_image_pair(dir, 1);
    fs::create_directories(dir.file("scratch"));
    ASSERT_EQ(squashpub({"delta", "--quiet", "--tmpdir", dir.file("scratch"), a, b,
                         dir.file("d.sqdelta")})
                  .exit_code,
              0);
    EXPECT_TRUE(test::list_dir(dir.file("scratch")).empty());
}

} // namespace
} // namespace squashpub::generator
