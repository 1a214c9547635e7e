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

} // namespace
} // namespace squashpub
