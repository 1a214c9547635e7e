// verify and current aliases (issue #13): an alias must list and serve
// the current image of its flavor; a directory mirror's alias link is
// read, never followed beyond one plain name of the same directory.

#include "support/publisher_fixture.hpp"

#include <filesystem>
#include <gtest/gtest.h>

namespace fs = std::filesystem;

namespace squashpub::test {
namespace {

class AliasCheck : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        fixture_ = new PublisherFixture(2);
        // Unsigned, so that tests may edit the manifest too.
        fixture_->config({{"signing", nullptr},
                          {"flavors", {{{"name", "xz"}, {"compressor", "xz"}}}},
                          {"current_aliases", true}});
        for (int day = 1; day <= 2; ++day)
            ASSERT_EQ(fixture_->publish(day).exit_code, 0);
    }
    static void TearDownTestSuite() {
        delete fixture_;
        fixture_ = nullptr;
    }

    static std::string mirror(const std::string& name = "") {
        return fixture_->path("mirror") + (name.empty() ? "" : "/" + name);
    }
    int verify() {
        return squashpub({"verify", mirror(), "--repo", "test", "--archive",
                          fixture_->path("archive"), "--report", fixture_->path("report.json")})
            .exit_code;
    }
    std::string status(const std::string& id, const std::string& file) {
        return report_check(fixture_->path("report.json"), id, file);
    }
    // Replaces the xz alias with a link to target for one test.
    void relink(const std::string& target) {
        fs::remove(mirror(kAlias));
        fs::create_symlink(target, mirror(kAlias));
    }
    void TearDown() override { relink("test-20260102.xz.sqfs"); }

    static constexpr const char* kAlias = "test-current.xz.sqfs";
    static PublisherFixture* fixture_;
};

PublisherFixture* AliasCheck::fixture_ = nullptr;

TEST_F(AliasCheck, PublishedAliasesPass) {
    EXPECT_EQ(verify(), 0);
    EXPECT_EQ(status("alias.target", kAlias),
              "pass: lists the same hash as the current image test-20260102.xz.sqfs");
    EXPECT_EQ(status("alias.target", "test-current.sqfs"),
              "pass: lists the same hash as the current image test-20260102.sqfs");
    EXPECT_EQ(status("file.hash", "test-current.sqfs"), "pass: SHA-512 matches");
}

TEST_F(AliasCheck, AnAliasNamingAnotherImageFails) {
    relink("test-20260102.sqfs"); // the lzo image under the xz name
    EXPECT_EQ(verify(), 1);
    EXPECT_EQ(status("alias.link", kAlias),
              "warn: a symbolic link to test-20260102.sqfs, not to the current image "
              "test-20260102.xz.sqfs");
    EXPECT_EQ(status("file.hash", kAlias),
              "fail: SHA-512 does not match the listed hash (tampered, stale or truncated)");
}

TEST_F(AliasCheck, AStaleCopyFails) {
    fs::remove(mirror(kAlias));
    fs::copy_file(mirror("test-20260102.sqfs"), mirror(kAlias)); // another image's bytes
    EXPECT_EQ(verify(), 1);
    EXPECT_EQ(status("file.hash", kAlias),
              "fail: SHA-512 does not match the listed hash (tampered, stale or truncated)");
}

TEST_F(AliasCheck, LinksOutOfTheDirectoryAreNeverFollowed) {
    for (const std::string& target : {std::string("../publisher.json"), std::string("/etc/passwd"),
                                      mirror("test-20260102.xz.sqfs")}) {
        relink(target);
        EXPECT_EQ(verify(), 1) << target;
        EXPECT_EQ(
            status("alias.link", kAlias)
                .find("fail: a symbolic link to '" + target + "', not a file of this directory"),
            0u)
            << status("alias.link", kAlias);
        EXPECT_EQ(status("file.hash", kAlias), "(no such check)") << target;
    }
}

TEST_F(AliasCheck, LinkChainsAndUnlistedTargetsAreRefused) {
    relink("test-current.sqfs"); // listed, but itself a link
    EXPECT_EQ(verify(), 1);
    EXPECT_NE(status("alias.link", kAlias)
                  .find("fail: a symbolic link to test-current.sqfs, "
                        "which cannot be read as a file of the directory"),
              std::string::npos)
        << status("alias.link", kAlias);
    EXPECT_EQ(status("file.hash", kAlias), "(no such check)");

    fs::copy_file(mirror("test-20260102.xz.sqfs"), mirror("unlisted.sqfs"));
    relink("unlisted.sqfs");
    EXPECT_EQ(verify(), 1);
    EXPECT_EQ(status("alias.link", kAlias),
              "fail: a symbolic link to unlisted.sqfs, which the manifest does not list: never "
              "followed");
    fs::remove(mirror("unlisted.sqfs"));

    relink(kAlias); // a loop
    EXPECT_EQ(verify(), 1);
    EXPECT_NE(status("alias.link", kAlias).find("fail: a symbolic link to " + std::string(kAlias)),
              std::string::npos);
}

TEST_F(AliasCheck, AManifestListingAnAliasWithAnotherHashFails) {
    const std::string manifest = read_file(mirror("sha512sum.txt"));
    std::string edited = manifest;
    const std::string old_hash = sha512(mirror("test-20260102.sqfs"));
    const size_t line = edited.find("  " + std::string(kAlias));
    ASSERT_NE(line, std::string::npos);
    edited.replace(line - 128, 128, old_hash);
    write_file(mirror("sha512sum.txt"), edited);
    relink("test-20260102.sqfs");
    EXPECT_EQ(verify(), 1);
    EXPECT_EQ(status("alias.target", kAlias),
              "fail: listed with another hash than the current image test-20260102.xz.sqfs: "
              "clients fetching it get another version");
    write_file(mirror("sha512sum.txt"), manifest);
}

} // namespace
} // namespace squashpub::test
