// The stable layout over many generations of a changing tree: every image
// stays valid for every reader, the chain is reproducible, deltas between
// neighbours round-trip through `squashpub apply`, and unchanged entries
// really keep their numbers and positions.

#include "config/image_config.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "generator/image/fragment_packer.hpp"
#include "generator/image/previous_image.hpp"
#include "support/test_support.hpp"
#include "verifier/image_walk.hpp"

#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <random>
#include <unistd.h>

namespace squashpub {
namespace {

namespace fs = std::filesystem;
using test::CommandResult;
using test::compare_image_with_tree;
using test::exists;
using test::file_size;
using test::kernel_mounts_available;
using test::read_file;
using test::Reader;
using test::sha512;
using test::squashpub;
using test::write_file;

// A tree that changes from one generation to the next the way a package
// repository does: edits, new files, deletions, renames, whole subtrees
// coming and going, the odd large file, symlink and duplicate.
class EvolvingTree {
  public:
    explicit EvolvingTree(std::string root) : root_(std::move(root)) {
        for (int d = 0; d < 6; ++d)
            for (int f = 0; f < 8; ++f)
                add_file("cat" + std::to_string(d) + "/pkg" + std::to_string(f));
        fs::create_directories(root_ + "/empty");
        fs::create_symlink("cat0", root_ + "/link-to-cat0");
    }

    void evolve(int generation) {
        for (int k = 0; k < 4; ++k)
            edit(pick_file());
        for (int k = 0; k < 3; ++k)
            add_file(pick_dir() + "/new" + std::to_string(generation) + "-" + std::to_string(k));
        for (int k = 0; k < 2; ++k)
            fs::remove(pick_file());
        for (int k = 0; k < 2; ++k) {
            const std::string from = pick_file();
            fs::rename(from, root_ + "/" + pick_dir() + "/renamed" + std::to_string(generation) +
                                 "-" + std::to_string(k));
        }
        if (generation % 4 == 1) // a day with many additions
            for (int k = 0; k < 60; ++k)
                add_file("burst" + std::to_string(generation) + "/p" + std::to_string(k % 7) +
                         "/f" + std::to_string(k));
        if (generation % 4 == 3) // ... and one with many deletions
            fs::remove_all(root_ + "/burst" + std::to_string(generation - 2));
        if (generation % 3 == 0)
            fs::copy_file(pick_file(), root_ + "/dup" + std::to_string(generation));
        if (generation % 5 == 2)
            fs::create_symlink("../x" + std::to_string(generation),
                               root_ + "/cat1/link" + std::to_string(generation));
        fs::remove_all(root_ + "/empty");
        if (generation % 2 == 0)
            fs::create_directories(root_ + "/empty");
    }

  private:
    std::string content(size_t size) {
        std::string text;
        while (text.size() < size)
            text +=
                "EAPI=8 KEYWORDS=\"~amd64\" SRC_URI=\"mirror://" + std::to_string(rng_()) + "\"\n";
        text.resize(size);
        return text;
    }

    void add_file(const std::string& relative) {
        fs::create_directories(fs::path(root_ + "/" + relative).parent_path());
        // Mostly small files (fragments), sometimes several blocks.
        const size_t size = rng_() % 10 == 0 ? 9000 + rng_() % 20000 : 10 + rng_() % 3000;
        write_file(root_ + "/" + relative, content(size));
    }

    void edit(const std::string& path) { write_file(path, read_file(path) + content(40)); }

    std::vector<std::string> files() const {
        std::vector<std::string> all;
        for (const auto& entry : fs::recursive_directory_iterator(root_))
            if (entry.is_regular_file() && !entry.is_symlink())
                all.push_back(entry.path().string());
        std::sort(all.begin(), all.end());
        return all;
    }

    std::string pick_file() {
        const std::vector<std::string> all = files();
        return all[rng_() % all.size()];
    }

    std::string pick_dir() { return "cat" + std::to_string(rng_() % 6); }

