// Flavors and current aliases (issue #13): extra full images with another
// compressor, ${repo}-current*.sqfs names that always match the live
// manifest (over several nights, after a SIGKILL at every step), read back
// with unsquashfs, checked by verify (which refuses hostile links), and
// used by the old Gentoo-style client and the delta client over HTTP.

#include "support/http_server.hpp"
#include "support/publisher_fixture.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;

namespace squashpub::test {
namespace {

const nlohmann::json kXzFlavor = nlohmann::json::array({{{"name", "xz"}, {"compressor", "xz"}}});

std::map<std::string, std::string> listed_files(const std::string& body) {
    std::map<std::string, std::string> files;
    std::istringstream lines(body);
    for (std::string line; std::getline(lines, line);)
        if (line.size() > 130 && line[128] == ' ')
            files[line.substr(130)] = line.substr(0, 128);
    return files;
}

std::string current_version(const std::string& body) {
    const size_t at = body.find("Current: ");
    return body.substr(at + 9, body.find('\n', at) - at - 9).substr(std::string("test-").size());
}

// The SquashFS superblock's compressor id (3 lzo, 4 xz).
int compressor_id(const std::string& image) {
    std::ifstream in(image, std::ios::binary);
    unsigned char super[22] = {};
    in.read(reinterpret_cast<char*>(super), sizeof super);
    return super[20] | super[21] << 8;
}

// Every alias the live manifest lists holds what it lists; in symlink mode
// each is a relative link to the current image of its flavor.
std::string aliases_match_manifest(const PublisherFixture& f, bool links) {
    const std::string body = manifest_body(f.expect());
    const std::map<std::string, std::string> listed = listed_files(body);
    const std::string version = current_version(body);
    const std::map<std::string, std::string> expected = {
        {"test-current.sqfs", "test-" + version + ".sqfs"},
        {"test-current.xz.sqfs", "test-" + version + ".xz.sqfs"}};
    for (const auto& [alias, target] : expected) {
        const std::string path = f.path("mirror/" + alias);
        if (!listed.count(alias) || !listed.count(target))
            return alias + " or " + target + " is not listed";
        if (listed.at(alias) != listed.at(target))
            return alias + " is listed with another hash than " + target;
        if (fs::is_symlink(path) != links)
            return alias + (links ? " is not a symlink" : " is a symlink");
        if (links && fs::read_symlink(path) != target)
            return alias + " links to " + fs::read_symlink(path).string() + ", not " + target;
        if (sha512(path) != listed.at(alias))
            return alias + " does not hold the listed content";
    }
    return "";
}

// Listed dated files (not the aliases) are present with their hashes.
std::string dated_files_match_manifest(const PublisherFixture& f) {
    for (const auto& [name, hash] : listed_files(manifest_body(f.expect())))
        if (name.find("-current") == std::string::npos &&
            (!exists(f.path("mirror/" + name)) || sha512(f.path("mirror/" + name)) != hash))
            return name + " is missing or differs from the manifest";
    return "";
}

TEST(Flavors, SeveralNightsWithAnXzFlavorAndSymlinkAliases) {
    PublisherFixture f(4);
    f.config({{"flavors", kXzFlavor}, {"current_aliases", true}, {"keep_snapshots", 1}});
    for (int day = 1; day <= 4; ++day) {
        CommandResult published = f.publish(day);
        ASSERT_EQ(published.exit_code, 0) << published.output;
        EXPECT_EQ(check_mirror(f.expect()), "") << "night " << day;
        EXPECT_EQ(aliases_match_manifest(f, true), "") << "night " << day;
        const std::string version = PublisherFixture::version(day);
        EXPECT_EQ(compressor_id(f.path("mirror/test-" + version + ".sqfs")), 3);
        EXPECT_EQ(compressor_id(f.path("mirror/test-" + version + ".xz.sqfs")), 4);
    }
    // keep_snapshots 1: the previous night's main and xz images stay, older
    // ones go; deltas only for the main chain.
    std::vector<std::string> expected = {"sha512sum.txt",
                                         "test-20260103-20260104.sqdelta",
                                         "test-20260101-20260104.sqdelta",
                                         "test-20260102-20260104.sqdelta",
                                         "test-20260103.sqfs",
                                         "test-20260103.xz.sqfs",
                                         "test-20260104.sqfs",
                                         "test-20260104.xz.sqfs",
                                         "test-current.sqfs",
                                         "test-current.xz.sqfs"};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(list_dir(f.path("mirror")), expected);

    // unsquashfs reads the xz image back as the tree of the revision.
    shell("mkdir '" + f.path("tree") + "' '" + f.path("scratch") + "' && git -C '" +
          f.path("repo") + "' -c tar.umask=022 archive d4 | tar -x -C '" + f.path("tree") + "'");
    EXPECT_EQ(compare_image_with_tree(f.path("mirror/test-20260104.xz.sqfs"), f.path("tree"),
                                      f.path("scratch")),
              "");

    // verify understands flavors and aliases.
    ASSERT_EQ(f.keyring().gpg("--armor --export > '" + f.path("keyring.asc") + "'"), 0);
    CommandResult verified =
        squashpub({"verify", f.path("mirror"), "--keyring", f.path("keyring.asc"), "--archive",
                   f.path("archive"), "--report", f.path("report.json")});
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
    EXPECT_EQ(report_check(f.path("report.json"), "alias.link", "test-current.xz.sqfs"),
              "pass: a symbolic link to test-20260104.xz.sqfs in the same directory");
    EXPECT_EQ(report_check(f.path("report.json"), "file.hash", "test-current.xz.sqfs"),
              "pass: SHA-512 matches");
    EXPECT_EQ(
        report_check(f.path("report.json"), "snapshot.walk", "test-20260104.xz.sqfs").substr(0, 22),
        "pass: opened and walke");
}

// Same tree, same flavor bytes: an image does not depend on what was
// published before it (here: two nights, against one).
TEST(Flavors, FlavorImagesAreReproducible) {
    PublisherFixture a(2), b(2);
    a.config({{"flavors", kXzFlavor}});
    b.config({{"flavors", kXzFlavor}});
    ASSERT_EQ(a.publish(1).exit_code, 0);
    ASSERT_EQ(a.publish(2).exit_code, 0);
    ASSERT_EQ(b.publish(2).exit_code, 0);
    EXPECT_EQ(sha512(a.path("mirror/test-20260102.xz.sqfs")),
              sha512(b.path("mirror/test-20260102.xz.sqfs")));
}

TEST(Flavors, CopyAliasesAreRegularFilesWithTheCurrentBytes) {
    PublisherFixture f(3);
    f.config({{"flavors", kXzFlavor}, {"current_aliases", {{"mode", "copy"}}}});
    for (int day = 1; day <= 3; ++day) {
        ASSERT_EQ(f.publish(day).exit_code, 0);
        EXPECT_EQ(aliases_match_manifest(f, false), "") << "night " << day;
        EXPECT_EQ(check_mirror(f.expect()), "");
    }
    // Switching the config back to links replaces the copies on the next night.
}

// An operator switches to copies (say, an rsync to mirrors that drops
// links) on a night with nothing new: the switch takes effect that night,
// the manifest unchanged, and back again.
TEST(Flavors, SwitchingAliasModeAppliesOnANightWithNothingNew) {
    PublisherFixture f(1);
    f.config({{"flavors", kXzFlavor}, {"current_aliases", true}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    const std::string manifest = read_file(f.path("mirror/sha512sum.txt"));
    f.config({{"flavors", kXzFlavor}, {"current_aliases", {{"mode", "copy"}}}});
    CommandResult copies = f.publish(1);
    ASSERT_EQ(copies.exit_code, 0) << copies.output;
    EXPECT_EQ(aliases_match_manifest(f, false), "");
    EXPECT_EQ(read_file(f.path("mirror/sha512sum.txt")), manifest);
    EXPECT_EQ(check_mirror(f.expect()), "");
    f.config({{"flavors", kXzFlavor}, {"current_aliases", true}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    EXPECT_EQ(aliases_match_manifest(f, true), "");
    EXPECT_EQ(read_file(f.path("mirror/sha512sum.txt")), manifest);
}

TEST(Flavors, DisablingAliasesPrunesThem) {
    PublisherFixture f(2);
    f.config({{"flavors", kXzFlavor}, {"current_aliases", true}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    f.config({{"flavors", kXzFlavor}});
    ASSERT_EQ(f.publish(2).exit_code, 0);
    EXPECT_FALSE(fs::is_symlink(f.path("mirror/test-current.sqfs")));
    EXPECT_FALSE(fs::is_symlink(f.path("mirror/test-current.xz.sqfs")));
    EXPECT_EQ(check_mirror(f.expect()), "");
}

TEST(Flavors, RepairBringsBackLostAndDamagedAliases) {
    PublisherFixture f(1);
    f.config({{"flavors", kXzFlavor}, {"current_aliases", true}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    fs::remove(f.path("mirror/test-current.xz.sqfs"));
    fs::remove(f.path("mirror/test-current.sqfs"));
    write_file(f.path("mirror/test-current.sqfs"), "not an image\n");
    CommandResult repaired = f.run({"repair", "--quiet"});
    EXPECT_EQ(repaired.exit_code, 0) << repaired.output;
    EXPECT_EQ(aliases_match_manifest(f, true), "");
}

TEST(Flavors, AVersionEndingInAFlavorNameIsRefused) {
    PublisherFixture f(1);
    f.config({{"flavors", kXzFlavor}});
    CommandResult refused = f.publish(1, {"--version", "20260101.xz"});
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.output.find("ends in '.xz', a flavor's name"), std::string::npos)
        << refused.output;
    EXPECT_FALSE(exists(f.path("mirror/test-20260101.xz.sqfs")));
    CommandResult reserved = f.publish(1, {"--version", "current.xz"});
    EXPECT_NE(reserved.exit_code, 0);
    EXPECT_NE(reserved.output.find("reserved for the ${repo}-current"), std::string::npos)
        << reserved.output;
}

// The Gentoo example's names (config/examples/gentoo.json): an lzo main
// chain for deltas, an xz flavor, aliases gentoo-current.lzo.sqfs and
// gentoo-current.xz.sqfs. Both kinds of client over a real HTTP server.
TEST(Flavors, GentooStyleAndDeltaClientsOverHttp) {
    PublisherFixture f(3);
    f.config({{"repo", "gentoo"},
              {"flavors", kXzFlavor},
              {"current_aliases", {{"main_infix", "lzo"}}},
              {"keep_snapshots", 1}});
    for (int day = 1; day <= 3; ++day)
        ASSERT_EQ(f.publish(day).exit_code, 0);
    const std::vector<std::string> names = list_dir(f.path("mirror"));
    for (const std::string name :
         {"gentoo-current.lzo.sqfs", "gentoo-current.xz.sqfs", "gentoo-20260103.xz.sqfs",
          "gentoo-20260103.sqfs", "gentoo-20260102-20260103.sqdelta"})
        EXPECT_NE(std::find(names.begin(), names.end(), name), names.end()) << name;
    EXPECT_FALSE(exists(f.path("mirror/gentoo-current.sqfs")));
    EXPECT_EQ(fs::read_symlink(f.path("mirror/gentoo-current.lzo.sqfs")), "gentoo-20260103.sqfs");
    MirrorExpectations expect = f.expect();
    expect.repo = "gentoo";
    EXPECT_EQ(check_mirror(expect), "");
    CommandResult status = f.run({"status"});
    EXPECT_EQ(status.exit_code, 0) << status.output;
    EXPECT_NE(status.output.find("gentoo-current.xz.sqfs"), std::string::npos) << status.output;

    MirrorServer server(f.path("mirror"));
    ASSERT_EQ(f.keyring().gpg("--armor --export > '" + f.path("keyring.asc") + "'"), 0);

    // The old flow: fetch the manifest and a fixed name, check the
    // signature, then the file against its line.
    const std::string old_client = f.path("old-client");
    shell("mkdir '" + old_client + "' && cd '" + old_client + "' && curl -fsSO " + server.url() +
          "sha512sum.txt && curl -fsSO " + server.url() + "gentoo-current.xz.sqfs && curl -fsSO " +
          server.url() + "gentoo-current.lzo.sqfs");
    EXPECT_EQ(f.keyring().gpg("--verify '" + old_client + "/sha512sum.txt'"), 0);
    shell("cd '" + old_client + "' && sha512sum -c --ignore-missing sha512sum.txt 2>/dev/null");
    EXPECT_EQ(sha512(old_client + "/gentoo-current.xz.sqfs"),
              sha512(f.path("mirror/gentoo-20260103.xz.sqfs")));
    EXPECT_EQ(compressor_id(old_client + "/gentoo-current.xz.sqfs"), 4);
    shell("unsquashfs -no-progress -d '" + old_client + "/root' '" + old_client +
          "/gentoo-current.xz.sqfs' >/dev/null");
    EXPECT_TRUE(exists(old_client + "/root/new/day3"));

    // The delta client (spec §7.5): yesterday's image in its cache, the
    // listed old->current delta, squashmerge's job done by `apply`, the
    // result checked against the listed hash of the current snapshot.
    const std::string cache = f.path("delta-client");
    fs::create_directories(cache);
    fs::copy_file(f.path("archive/gentoo-20260102.sqfs"), cache + "/gentoo-20260102.sqfs");
    fs::create_symlink("gentoo-20260102.sqfs", cache + "/gentoo-current.sqfs");
    shell("cd '" + cache + "' && curl -fsSO " + server.url() + "sha512sum.txt");
    const std::string body = read_file(cache + "/sha512sum.txt");
    ASSERT_NE(body.find("Current: gentoo-20260103\n"), std::string::npos);
    const std::map<std::string, std::string> listed = listed_files(body);
    ASSERT_TRUE(listed.count("gentoo-20260102-20260103.sqdelta"));
    shell("cd '" + cache + "' && curl -fsSO " + server.url() + "gentoo-20260102-20260103.sqdelta");
    EXPECT_EQ(sha512(cache + "/gentoo-20260102-20260103.sqdelta"),
              listed.at("gentoo-20260102-20260103.sqdelta"));
    CommandResult applied =
        squashpub({"apply", "--quiet", cache + "/gentoo-20260102.sqfs",
                   cache + "/gentoo-20260102-20260103.sqdelta", cache + "/gentoo-20260103.sqfs"});
    ASSERT_EQ(applied.exit_code, 0) << applied.output;
    EXPECT_EQ(sha512(cache + "/gentoo-20260103.sqfs"), listed.at("gentoo-20260103.sqfs"));

    // verify over HTTP, where the server follows the alias links.
    CommandResult verified = squashpub({"verify", server.url(), "--keyring", f.path("keyring.asc"),
                                        "--cache", cache, "--report", f.path("report.json")});
    EXPECT_EQ(verified.exit_code, 0) << verified.output;
    EXPECT_EQ(report_check(f.path("report.json"), "alias.target", "gentoo-current.lzo.sqfs"),
              "pass: lists the same hash as the current image gentoo-20260103.sqfs");
    EXPECT_EQ(report_check(f.path("report.json"), "file.hash", "gentoo-current.xz.sqfs"),
              "pass: SHA-512 matches");
}

class FlavorCrashAfter : public ::testing::TestWithParam<const char*> {};

TEST_P(FlavorCrashAfter, AliasesMatchTheManifestOnceTheNextRunRecovers) {
    const std::string step = GetParam();
    PublisherFixture f(3);
    f.config({{"flavors", kXzFlavor}, {"current_aliases", true}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    ASSERT_EQ(f.publish(2).exit_code, 0);
    CommandResult killed = f.publish(3, {}, {"SQUASHPUB_CRASH_AFTER=" + step});
    EXPECT_EQ(killed.exit_code, -1) << "expected death by SIGKILL: " << killed.output;

    // Clients following the manifest's names: always consistent. The
    // aliases lag the manifest only between its switch and theirs.
    EXPECT_EQ(dated_files_match_manifest(f), "");
    if (step != "manifest" && step != "alias") {
        EXPECT_EQ(aliases_match_manifest(f, true), "");
    }
    if (step == "manifest") { // the lag is visible to verify until the next run
        EXPECT_EQ(squashpub({"verify", f.path("mirror"), "--repo", "test", "--report",
                             f.path("report.json")})
                      .exit_code,
                  1);
        EXPECT_EQ(report_check(f.path("report.json"), "alias.link", "test-current.sqfs"),
                  "fail: a symbolic link to test-20260102.sqfs, which the manifest does not "
                  "list: never followed");
    }

    CommandResult again = f.publish(3);
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(check_mirror(f.expect()), "");
    EXPECT_EQ(aliases_match_manifest(f, true), "");
    EXPECT_EQ(current_version(manifest_body(f.expect())), "20260103");
    EXPECT_TRUE(exists(f.path("mirror/test-20260103.xz.sqfs")));
    EXPECT_FALSE(exists(f.path("state/journal.json")));
}

INSTANTIATE_TEST_SUITE_P(EveryStep, FlavorCrashAfter,
                         ::testing::Values("image", "archive", "deltas", "sign", "journal-written",
                                           "move-snapshot", "move-delta", "move-flavor", "manifest",
                                           "alias", "journal", "prune", "report"),
                         crash_step_name);

// A forced republish moves its aliases in with its other files.
TEST(Flavors, ForcedRepublishKeepsCopyAliasesRight) {
    PublisherFixture f(2);
    f.config({{"flavors", kXzFlavor}, {"current_aliases", {{"mode", "copy"}}}});
    ASSERT_EQ(f.publish(1, {"--version", "fixed"}).exit_code, 0);
    CommandResult killed =
        f.publish(2, {"--version", "fixed", "--force"}, {"SQUASHPUB_CRASH_AFTER=move-flavor"});
    EXPECT_EQ(killed.exit_code, -1);
    CommandResult again = f.publish(2, {"--version", "fixed", "--force"});
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(check_mirror(f.expect()), "");
    EXPECT_EQ(sha512(f.path("mirror/test-current.xz.sqfs")),
              sha512(f.path("mirror/test-fixed.xz.sqfs")));
}

} // namespace
} // namespace squashpub::test
