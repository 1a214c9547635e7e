#include "core/files.hpp"

#include "core/error.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace squashpub {
namespace {

TEST(AtomicOutput, NothingAppearsWithoutCommit) {
    TempDir dir;
    {
        AtomicOutput out(dir.file("result"));
        write_all(out.fd(), "partial", 7, out.temp_path());
        EXPECT_TRUE(test::exists(out.temp_path()));
    }
    EXPECT_TRUE(test::list_dir(dir.path()).empty());
}

TEST(AtomicOutput, CommitReplacesTheFileAtOnce) {
    TempDir dir;
    test::write_file(dir.file("result"), "old");
    AtomicOutput out(dir.file("result"));
    write_all(out.fd(), "new content", 11, out.temp_path());
    EXPECT_EQ(test::read_file(dir.file("result")), "old");
    out.commit();
    EXPECT_EQ(test::read_file(dir.file("result")), "new content");
    EXPECT_EQ(test::list_dir(dir.path()), std::vector<std::string>{"result"});
    struct stat st;
    ASSERT_EQ(::stat(dir.file("result").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST(AtomicOutput, ScratchCommitSkipsOnlyTheSync) {
    TempDir dir;
    test::write_file(dir.file("result"), "old");
    AtomicOutput out(dir.file("result"));
    write_all(out.fd(), "rebuilt", 7, out.temp_path());
    out.commit(Durability::scratch);
    EXPECT_EQ(test::read_file(dir.file("result")), "rebuilt");
    EXPECT_EQ(test::list_dir(dir.path()), std::vector<std::string>{"result"});
}

TEST(FsyncFile, MissingFileIsAClearError) {
    TempDir dir;
    try {
        fsync_file(dir.file("gone.sqdelta"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.subject(), dir.file("gone.sqdelta"));
    }
    test::write_file(dir.file("here.sqdelta"), "delta");
    EXPECT_NO_THROW(fsync_file(dir.file("here.sqdelta")));
}

TEST(AtomicOutput, MissingDirectoryIsAClearError) {
    try {
        AtomicOutput out("/nonexistent-dir/out.sqfs");
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.subject(), "/nonexistent-dir/out.sqfs");
    }
}

TEST(TempDir, RemovesItselfWithContents) {
    std::string path;
    {
        TempDir dir;
        path = dir.path();
        test::write_file(dir.file("a/b/c"), "x");
    }
    EXPECT_FALSE(test::exists(path));
}

// A new file, not a truncated one: ext4 writes a file truncated to zero
// back to disk at its next close (files.hpp).
TEST(TempFile, RecreateStartsANewEmptyFileUnderThePath) {
    TempDir dir;
    TempFile file(dir.file("scratch"));
    write_all(file.fd(), "old bytes", 9, file.path());
    UniqueFd old_file = open_for_reading(file.path());
    file.recreate();
    EXPECT_EQ(file_size_of(file.fd(), file.path()), 0u);
    write_all(file.fd(), "new", 3, file.path());
    EXPECT_EQ(test::read_file(dir.file("scratch")), "new");
    // The old file was left as it was, not truncated.
    EXPECT_EQ(file_size_of(old_file.get(), file.path()), 9u);
}

TEST(Files, ShortReadNamesFileAndOffset) {
    TempDir dir;
    test::write_file(dir.file("short"), "abc");
    UniqueFd fd = open_for_reading(dir.file("short"));
    char buffer[10];
    try {
        read_exact_at(fd.get(), buffer, 10, 0, dir.file("short"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.subject(), dir.file("short"));
        EXPECT_NE(e.problem().find("offset 0"), std::string::npos);
    }
}

TEST(Files, CopySpanMovesBytesBetweenOffsets) {
    TempDir dir;
    std::string content(3 << 20, '\0');
    for (size_t i = 0; i < content.size(); ++i)
        content[i] = static_cast<char>(i * 7 + i / 4096);
    test::write_file(dir.file("from"), content);
    UniqueFd from = open_for_reading(dir.file("from"));
    AtomicOutput to(dir.file("to"));
    write_all(to.fd(), "head", 4, to.temp_path());
    copy_span(from.get(), dir.file("from"), 12345, to.fd(), to.temp_path(), 4, (2 << 20) + 3);
    to.commit();
    EXPECT_EQ(test::read_file(dir.file("to")), "head" + content.substr(12345, (2 << 20) + 3));
}

TEST(Files, CopySpanPastTheEndNamesTheSource) {
    TempDir dir;
    test::write_file(dir.file("from"), "short");
    UniqueFd from = open_for_reading(dir.file("from"));
    AtomicOutput to(dir.file("to"));
    try {
        copy_span(from.get(), dir.file("from"), 2, to.fd(), to.temp_path(), 0, 10);
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(dir.file("from")), std::string::npos) << e.what();
    }
}

TEST(Files, SameContentComparesEveryByte) {
    TempDir dir;
    std::string content((1 << 20) + 17, 'a');
    test::write_file(dir.file("a"), content);
    test::write_file(dir.file("b"), content);
    EXPECT_TRUE(same_content(dir.file("a"), dir.file("b")));
    content[(1 << 20) + 9] = 'b'; // in the second chunk
    test::write_file(dir.file("c"), content);
    EXPECT_FALSE(same_content(dir.file("a"), dir.file("c")));
    test::write_file(dir.file("d"), content.substr(0, 100));
    EXPECT_FALSE(same_content(dir.file("a"), dir.file("d")));
}

} // namespace
} // namespace squashpub
