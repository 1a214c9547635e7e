#include "generator/source/read_ahead.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>

namespace squashpub::generator {
namespace {

// root/{a, d/{b, c}, e}; each file's content is its locator repeated
// `size` times. A file named "bad" fails to read.
std::shared_ptr<Node> tree(std::vector<std::shared_ptr<Node>>& files) {
    auto file = [&](const std::string& locator, uint64_t size) {
        files.push_back(Node::file(size, false, locator));
        return files.back();
    };
    auto a = file("a", 2); // made in tree order: files[i] is the i-th file
    auto d = Node::directory();
    d->children = {{"b", file("b", 3)}};
    d->children.push_back({"c", file("bad", 1)});
    auto root = Node::directory();
    root->children = {{"a", a}, {"d", d}, {"e", file("e", 5)}};
    return root;
}

ReadAhead::FileReader counting_reader(std::atomic<int>& reads) {
    return [&reads](const Node& file) {
        ++reads;
        if (file.locator == "bad")
            throw std::runtime_error("unreadable");
        return std::string(file.size, file.locator[0]);
    };
}

// A take before the workers reach a file rightly says "read it yourself";
// the tests wait for the workers so that they check what was read ahead.
void wait_for_reads(const std::atomic<int>& reads, int count) {
    for (int i = 0; i < 5000 && reads < count; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ASSERT_EQ(reads, count);
}

TEST(ReadAhead, HandsOutFilesInTreeOrder) {
    std::vector<std::shared_ptr<Node>> files;
    auto root = tree(files);
    std::atomic<int> reads = 0;
    ReadAhead ahead(*root, 2, 1 << 20, [&] { return counting_reader(reads); });
    wait_for_reads(reads, 4);
    EXPECT_EQ(ahead.take(*files[0]), "aa");
    EXPECT_EQ(ahead.take(*files[1]), "bbb");
    EXPECT_EQ(ahead.take(*files[2]), std::nullopt); // its read failed: the caller reads it
    EXPECT_EQ(ahead.take(*files[3]), "eeeee");
    // A second read of a file is the caller's.
    EXPECT_EQ(ahead.take(*files[0]), std::nullopt);
}

TEST(ReadAhead, AOneByteWindowStillMovesForward) {
    std::vector<std::shared_ptr<Node>> files;
    auto root = tree(files);
    std::atomic<int> reads = 0;
    ReadAhead ahead(*root, 3, 1, [&] { return counting_reader(reads); });
    // One file at a time: the next is read once the last is taken (or failed).
    wait_for_reads(reads, 1);
    EXPECT_EQ(ahead.take(*files[0]), "aa");
    wait_for_reads(reads, 2);
    EXPECT_EQ(ahead.take(*files[1]), "bbb");
    wait_for_reads(reads, 4); // the failed read holds nothing: e follows at once
    EXPECT_EQ(ahead.take(*files[2]), std::nullopt);
    EXPECT_EQ(ahead.take(*files[3]), "eeeee");
}

TEST(ReadAhead, FinishedOnceEveryFileWasHandedOut) {
    std::vector<std::shared_ptr<Node>> files;
    auto root = tree(files);
    std::atomic<int> reads = 0;
    ReadAhead ahead(*root, 2, 1 << 20, [&] { return counting_reader(reads); });
    wait_for_reads(reads, 4);
    for (size_t i = 0; i + 1 < files.size(); ++i) {
        ahead.take(*files[i]);
        EXPECT_FALSE(ahead.finished()) << "after file " << i;
    }
    EXPECT_EQ(ahead.take(*files.back()), "eeeee");
    EXPECT_TRUE(ahead.finished());
    // Skipping to the last file passes the rest over: finished as well.
    ReadAhead skipped(*root, 1, 1 << 20, [&] { return counting_reader(reads); });
    skipped.take(*files.back());
    EXPECT_TRUE(skipped.finished());
}

TEST(ReadAhead, ReadingOutOfOrderOnlyCostsSpeed) {
    std::vector<std::shared_ptr<Node>> files;
    auto root = tree(files);
    std::atomic<int> reads = 0;
    // No workers: nothing is ever ahead, every take says "read it yourself".
    ReadAhead idle(*root, 0, 1 << 20, [&] { return counting_reader(reads); });
    for (const auto& file : files)
        EXPECT_EQ(idle.take(*file), std::nullopt);
    EXPECT_EQ(reads, 0);
    // Skipping ahead passes the earlier files over; later ones still come.
    ReadAhead ahead(*root, 1, 1 << 20, [&] { return counting_reader(reads); });
    const std::optional<std::string> e = ahead.take(*files[3]);
    EXPECT_TRUE(!e || *e == "eeeee");
    EXPECT_EQ(ahead.take(*files[0]), std::nullopt);
    EXPECT_EQ(ahead.take(*Node::file(1, false, "x")), std::nullopt); // not in the tree
}

// Many small files and a window a few of them fill: batches, the window and
// the writer's pace interleave in every order (a writer faster than the
// workers reads files itself), and each file comes whole, read at most once
// by a worker.
TEST(ReadAhead, ManyFilesThroughASmallWindow) {
    auto root = Node::directory();
    std::vector<std::shared_ptr<Node>> files;
    for (int i = 0; i < 2000; ++i) {
        files.push_back(Node::file(1 + (i * 37) % 700, false, std::string(1, 'a' + i % 26)));
        std::string name = "f"; // appended: GCC 12 -O3 warns falsely on "f" + string
        name += std::to_string(100000 + i);
        root->children.push_back({name, files.back()});
    }
    std::atomic<int> reads = 0;
    ReadAhead ahead(*root, 3, 4096, [&] { return counting_reader(reads); });
    for (int i = 0; i < 5000 && reads == 0; ++i) // the first file comes from a worker
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    size_t from_workers = 0;
    for (size_t i = 0; i < files.size(); ++i) {
        const Node& file = *files[i];
        const std::optional<std::string> content = ahead.take(file);
        if (content) {
            ++from_workers;
            EXPECT_EQ(*content, std::string(file.size, file.locator[0])) << "file " << i;
        }
        if (i % 97 == 0) // the writer pauses now and then: the window fills
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_TRUE(ahead.finished());
    EXPECT_GE(from_workers, 1u);
    EXPECT_LE(static_cast<size_t>(reads.load()), files.size());
}

} // namespace
} // namespace squashpub::generator