    std::string root_;
    std::mt19937 rng_{20260622};
};

constexpr int kGenerations = 12;

std::vector<std::string> image_options(int generation) {
    return {"--quiet", "--mtime", std::to_string(1750000000 + generation * 86400), "--block-size",
            "4096"};
}

// Builds the chain: every generation's image with the previous one as
// --layout-from. Trees are kept so that each image can be checked.
std::vector<std::string> build_chain(const std::string& dir, const std::vector<std::string>& extra,
                                     std::vector<std::string>* trees) {
    EvolvingTree tree(dir + "/tree");
    std::vector<std::string> images;
    for (int generation = 0; generation < kGenerations; ++generation) {
        if (generation > 0)
            tree.evolve(generation);
        if (trees) {
            const std::string copy = dir + "/tree-" + std::to_string(generation);
            fs::copy(dir + "/tree", copy,
                     fs::copy_options::recursive | fs::copy_options::copy_symlinks);
            trees->push_back(copy);
        }
        std::vector<std::string> args = {"image"};
        for (const std::string& option : image_options(generation))
            args.push_back(option);
        args.insert(args.end(), extra.begin(), extra.end());
        if (!images.empty())
            args.insert(args.end(), {"--layout-from", images.back()});
        const std::string image = dir + "/gen" + std::to_string(generation) + ".sqfs";
        args.insert(args.end(), {dir + "/tree", image});
        CommandResult built = squashpub(args);
        EXPECT_EQ(built.exit_code, 0) << built.output;
        images.push_back(image);
    }
    return images;
}

class StableLayoutChain : public ::testing::TestWithParam<const char*> {};

TEST_P(StableLayoutChain, EveryGenerationIsValidReproducibleAndApplies) {
    TempDir dir;
    const std::vector<std::string> extra = {"--compact-percent", GetParam()};
    std::vector<std::string> trees;
    const std::vector<std::string> images = build_chain(dir.path() + "/a", extra, &trees);
    const std::vector<std::string> again = build_chain(dir.path() + "/b", extra, nullptr);
    const bool kernel = kernel_mounts_available();
    for (int g = 0; g < kGenerations; ++g) {
        SCOPED_TRACE("generation " + std::to_string(g));
        EXPECT_EQ(read_file(images[g]), read_file(again[g])) << "chain not reproducible";
        EXPECT_EQ(compare_image_with_tree(images[g], trees[g], dir.path(), Reader::unsquashfs), "");
        EXPECT_EQ(compare_image_with_tree(images[g], trees[g], dir.path(), Reader::sqfs2tar), "");
        if (kernel) {
            EXPECT_EQ(compare_image_with_tree(images[g], trees[g], dir.path(), Reader::kernel), "");
        }
        EXPECT_NO_THROW(verifier::walk_image(images[g])); // libsquashfs reads every file
        if (g == 0)
            continue;
        const std::string delta = dir.path() + "/d.sqdelta", rebuilt = dir.path() + "/r.sqfs";
        CommandResult made = squashpub({"delta", "--quiet", images[g - 1], images[g], delta});
        ASSERT_EQ(made.exit_code, 0) << made.output;
        CommandResult applied = squashpub({"apply", "--quiet", images[g - 1], delta, rebuilt});
        ASSERT_EQ(applied.exit_code, 0) << applied.output;
        EXPECT_EQ(sha512(rebuilt), sha512(images[g]));
    }
    if (!kernel)
        std::printf("note: loop mounts unavailable here; the kernel reader was not checked\n");
}

// "50": the default, logs carried; "1": every log and the fragments
// compacted on almost every generation.
INSTANTIATE_TEST_SUITE_P(CompactPercent, StableLayoutChain, ::testing::Values("50", "1"));

TEST(StableLayout, UnchangedEntriesKeepNumbersAndPositions) {
    TempDir dir;
    EvolvingTree tree(dir.path() + "/tree");
    ASSERT_EQ(squashpub({"image", "--quiet", "--mtime", "1", dir.path() + "/tree",
                         dir.path() + "/old.sqfs"})
                  .exit_code,
              0);
    write_file(dir.path() + "/tree/cat2/pkg3", "changed\n");
    write_file(dir.path() + "/tree/cat0/aaa-new", "new\n");
    ASSERT_EQ(squashpub({"image", "--quiet", "--mtime", "2", "--layout-from",
                         dir.path() + "/old.sqfs", dir.path() + "/tree", dir.path() + "/new.sqfs"})
                  .exit_code,
              0);
    ASSERT_EQ(squashpub({"image", "--quiet", "--mtime", "2", dir.path() + "/tree",
                         dir.path() + "/fresh.sqfs"})
                  .exit_code,
              0);
    config::ImageOptions options;
    const generator::PreviousImage before(dir.path() + "/old.sqfs", options);
    const generator::PreviousImage after(dir.path() + "/new.sqfs", options);
    size_t same = 0;
    for (const auto& [path, old] : before.entries()) {
        const generator::WalkedInode* now = after.find(path);
        ASSERT_NE(now, nullptr) << path;
        EXPECT_EQ(now->inode.inode_number, old.inode.inode_number) << path;
        if (path == "cat2/pkg3" || old.inode.is_directory())
            continue; // its content changed; directories are updated in place
        EXPECT_EQ(now->record_offset, old.record_offset) << path;
        EXPECT_EQ(now->inode.mtime, 1u) << path << " keeps its timestamp";
        EXPECT_EQ(now->inode.fragment_index, old.inode.fragment_index) << path;
        EXPECT_EQ(now->inode.fragment_offset, old.inode.fragment_offset) << path;
        ++same;
    }
    EXPECT_GT(same, 40u);
    EXPECT_EQ(after.find("cat2/pkg3")->inode.mtime, 2u);
    EXPECT_EQ(after.find("cat0/aaa-new")->inode.inode_number, before.entries().size() + 1);
    // The point of it all: a far smaller delta than between fresh layouts.
    const std::string carried = dir.path() + "/carried.sqdelta", fresh = dir.path() + "/f.sqdelta";
    ASSERT_EQ(
        squashpub({"delta", "--quiet", dir.path() + "/old.sqfs", dir.path() + "/new.sqfs", carried})
            .exit_code,
        0);
    ASSERT_EQ(
        squashpub({"delta", "--quiet", dir.path() + "/old.sqfs", dir.path() + "/fresh.sqfs", fresh})
            .exit_code,
        0);
    EXPECT_LT(file_size(carried) * 2, file_size(fresh));
}

TEST(StableLayout, BadLayoutFromIsAnErrorNamingTheFile) {
    TempDir dir;
    write_file(dir.path() + "/tree/a", "a\n");
    write_file(dir.path() + "/junk.sqfs", std::string(4096, 'x'));
    CommandResult junk = squashpub({"image", "--quiet", "--layout-from", dir.path() + "/junk.sqfs",
                                    dir.path() + "/tree", dir.path() + "/out.sqfs"});
    EXPECT_EQ(junk.exit_code, 1);
    EXPECT_NE(junk.output.find("junk.sqfs"), std::string::npos) << junk.output;
    EXPECT_FALSE(exists(dir.path() + "/out.sqfs"));
    CommandResult missing =
        squashpub({"image", "--quiet", "--layout-from", dir.path() + "/none.sqfs",
                   dir.path() + "/tree", dir.path() + "/out.sqfs"});
    EXPECT_NE(missing.exit_code, 0);
    EXPECT_NE(missing.output.find("none.sqfs"), std::string::npos) << missing.output;
    CommandResult classic =
        squashpub({"image", "--quiet", "--layout", "classic", "--layout-from",
                   dir.path() + "/junk.sqfs", dir.path() + "/tree", dir.path() + "/out.sqfs"});
    EXPECT_EQ(classic.exit_code, 2) << classic.output;
}

TEST(StableLayout, IncompatibleLayoutFromStartsAFreshLayout) {
    TempDir dir;
    write_file(dir.path() + "/tree/a", "a\n");
    ASSERT_EQ(squashpub({"image", "--quiet", "--mtime", "1", "--block-size", "65536",
                         dir.path() + "/tree", dir.path() + "/old.sqfs"})
                  .exit_code,
              0);
    CommandResult built =
        squashpub({"image", "--mtime", "1", "--layout-from", dir.path() + "/old.sqfs",
                   dir.path() + "/tree", dir.path() + "/new.sqfs"});
    EXPECT_EQ(built.exit_code, 0) << built.output;
    EXPECT_NE(built.output.find("not carried over"), std::string::npos) << built.output;
    ASSERT_EQ(squashpub({"image", "--quiet", "--mtime", "1", dir.path() + "/tree",
                         dir.path() + "/fresh.sqfs"})
                  .exit_code,
              0);
    EXPECT_EQ(sha512(dir.path() + "/new.sqfs"), sha512(dir.path() + "/fresh.sqfs"));
}

// ---- the fragment packer: places only, content materialised per block ----

using generator::AddedTail;
using generator::FragmentBlockPlan;
using generator::FragmentPacker;
using generator::FragmentPlace;
using generator::materialise_fragment_block;
using generator::TailDigest;

TailDigest digest_of(uint8_t tag) {
    TailDigest digest{};
    digest[0] = tag;
    return digest;
}

TEST(StableLayoutFragments, KeepsUnchangedTailsAndPutsNewOnesInTheGapsTheyLeft) {
    // The previous block 0 held "aaaa" "bbbb" "cccc": "bbbb" went away and
    // "cccc" changed; the new tail "dd" goes into the first gap.
    const std::string previous = "aaaabbbbcccc";
    FragmentPacker packer(16, 1);
    packer.keep({0, 0}, 4, digest_of(1));
    packer.release_unkept();
    const FragmentPlace placed = packer.place(2, digest_of(2), 7, {0});
    EXPECT_EQ(placed.index, 0u);
    EXPECT_EQ(placed.offset, 4u);
    const FragmentPlace shared = packer.place(2, digest_of(2), 8, {0});
    EXPECT_EQ(shared.offset, placed.offset) << "identical tails share one place";
    const FragmentPlace kept_twin = packer.place(4, digest_of(1), 9, {});
    EXPECT_EQ(kept_twin.offset, 0u) << "a new tail identical to a kept one shares its place";
    const std::vector<FragmentBlockPlan> blocks = packer.take_blocks();
    ASSERT_EQ(blocks.size(), 1u);
    EXPECT_EQ(blocks[0].carried_from, 0);
    ASSERT_EQ(blocks[0].added.size(), 1u);
    EXPECT_EQ(blocks[0].added[0].owner, 7u);
    EXPECT_EQ(blocks[0].size, 6u);
    EXPECT_EQ(materialise_fragment_block(blocks[0], previous, {"dd"}), std::string("aaaadd"));
}

TEST(StableLayoutFragments, ReleasedBytesBecomeZerosAndTheBlockEndsAtItsLastTail) {
    FragmentPacker packer(16, 3);
    packer.keep({0, 4}, 4, digest_of(1)); // block 0 keeps its middle tail
    packer.keep({2, 0}, 3, digest_of(2)); // block 2 its first; block 1 nothing
    packer.release_unkept();
    const FragmentPlace fresh = packer.place(10, digest_of(3), 5, {});
    EXPECT_EQ(fresh.index, 2u) << "the last block first";
    const FragmentPlace reused = packer.place(12, digest_of(4), 6, {});
    EXPECT_EQ(reused.index, 1u) << "then a block nothing uses any more";
    const std::vector<FragmentBlockPlan> blocks = packer.take_blocks();
    ASSERT_EQ(blocks.size(), 3u);
    EXPECT_EQ(materialise_fragment_block(blocks[0], "aaaabbbbcccc", {}),
              std::string("\0\0\0\0bbbb", 8));
    EXPECT_EQ(blocks[1].carried_from, -1) << "a reused index starts empty";
    EXPECT_EQ(materialise_fragment_block(blocks[1], "", {std::string(12, 'x')}),
              std::string(12, 'x'));
    EXPECT_EQ(materialise_fragment_block(blocks[2], "yyy", {std::string(10, 'z')}),
              "yyy" + std::string(10, 'z'));
}

TEST(StableLayoutFragments, AnIndexNothingUsesKeepsAOneBytePlaceholder) {
    FragmentPacker packer(16, 2);
    packer.keep({1, 0}, 4, digest_of(1));
    packer.release_unkept();
    const std::vector<FragmentBlockPlan> blocks = packer.take_blocks();
    ASSERT_EQ(blocks.size(), 2u);
    EXPECT_EQ(blocks[0].carried_from, -1);
    EXPECT_EQ(materialise_fragment_block(blocks[0], "", {}), std::string(1, '\0'));
}

TEST(StableLayoutFragments, APlanOutsideThePreviousBlockOrATailOfAnotherSizeIsAnError) {
    FragmentPacker packer(16, 1);
    packer.keep({0, 8}, 8, digest_of(1));
    packer.release_unkept();
    packer.place(2, digest_of(2), 0, {0});
    const std::vector<FragmentBlockPlan> blocks = packer.take_blocks();
    EXPECT_THROW(materialise_fragment_block(blocks[0], "short", {"dd"}), Error);
    EXPECT_THROW(materialise_fragment_block(blocks[0], std::string(16, 'a'), {"ddd"}), Error);
}

TEST(StableLayout, ACorruptFragmentBlockInLayoutFromIsAnErrorNamingTheFile) {
    TempDir dir;
    for (int f = 0; f < 20; ++f)
        write_file(dir.path() + "/tree/f" + std::to_string(f), "content " + std::to_string(f));
    const std::string old = dir.path() + "/old.sqfs";
    ASSERT_EQ(squashpub({"image", "--quiet", "--compressor", "gzip", "--mtime", "1",
                         dir.path() + "/tree", old})
                  .exit_code,
              0);
    config::ImageOptions options;
    options.compressor = config::Compressor::gzip;
    uint64_t start = 0;
    {
        generator::PreviousImage image(old, options);
        ASSERT_EQ(image.fragments().size(), 1u);
        start = image.fragments()[0].start;
        ASSERT_EQ(image.fragments()[0].size_word >> 24, 0u) << "stored compressed";
    }
    {
        UniqueFd fd(::open(old.c_str(), O_WRONLY));
        const std::string junk(8, '\xff');
        ASSERT_EQ(::pwrite(fd.get(), junk.data(), junk.size(), static_cast<off_t>(start)), 8);
    }
    CommandResult built =
        squashpub({"image", "--quiet", "--compressor", "gzip", "--mtime", "1", "--layout-from", old,
                   dir.path() + "/tree", dir.path() + "/new.sqfs"});
    EXPECT_EQ(built.exit_code, 1) << built.output;
    EXPECT_NE(built.output.find("old.sqfs"), std::string::npos) << built.output;
    EXPECT_NE(built.output.find("fragment block 0"), std::string::npos) << built.output;
    EXPECT_FALSE(exists(dir.path() + "/new.sqfs"));
}

} // namespace
} // namespace squashpub
