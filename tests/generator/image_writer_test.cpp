// Images of synthetic trees holding everything a repository can hold, read
// back with the standard tools (unsquashfs, sqfs2tar).

#include "generator/image/image_writer.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "generator/source/directory_source.hpp"
#include "generator/source/git_source.hpp"
#include "support/test_support.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace squashpub::generator {
namespace {

using test::shell;
using test::squashpub;
using test::write_file;

// A tree with every kind of entry and awkward name; modes are the
// normalised ones squashpub stores, so the image must match it exactly.
void make_edge_case_tree(const std::string& root) {
    write_file(root + "/empty", "");
    write_file(root + "/small.txt", "hello\n");
    std::string multi(3 * 131072 + 17, '\0');
    for (size_t i = 0; i < multi.size(); ++i)
        multi[i] = static_cast<char>((i * 7919) >> 5);
    write_file(root + "/multi-block.bin", multi);
    write_file(root + "/copy-of-multi-block.bin", multi); // deduplicated
    write_file(root + "/exec.sh", "#!/bin/sh\necho hi\n");
    ::chmod((root + "/exec.sh").c_str(), 0755);
    write_file(root + "/dir with spaces/ünïcødé ファイル", "utf-8\n");
    write_file(root + "/odd/--leading-dash", "dash\n");
    write_file(root + "/odd/new\nline", "newline in name\n");
    fs::create_directories(root + "/empty-dir");
    std::string deep = root;
    for (int i = 0; i < 40; ++i)
        deep += "/d" + std::to_string(i);
    write_file(deep + "/bottom", "deep\n");
    fs::create_symlink("small.txt", root + "/link");
    fs::create_symlink("does/not/exist", root + "/dangling");
    std::string long_target;
    while (long_target.size() < 1000)
        long_target += "long/";
    fs::create_symlink(long_target, root + "/long-link");
    fs::create_hard_link(root + "/small.txt", root + "/odd/hardlink");
    // Sparse: a hole between two written blocks.
    shell("dd if=/dev/zero of='" + root +
          "/sparse' bs=1 count=0 seek=1048576 2>/dev/null && "
          "printf data >> '" +
          root + "/sparse'");
    shell("find '" + root + "' -type d -exec chmod 0755 {} + && find '" + root +
          "' -type f ! -name exec.sh -exec chmod 0644 {} +");
}

TEST(ImageWriter, EdgeCaseTreeReadsBackExactly) {
    TempDir dir;
    make_edge_case_tree(dir.file("tree"));
    for (const char* compressor : {"lzo", "lz4", "gzip", "xz", "zstd"}) {
        SCOPED_TRACE(compressor);
        const std::string image = dir.file(std::string(compressor) + ".sqfs");
        auto result = squashpub({"image", "--quiet", "--mtime", "1234567890", "--compressor",
                                 compressor, dir.file("tree"), image});
        ASSERT_EQ(result.exit_code, 0) << result.output;
        EXPECT_EQ(test::compare_image_with_tree(image, dir.file("tree"), dir.path()), "");
        EXPECT_EQ(test::run({"sqfs2tar", "--no-xattr", image}).exit_code, 0);
    }
}

TEST(ImageWriter, EveryInodeCarriesTheChosenTimeAndOwner) {
    TempDir dir;
    make_edge_case_tree(dir.file("tree"));
    ASSERT_EQ(squashpub({"image", "--quiet", "--mtime", "1234567890", "--uid", "250", "--gid",
                         "250", dir.file("tree"), dir.file("a.sqfs")})
                  .exit_code,
              0);
    const std::string list = "TZ=UTC unsquashfs -lln -no-xattrs '" + dir.file("a.sqfs") + "'";
    // (The name with a newline continues on a line of its own: skip those.)
    EXPECT_EQ(shell(list + " | grep squashfs-root | grep -c -v ' 250/250 ' || true"), "0\n");
    EXPECT_EQ(shell(list + " | grep squashfs-root | grep -c -v ' 2009-02-13 23:31 ' || true"),
              "0\n");
    EXPECT_NE(shell("unsquashfs -s '" + dir.file("a.sqfs") + "'").find("Fri Feb 13 23:31:30 2009"),
              std::string::npos);
}

TEST(ImageWriter, ReproducibleAcrossJobsUmaskAndListingOrder) {
    TempDir dir;
    make_edge_case_tree(dir.file("tree"));
    ASSERT_EQ(squashpub({"image", "--quiet", "--mtime", "1", "--jobs", "1", dir.file("tree"),
                         dir.file("one.sqfs")})
                  .exit_code,
              0);
    // Same tree content written again in reverse creation order under another umask.
    shell("cd '" + dir.path() +
          "' && mkdir tree2 && (umask 077 && cp -a tree/. tree2/) && "
          "chmod -R go-rwx tree2");
    ASSERT_EQ(squashpub({"image", "--quiet", "--mtime", "1", "--jobs", "2", dir.file("tree2"),
                         dir.file("two.sqfs")})
                  .exit_code,
              0);
    EXPECT_EQ(test::sha512(dir.file("one.sqfs")), test::sha512(dir.file("two.sqfs")));
}

TEST(ImageWriter, CheckoutAndRevisionGiveTheSameImage) {
    TempDir dir;
    const std::string repo = dir.file("repo");
    write_file(repo + "/a/b.txt", "b\n");
    write_file(repo + "/run.sh", "#!/bin/sh\n");
    ::chmod((repo + "/run.sh").c_str(), 0755);
    fs::create_symlink("a/b.txt", repo + "/link");
    shell("cd '" + repo +
          "' && git init -q && git add -A && "
          "git -c user.name=t -c user.email=t@t commit -q -m one --date=@1700000000 && "
          "GIT_COMMITTER_DATE=@1700000000 git -c user.name=t -c user.email=t@t commit -q "
          "--amend --no-edit");
    ASSERT_EQ(squashpub({"image", "--quiet", repo, dir.file("checkout.sqfs")}).exit_code, 0);
    ASSERT_EQ(
        squashpub({"image", "--quiet", "--rev", "HEAD", repo, dir.file("rev.sqfs")}).exit_code, 0);
    EXPECT_EQ(test::sha512(dir.file("checkout.sqfs")), test::sha512(dir.file("rev.sqfs")));
    // Default timestamp: the committer time.
    EXPECT_NE(shell("unsquashfs -s '" + dir.file("rev.sqfs") + "'").find("Nov 14"),
              std::string::npos);
    // A bare clone works the same way.
    shell("git clone -q --bare '" + repo + "' '" + dir.file("bare.git") + "'");
    ASSERT_EQ(squashpub({"image", "--quiet", "--rev", "HEAD", dir.file("bare.git"),
                         dir.file("bare.sqfs")})
                  .exit_code,
              0);
    EXPECT_EQ(test::sha512(dir.file("bare.sqfs")), test::sha512(dir.file("rev.sqfs")));
}

TEST(ImageWriter, SubmodulesBecomeEmptyDirectoriesWithAWarning) {
    TempDir dir;
    const std::string repo = dir.file("repo");
    write_file(repo + "/f", "f\n");
    shell(
        "cd '" + repo +
        "' && git init -q && git add f && "
        "git update-index --add --cacheinfo 160000,1111111111111111111111111111111111111111,sub && "
        "git -c user.name=t -c user.email=t@t commit -q -m one");
    auto result = squashpub({"image", "--rev", "HEAD", repo, dir.file("s.sqfs")});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("sub: submodule stored as an empty directory"), std::string::npos);
    EXPECT_NE(shell("unsquashfs -lln '" + dir.file("s.sqfs") + "'").find("drwxr-xr-x"),
              std::string::npos);
}

