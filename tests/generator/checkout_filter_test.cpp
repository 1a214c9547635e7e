// `squashpub image --rev` gives the bytes of a real `git checkout`: the
// repositories here are made, and checked out, by the git CLI.
#include "core/files.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

namespace squashpub::test {
namespace {

const char* kGit = "git -c user.name=t -c user.email=t@t -c core.autocrlf=false";

// A repository whose checkout differs from its blobs: CRLF for *.ps1 (but
// not under keep/, whose own .gitattributes says -text), $Id$ expanded in
// *.txt, binary files untouched.
std::string make_repository(const TempDir& dir) {
    const std::string repo = dir.file("repo");
    write_file(repo + "/.gitattributes", "*.ps1 text eol=crlf\n*.txt ident\n*.bin binary\n");
    write_file(repo + "/script.ps1", "Write-Host one\nWrite-Host two\n");
    write_file(repo + "/already.ps1", "crlf\r\nalready\r\n");
    write_file(repo + "/tools/deep.ps1", "a\nb\n");
    write_file(repo + "/keep/.gitattributes", "*.ps1 -text\n");
    write_file(repo + "/keep/raw.ps1", "stays\nlf\n");
    write_file(repo + "/version.txt", "version $Id$ here\n");
    write_file(repo + "/data.bin", std::string("a\nb\0c\n", 6));
    write_file(repo + "/plain.sh", "echo plain\n");
    shell("cd '" + repo + "' && git init -q && git add -A && " + kGit + " commit -q -m one");
    return repo;
}

std::string image(const std::vector<std::string>& source_args, const std::string& output) {
    std::vector<std::string> args = {"image", "--quiet"};
    args.insert(args.end(), source_args.begin(), source_args.end());
    args.push_back(output);
    const CommandResult result = squashpub(args);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return sha512(output);
}

// git's own checkout of rev into a fresh clone. Fresh: in an existing work
// tree git leaves files whose blob did not change alone, even when their
// attributes did.
std::string checkout(const std::string& repo, const std::string& rev, const std::string& target) {
    shell("git -c core.autocrlf=false clone -q --no-checkout '" + repo + "' '" + target +
          "' && cd '" + target + "' && git -c advice.detachedHead=false checkout -q '" + rev + "'");
    return target;
}

TEST(CheckoutFilter, RevisionImageEqualsCheckoutImage) {
    TempDir dir;
    const std::string repo = make_repository(dir);
    const std::string tree = checkout(repo, "HEAD", dir.file("checkout"));
    // The checkout really is converted, so equal images mean --rev converts.
    EXPECT_EQ(read_file(tree + "/script.ps1"), "Write-Host one\r\nWrite-Host two\r\n");
    EXPECT_NE(read_file(tree + "/version.txt").find("$Id: "), std::string::npos);
    EXPECT_EQ(read_file(tree + "/keep/raw.ps1"), "stays\nlf\n");

    const std::string from_checkout = image({tree}, dir.file("checkout.sqfs"));
    EXPECT_EQ(image({"--rev", "HEAD", repo}, dir.file("rev.sqfs")), from_checkout);
    shell("git clone -q --bare '" + repo + "' '" + dir.file("bare.git") + "'");
    EXPECT_EQ(image({"--rev", "HEAD", dir.file("bare.git")}, dir.file("bare.sqfs")), from_checkout);
    EXPECT_EQ(shell("unsquashfs -cat '" + dir.file("rev.sqfs") + "' tools/deep.ps1"), "a\r\nb\r\n");
}

TEST(CheckoutFilter, AttributesComeFromTheRevisionNotTheWorkTree) {
    TempDir dir;
    const std::string repo = make_repository(dir);
    // The next commit drops every attribute; the work tree then gets an
    // uncommitted one that would convert *.sh.
    shell("cd '" + repo + "' && git rm -q .gitattributes keep/.gitattributes && " + kGit +
          " commit -q -m two");
    write_file(repo + "/.gitattributes", "*.sh text eol=crlf\n");

    const std::string old_checkout = checkout(repo, "HEAD~1", dir.file("old"));
    EXPECT_EQ(image({"--rev", "HEAD~1", repo}, dir.file("old-rev.sqfs")),
              image({old_checkout}, dir.file("old.sqfs")));
    const std::string new_checkout = checkout(repo, "HEAD", dir.file("new"));
    EXPECT_EQ(read_file(new_checkout + "/script.ps1"), "Write-Host one\nWrite-Host two\n");
    EXPECT_EQ(image({"--rev", "HEAD", repo}, dir.file("new-rev.sqfs")),
              image({new_checkout}, dir.file("new.sqfs")));
}

TEST(CheckoutFilter, AGitattributesBelowTheRootAppliesToItsSubtreeOnly) {
    TempDir dir;
    const std::string repo = dir.file("repo");
    write_file(repo + "/top.txt", "top\n");
    write_file(repo + "/lib/.gitattributes", "*.txt text eol=crlf\n");
    write_file(repo + "/lib/deeper/a.txt", "a\nb\n");
    shell("cd '" + repo + "' && git init -q && git add -A && " + kGit + " commit -q -m one");
    const std::string tree = checkout(repo, "HEAD", dir.file("checkout"));
    EXPECT_EQ(read_file(tree + "/lib/deeper/a.txt"), "a\r\nb\r\n");
    EXPECT_EQ(image({"--rev", "HEAD", repo}, dir.file("rev.sqfs")),
              image({tree}, dir.file("checkout.sqfs")));
}

TEST(CheckoutFilter, RepositoryWideRulesApplyWithoutAnyGitattributes) {
    TempDir dir;
    const std::string repo = dir.file("repo");
    write_file(repo + "/run.sh", "echo one\necho two\n");
    write_file(repo + "/notes.md", "$Id$\n");
    write_file(repo + "/sub/other.sh", "x\n");
    shell("cd '" + repo + "' && git init -q && git add -A && " + kGit + " commit -q -m one");
    // $GIT_DIR/info/attributes, which neither the tree nor a clone carries.
    const std::string rules = "*.sh text eol=crlf\n*.md ident\n";
    write_file(repo + "/.git/info/attributes", rules);
    const std::string tree = dir.file("checkout");
    shell("git clone -q --no-checkout '" + repo + "' '" + tree + "'");
    write_file(tree + "/.git/info/attributes", rules);
    shell("cd '" + tree + "' && git checkout -q HEAD");
    EXPECT_EQ(read_file(tree + "/sub/other.sh"), "x\r\n");
    EXPECT_EQ(image({"--rev", "HEAD", repo}, dir.file("rev.sqfs")),
              image({tree}, dir.file("checkout.sqfs")));
}

} // namespace
} // namespace squashpub::test
