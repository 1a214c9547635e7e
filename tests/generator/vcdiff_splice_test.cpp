// The spliced VCDIFF payload on hand-made expanded files, decoded with the
// real `xdelta3 -d`: COPY windows for the runs both files share (at the
// same offset, or moved), xdelta3's windows for the rest.

#include "generator/delta/vcdiff_splice.hpp"

#include "core/files.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

namespace squashpub::generator {
namespace {

std::string noise(uint64_t seed, size_t bytes) {
    std::string out(bytes, '\0');
    uint64_t state = seed * 6364136223846793005ull + 1;
    for (char& c : out) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        c = static_cast<char>(state >> 56);
    }
    return out;
}

struct Files {
    TempDir dir;
    std::vector<BlockRecord> no_records;
    UniqueFd source, target;
    ExpandedView source_view, target_view;

    Files(const std::string& source_bytes, const std::string& target_bytes) {
        test::write_file(dir.file("source"), source_bytes);
        test::write_file(dir.file("target"), target_bytes);
        source = open_for_reading(dir.file("source"));
        target = open_for_reading(dir.file("target"));
        source_view = {source.get(), dir.file("source"), source_bytes.size(), source_bytes.size(),
                       &no_records};
        target_view = {target.get(), dir.file("target"), target_bytes.size(), target_bytes.size(),
                       &no_records};
    }

    // Encodes, decodes with xdelta3 -d, and returns what the splice did.
    SpliceStats round_trip(const std::vector<KnownMatch>& seeds, SpliceOptions options) {
        const std::string stream = dir.file("stream.vcdiff");
        std::optional<SpliceStats> stats;
        {
            AtomicOutput out(stream);
            stats = encode_spliced(source_view, target_view, out.fd(), out.temp_path(), dir.path(),
                                   seeds, options);
            out.commit();
        }
        EXPECT_TRUE(stats.has_value());
        test::CommandResult decoded = test::run(
            {"xdelta3", "-d", "-f", "-s", dir.file("source"), stream, dir.file("decoded")});
        EXPECT_EQ(decoded.exit_code, 0) << decoded.output;
        EXPECT_EQ(test::sha512(dir.file("decoded")), test::sha512(dir.file("target")));
        return stats.value_or(SpliceStats{});
    }
};

SpliceOptions small_runs() {
    SpliceOptions options;
    options.min_copy = 64 << 10;
    options.min_skipped = 0;
    options.margin = 64 << 10;
    return options;
}

TEST(VcdiffSplice, SameOffsetAndMovedRunsBecomeCopyWindows) {
    const std::string a = noise(1, 600 << 10), b = noise(2, 300 << 10), c = noise(3, 9 << 20);
    std::string changed_a = a;
    changed_a[1000] ^= 1;
    // b moves by 5000 bytes; c (over one 8 MiB window) stays in place.
    const std::string source = a + b + noise(4, 5000) + c;
    const std::string target = changed_a + noise(5, 5000) + b + c;
    Files files(source, target);
    // b's place is told as a seed, as the encoder does for shared blocks.
    const uint64_t b_at_target = a.size() + 5000, b_at_source = a.size();
    SpliceStats stats = files.round_trip({{b_at_target, b_at_source, b.size()}}, small_runs());
    EXPECT_GE(stats.copied_bytes, b.size() + c.size() + (500 << 10));
    EXPECT_LE(stats.encoded_bytes, 200u << 10);
    EXPECT_GE(stats.copy_windows, 3u);
    EXPECT_GE(stats.xdelta3_runs, 2u);
}

TEST(VcdiffSplice, WrongSeedsCostSizeNeverCorrectness) {
    const std::string source = noise(6, 400 << 10), target = noise(7, 400 << 10);
    Files files(source, target);
    // A seed whose bytes differ (a hash collision) is checked, not trusted.
    SpliceOptions options = small_runs();
    std::optional<SpliceStats> stats;
    {
        AtomicOutput out(files.dir.file("stream.vcdiff"));
        stats = encode_spliced(files.source_view, files.target_view, out.fd(), out.temp_path(),
                               files.dir.path(), {{0, 0, 400 << 10}}, options);
    }
    EXPECT_FALSE(stats.has_value()); // nothing shared: the caller runs xdelta3 whole
}

TEST(VcdiffSplice, SmallSharingLeavesTheWholeToXdelta3) {
    const std::string shared = noise(8, 1 << 20);
    Files files(shared + noise(9, 1000), shared + noise(10, 1000));
    SpliceOptions options; // default: splice only when it skips 64 MiB or more
    AtomicOutput out(files.dir.file("stream.vcdiff"));
    EXPECT_FALSE(encode_spliced(files.source_view, files.target_view, out.fd(), out.temp_path(),
                                files.dir.path(), {}, options)
                     .has_value());
    EXPECT_EQ(file_size_of(out.fd(), out.temp_path()), 0u);
}

} // namespace
} // namespace squashpub::generator