TEST(ImageWriter, ExcludePatternsApply) {
    TempDir dir;
    write_file(dir.file("tree/keep.txt"), "k");
    write_file(dir.file("tree/drop.pyc"), "d");
    write_file(dir.file("tree/cache/x"), "x");
    ASSERT_EQ(squashpub({"image", "--quiet", "--mtime", "0", "--exclude", "*.pyc", dir.file("tree"),
                         dir.file("a.sqfs")})
                  .exit_code,
              0);
    const std::string listing = shell("unsquashfs -l '" + dir.file("a.sqfs") + "'");
    EXPECT_EQ(listing.find("drop.pyc"), std::string::npos);
    EXPECT_NE(listing.find("keep.txt"), std::string::npos);
}

TEST(ImageWriter, SpecialFilesAreAClearErrorAndNothingIsWritten) {
    TempDir dir;
    write_file(dir.file("tree/ok"), "ok");
    ASSERT_EQ(::mkfifo(dir.file("tree/pipe").c_str(), 0644), 0);
    auto result = squashpub({"image", dir.file("tree"), dir.file("out.sqfs")});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find(dir.file("tree/pipe") + ": is a FIFO"), std::string::npos)
        << result.output;
    EXPECT_EQ(test::list_dir(dir.path()), std::vector<std::string>{"tree"});
    // Excluded, it is fine.
    EXPECT_EQ(squashpub({"image", "--quiet", "--mtime", "0", "--exclude", "pipe", dir.file("tree"),
                         dir.file("out.sqfs")})
                  .exit_code,
              0);
}

