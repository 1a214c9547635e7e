// The race rule of squashmerge_race.hpp against a literal transcription of
// stock squashmerge's two worker loops (decompress_blocks, compress_blocks
// in its src/squashmerge.c), and the padding that enforces it.

#include "generator/delta/squashmerge_race.hpp"

#include <gtest/gtest.h>

namespace squashpub::generator {
namespace {

// squashmerge's decompress_blocks: worker `id` of `threads` handles the
// records with i % threads == id.
uint64_t squashmerge_expands(const std::vector<BlockRecord>& list, unsigned threads, unsigned id) {
    uint64_t bytes = 0;
    for (size_t i = 0; i < list.size(); ++i)
        if (i % threads == id)
            bytes += list[i].uncompressed_length;
    return bytes;
}

// squashmerge's compress_blocks: i runs from the count down to 1 and the
// worker with i % threads == id handles record i - 1.
uint64_t squashmerge_recompresses(const std::vector<BlockRecord>& list, unsigned threads,
                                  unsigned id) {
    uint64_t bytes = 0;
    for (size_t i = list.size(); i > 0; --i)
        if (i % threads == id)
            bytes += list[i - 1].uncompressed_length;
    return bytes;
}

std::vector<BlockRecord> list_of(std::vector<uint32_t> sizes, uint32_t first_offset = 1000) {
    std::vector<BlockRecord> list;
    uint32_t offset = first_offset;
    for (uint32_t size : sizes) {
        list.push_back({offset, 100, size});
        offset += 100;
    }
    return list;
}

TEST(SquashmergeRace, FirstWorkerShareMatchesSquashmergesLoops) {
    std::vector<uint32_t> sizes;
    for (uint32_t i = 0; i < 37; ++i)
        sizes.push_back(1000 + 17 * i);
    const std::vector<BlockRecord> list = list_of(sizes);
    for (unsigned threads = 1; threads <= 20; ++threads) {
        EXPECT_EQ(first_worker_decompress_bytes(list, threads),
                  squashmerge_expands(list, threads, 0));
        EXPECT_EQ(first_worker_compress_bytes(list, threads),
                  squashmerge_recompresses(list, threads, 0));
    }
}

TEST(SquashmergeRace, ShortListsAreImmuneAndOthersNeedTheMargin) {
    const RaceMargin margin;
    EXPECT_TRUE(immune_to_race({}, {}));
    EXPECT_TRUE(immune_to_race(list_of({131072}), {}));
    EXPECT_FALSE(immune_to_race(list_of({1, 1}), {}));
    EXPECT_FALSE(immune_to_race({}, list_of({1})));
    EXPECT_TRUE(outlasts_start_up(list_of({131072}), {}, margin));
    // One target record belongs to worker 1 whatever the thread count.
    EXPECT_FALSE(outlasts_start_up({}, list_of({131072}), margin));
    // 15 target records: worker 0 owns none of them with 16 threads.
    EXPECT_FALSE(outlasts_start_up({}, list_of(std::vector<uint32_t>(15, 1u << 20)), margin));
    EXPECT_TRUE(outlasts_start_up({}, list_of(std::vector<uint32_t>(16, 1u << 20)), margin));
    EXPECT_TRUE(outlasts_start_up(list_of({1, 1}), list_of({1}), RaceMargin{0, 0}));
}

TEST(SquashmergeRace, PaddingStopsAtTheMarginOrWhenTheSupplyRunsOut) {
    std::vector<BlockRecord> source = list_of({5000, 7000, 9000});
    std::vector<BlockRecord> target = list_of({6000, 8000});
    size_t supplied = 0;
    auto supply = [&]() -> std::optional<PaddingBlock> {
        if (supplied == 1000)
            return std::nullopt;
        ++supplied;
        // Below and above the natural blocks (at 1000 to 1200), so that
        // they interleave.
        const uint32_t offset = static_cast<uint32_t>(supplied % 2 ? supplied : 100000 + supplied);
        return PaddingBlock{{offset, 100, 131072}, {offset, 100, 131072}};
    };
    const RaceMargin margin;
    const std::vector<PaddingBlock> added = pad_until_safe(source, target, supply, margin);
    EXPECT_TRUE(outlasts_start_up(source, target, margin));
    EXPECT_EQ(source.size(), 3 + added.size());
    EXPECT_EQ(target.size(), 2 + added.size());
    EXPECT_LT(added.size(), 200u); // about 16 x 1 MiB / 128 KiB
    for (size_t i = 1; i < source.size(); ++i)
        EXPECT_LT(source[i - 1].offset, source[i].offset);
    // Without the block just before the margin was met, it is not.
    std::vector<BlockRecord> short_source = list_of({5000, 7000, 9000});
    std::vector<BlockRecord> short_target = list_of({6000, 8000});
    supplied = 0;
    const std::vector<PaddingBlock> few = pad_until_safe(
        short_source, short_target,
        [&]() -> std::optional<PaddingBlock> {
            if (supplied + 1 == added.size())
                return std::nullopt;
            return supply();
        },
        margin);
    EXPECT_EQ(few.size(), added.size() - 1);
    EXPECT_FALSE(outlasts_start_up(short_source, short_target, margin));
}

} // namespace
} // namespace squashpub::generator