TEST(ImageWriter, UnreadableFileNamesThePathAndLeavesNoOutput) {
    // Root reads any file, so as root (CI) the build runs as nobody, in a
    // directory nobody may write to: the unreadable file is then unreadable.
    TempDir dir;
    write_file(dir.file("tree/secret"), "s");
    ::chmod(dir.file("tree/secret").c_str(), 0);
    std::vector<std::string> argv = {SQUASHPUB_BINARY, "image", dir.file("tree"),
                                     dir.file("out.sqfs")};
    if (::geteuid() == 0) {
        ::chmod(dir.path().c_str(), 0777);
        argv.insert(argv.begin(),
                    {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"});
    }
    auto result = test::run(argv);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find(dir.file("tree/secret")), std::string::npos);
    EXPECT_FALSE(test::exists(dir.file("out.sqfs")));
}

TEST(ImageWriter, FileVanishingDuringTheBuildFailsCleanly) {
    // Read errors surface as an Error naming the file; the atomic output
    // then removes the partial image. Driven through the library so the
    // file can vanish between listing and reading.
    TempDir dir;
    write_file(dir.file("tree/a"), "aaaa");
    write_file(dir.file("tree/b"), "bbbb");
    DirectorySource source(dir.file("tree"), ExcludeRules());
    fs::remove(dir.file("tree/b"));
    config::ImageOptions options;
    try {
        write_image(source, options, 0, dir.file("out.sqfs"));
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.subject(), dir.file("tree/b"));
    }
    EXPECT_EQ(test::list_dir(dir.path()), std::vector<std::string>{"tree"});
}

TEST(ImageWriter, ExistingOutputSurvivesAFailedBuild) {
    TempDir dir;
    write_file(dir.file("out.sqfs"), "previous image");
    auto result = squashpub({"image", dir.file("missing-source"), dir.file("out.sqfs")});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find(dir.file("missing-source")), std::string::npos);
    EXPECT_EQ(test::read_file(dir.file("out.sqfs")), "previous image");
}

TEST(ImageWriter, IdenticalContentsAreStoredOnce) {
    TempDir dir;
    std::string big(5 * 131072 + 999, '\0');
    std::mt19937 random(7);
    for (char& c : big)
        c = static_cast<char>(random()); // incompressible
    write_file(dir.file("one/a.bin"), big);
    write_file(dir.file("two/a.bin"), big);
    write_file(dir.file("two/sub/copy-of-a.bin"), big);
    for (const char* tree : {"one", "two"})
        ASSERT_EQ(squashpub({"image", "--quiet", "--mtime", "0", dir.file(tree),
                             dir.file(std::string(tree) + ".sqfs")})
                      .exit_code,
                  0);
    // The copy costs an inode and a directory entry, not its 655 KB of data.
    EXPECT_LT(test::file_size(dir.file("two.sqfs")), test::file_size(dir.file("one.sqfs")) + 8192);
    EXPECT_GT(test::file_size(dir.file("one.sqfs")), big.size() / 2);
}

TEST(ImageWriter, EmptyTree) {
    TempDir dir;
    fs::create_directories(dir.file("tree"));
    ASSERT_EQ(squashpub({"image", "--quiet", "--mtime", "0", dir.file("tree"), dir.file("e.sqfs")})
                  .exit_code,
              0);
    EXPECT_EQ(test::compare_image_with_tree(dir.file("e.sqfs"), dir.file("tree"), dir.path()), "");
}

} // namespace
} // namespace squashpub::generator
