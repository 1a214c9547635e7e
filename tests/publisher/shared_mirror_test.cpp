// Several repositories in one mirror directory (issue #11): each run keeps
// the other repositories' lines, runs are serialised on the mirror, names
// that clients could confuse and mixed signing keys are refused.

#include "support/publisher_fixture.hpp"

#include <algorithm>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <map>
#include <sstream>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;

namespace squashpub::test {
namespace {

// The seed client of spec §7.5, steps 3, 6 and 7, on the verified body:
// finds this repository's Current: token (the first matching "^repo-"),
// takes the delta from `old` if listed (applying it to the archived old
// image), else the listed snapshot; returns "" when it ends with the
// current snapshot's exact bytes.
std::string seed_client_sync(const MirrorExpectations& expect, const std::string& old) {
    std::map<std::string, std::string> digests;
    std::string current;
    std::istringstream lines(manifest_body(expect));
    for (std::string line; std::getline(lines, line);) {
        if (line.size() > 130 && line[128] == ' ') {
            digests[line.substr(130)] = line.substr(0, 128);
            continue;
        }
        const size_t marker = line.find("Current:");
        if (marker == std::string::npos)
            continue;
        std::istringstream tokens(line.substr(marker + 8));
        for (std::string token; tokens >> token;)
            if (current.empty() && token.rfind(expect.repo + "-", 0) == 0)
                current = token;
    }
    if (current.empty())
        return "unable to find current snapshot of " + expect.repo;
    const std::string snapshot = current + ".sqfs";
    if (!digests.count(snapshot))
        return snapshot + " is not listed";
    const std::string fresh = current.substr(expect.repo.size() + 1);
    const std::string delta = expect.repo + "-" + old + "-" + fresh + ".sqdelta";
    if (!old.empty() && old != fresh && digests.count(delta)) {
        const std::string rebuilt = expect.mirror_dir + "/.client-rebuilt.sqfs";
        CommandResult applied = squashpub(
            {"apply", "--quiet", expect.archive_dir + "/" + expect.repo + "-" + old + ".sqfs",
             expect.mirror_dir + "/" + delta, rebuilt});
        const std::string got = applied.exit_code == 0 ? sha512(rebuilt) : "";
        fs::remove(rebuilt);
        return got == digests[snapshot] ? "" : "delta " + delta + " did not rebuild " + snapshot;
    }
    return sha512(expect.mirror_dir + "/" + snapshot) == digests[snapshot]
               ? ""
               : snapshot + " does not match its listed hash";
}

void publish_alternately(const std::vector<std::string>& repos, int days) {
    PublisherFixture f(days);
    for (const std::string& repo : repos) // with Date and Valid-Until (issue #12)
        f.config_for(repo, {{"valid_for", "7d"}});
    std::map<std::string, std::string> last_version;
    for (int day = 1; day <= days; ++day) {
        // Alternate the order, so that every repository follows every other.
        std::vector<std::string> order = repos;
        std::rotate(order.begin(), order.begin() + day % order.size(), order.end());
        for (const std::string& repo : order) {
            CommandResult result = f.publish_repo(repo, day);
            ASSERT_EQ(result.exit_code, 0) << repo << " day " << day << ": " << result.output;
            last_version[repo] = PublisherFixture::version(day);
            const std::string body = manifest_body(f.expect_repo(repo));
            EXPECT_EQ(body.rfind("Date: ", 0), 0u) << body;
            EXPECT_NE(body.find("\nValid-Until: "), std::string::npos) << body;
            EXPECT_EQ(body.find("Date: ", 1), std::string::npos) << "one Date: " << body;
            for (const auto& [published, version] : last_version) {
                SCOPED_TRACE(published + " after " + repo + " on day " + std::to_string(day));
                EXPECT_NE(body.find("Current: " + published + "-" + version + "\n"),
                          std::string::npos)
                    << body;
                EXPECT_EQ(check_mirror(f.expect_repo(published)), "");
                const std::string old = day > 1 ? PublisherFixture::version(day - 1) : "";
                EXPECT_EQ(seed_client_sync(f.expect_repo(published), old), "");
            }
        }
    }
    // Every repository's deltas from every earlier day are still there.
    for (const std::string& repo : repos)
        for (int day = 1; day < days; ++day)
            EXPECT_TRUE(exists(f.path("mirror/" + repo + "-" + PublisherFixture::version(day) +
                                      "-" + PublisherFixture::version(days) + ".sqdelta")))
                << repo << " day " << day;
}

TEST(SharedMirror, TwoRepositoriesPublishAlternately) {
    publish_alternately({"gentoo", "overlay"}, 4);
}

TEST(SharedMirror, ThreeRepositoriesPublishAlternately) {
    publish_alternately({"gentoo", "guru", "overlay"}, 3);
}

TEST(SharedMirror, PrefixNamesAreRefusedBeforeAnythingIsBuilt) {
    PublisherFixture f(2);
    f.config_for("gentoo-kde");
    f.config_for("gentoo");
    ASSERT_EQ(f.publish_repo("gentoo-kde", 1).exit_code, 0);
    ASSERT_EQ(f.publish_repo("gentoo-kde", 2).exit_code, 0);
    const std::string before = f.mirror_fingerprint();

    CommandResult refused = f.publish_repo("gentoo", 2);
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.output.find("repository 'gentoo' (" + f.path("publisher-gentoo.json") +
                                  ") cannot share this mirror with 'gentoo-kde'"),
              std::string::npos)
        << refused.output;
    EXPECT_EQ(f.mirror_fingerprint(), before);
    EXPECT_FALSE(exists(f.path("archive-gentoo/index.json"))); // nothing was built
    EXPECT_EQ(check_mirror(f.expect_repo("gentoo-kde")), "");

    // The reverse: gentoo first, then gentoo-kde.
    PublisherFixture g(1);
    g.config_for("gentoo");
    g.config_for("gentoo-kde");
    ASSERT_EQ(g.publish_repo("gentoo", 1).exit_code, 0);
    CommandResult reverse = g.publish_repo("gentoo-kde", 1);
    EXPECT_EQ(reverse.exit_code, 1);
    EXPECT_NE(reverse.output.find("cannot share this mirror with 'gentoo'"), std::string::npos)
        << reverse.output;
    // A repository that merely starts alike ("gentookde") is fine.
    g.config_for("gentookde");
    EXPECT_EQ(g.publish_repo("gentookde", 1).exit_code, 0);
    EXPECT_EQ(check_mirror(g.expect_repo("gentoo")), "");
}

TEST(SharedMirror, ConcurrentRunsOfTwoConfigsAreSerialised) {
    PublisherFixture f(1);
    f.config_for("gentoo");
    f.config_for("overlay");
    fs::create_directories(f.path("mirror"));
    // Hold the mirror lock so that both runs are certainly waiting at once.
    const int fd = ::open(f.path("mirror").c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ASSERT_EQ(::flock(fd, LOCK_EX), 0);
    CommandResult first, second;
    std::thread a([&] { first = f.publish_repo("gentoo", 1); });
    std::thread b([&] { second = f.publish_repo("overlay", 1); });
    ::usleep(700 * 1000);
    EXPECT_FALSE(exists(f.path("mirror/sha512sum.txt"))); // both wait
    ::close(fd);
    a.join();
    b.join();
    EXPECT_EQ(first.exit_code, 0) << first.output;
    EXPECT_EQ(second.exit_code, 0) << second.output;
    EXPECT_EQ(check_mirror(f.expect_repo("gentoo")), "");
    EXPECT_EQ(check_mirror(f.expect_repo("overlay")), "");
}

TEST(SharedMirror, StatusShowsEveryRepository) {
    PublisherFixture f(1);
    f.config_for("gentoo");
    f.config_for("overlay");
    ASSERT_EQ(f.publish_repo("gentoo", 1).exit_code, 0);
    CommandResult before = squashpub({"status", "--config", f.path("publisher-overlay.json")});
    EXPECT_EQ(before.exit_code, 0) << before.output;
    EXPECT_NE(before.output.find("nothing of overlay published yet"), std::string::npos)
        << before.output;
    EXPECT_NE(before.output.find("repository gentoo: Current: gentoo-20260101"), std::string::npos)
        << before.output;
    ASSERT_EQ(f.publish_repo("overlay", 1).exit_code, 0);
    CommandResult status = squashpub({"status", "--config", f.path("publisher-gentoo.json")});
    EXPECT_EQ(status.exit_code, 0) << status.output;
    EXPECT_NE(status.output.find("repository gentoo (this config): Current: gentoo-20260101"),
              std::string::npos)
        << status.output;
    EXPECT_NE(status.output.find("repository overlay: Current: overlay-20260101"),
              std::string::npos)
        << status.output;
}

TEST(SharedMirror, RepairKeepsTheOtherRepositories) {
    PublisherFixture f(2);
    f.config_for("gentoo");
    f.config_for("overlay");
    for (int day = 1; day <= 2; ++day) {
        ASSERT_EQ(f.publish_repo("gentoo", day).exit_code, 0);
        ASSERT_EQ(f.publish_repo("overlay", day).exit_code, 0);
    }
    fs::remove(f.path("mirror/gentoo-20260101-20260102.sqdelta"));
    CommandResult repaired = squashpub({"repair", "--config", f.path("publisher-gentoo.json")});
    EXPECT_EQ(repaired.exit_code, 0) << repaired.output;
    EXPECT_EQ(check_mirror(f.expect_repo("gentoo")), "");
    EXPECT_EQ(check_mirror(f.expect_repo("overlay")), "");
    EXPECT_EQ(seed_client_sync(f.expect_repo("overlay"), "20260101"), "");
}

// The mirror on another filesystem than the state directories: staging is
// a hidden directory in the mirror, one per repository, so that one
// repository's run never clears another's pending forced republish.
TEST(SharedMirror, InterruptedForcedRepublishSurvivesTheOtherRepositorysRun) {
    PublisherFixture f(3);
    SmallDisk disk(f.path("disk"), "64m");
    if (!disk.mounted())
        GTEST_SKIP() << "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): "
                     << disk.error();
    f.config_for("gentoo", {{"mirror_dir", f.path("disk/mirror")}});
    f.config_for("overlay", {{"mirror_dir", f.path("disk/mirror")}});
    ASSERT_EQ(f.publish_repo("gentoo", 1).exit_code, 0);
    ASSERT_EQ(f.publish_repo("gentoo", 2, {"--version", "fixed"}).exit_code, 0);
    ASSERT_EQ(f.publish_repo("overlay", 1).exit_code, 0);
    CommandResult killed = f.publish_repo("gentoo", 3, {"--version", "fixed", "--force"},
                                          {"SQUASHPUB_CRASH_AFTER=move-snapshot"});
    EXPECT_EQ(killed.exit_code, -1) << killed.output;
    EXPECT_TRUE(exists(f.path("disk/mirror/.squashpub-staging-gentoo/pending")));

    ASSERT_EQ(f.publish_repo("overlay", 2).exit_code, 0);
    CommandResult again = f.publish_repo("gentoo", 3, {"--version", "fixed", "--force"});
    EXPECT_EQ(again.exit_code, 0) << again.output;
    for (const std::string repo : {"gentoo", "overlay"}) {
        MirrorExpectations expect = f.expect_repo(repo);
        expect.mirror_dir = f.path("disk/mirror");
        EXPECT_EQ(check_mirror(expect), "") << repo;
    }
}

TEST(SharedMirror, OneManifestHasOneSigningKey) {
    PublisherFixture f(2);
    GpgKeyring other;
    f.config_for("gentoo");
    f.config_for("overlay", {{"signing",
                              {{"key", other.fingerprint()},
                               {"gnupg_home", other.home()},
                               {"passphrase_file", other.passphrase_file()}}}});
    f.config_for("unsigned", {{"signing", nullptr}});
    ASSERT_EQ(f.publish_repo("gentoo", 1).exit_code, 0);
    const std::string before = f.mirror_fingerprint();

    CommandResult other_key = f.publish_repo("overlay", 1);
    EXPECT_EQ(other_key.exit_code, 1);
    EXPECT_NE(other_key.output.find("not by signing key " + other.fingerprint()), std::string::npos)
        << other_key.output;
    CommandResult unsigned_run = f.publish_repo("unsigned", 1);
    EXPECT_EQ(unsigned_run.exit_code, 1);
    EXPECT_NE(unsigned_run.output.find("is signed, but"), std::string::npos) << unsigned_run.output;
    EXPECT_EQ(f.mirror_fingerprint(), before);
    EXPECT_FALSE(exists(f.path("archive-overlay/index.json")));
    // The repository's own key may of course sign again.
    EXPECT_EQ(f.publish_repo("gentoo", 2).exit_code, 0);
}

// Every file and directory below `dir` (hidden ones too) with the SHA-512
// of each file: "unchanged" means not one byte or name.
std::string tree_fingerprint(const std::string& dir) {
    if (!exists(dir))
        return "(absent)";
    std::string text;
    std::vector<std::string> lines;
    for (const auto& item : fs::recursive_directory_iterator(dir)) {
        const std::string name = fs::relative(item.path(), dir).string();
        lines.push_back(item.is_regular_file() ? name + " " + sha512(item.path()) : name + "/");
    }
    std::sort(lines.begin(), lines.end());
    for (const std::string& line : lines)
        text += line + "\n";
    return text;
}

// Repository gentoo ("K") published once, with its mirror, archive and state.
struct PublishedK {
    PublisherFixture f{2};
    std::string mirror, archive, state;
    PublishedK() {
        f.config_for("gentoo");
        CommandResult first = f.publish_repo("gentoo", 1);
        EXPECT_EQ(first.exit_code, 0) << first.output;
        mirror = tree_fingerprint(f.path("mirror"));
        archive = tree_fingerprint(f.path("archive-gentoo"));
        state = tree_fingerprint(f.path("state-gentoo"));
    }
    // Publishes repository `repo` with the given directories, expects the
    // refusal (exit 2, naming the directory, the key and what was found)
    // and that nothing changed anywhere.
    void expect_refused(const std::string& repo, const nlohmann::json& dirs, const std::string& dir,
                        const std::string& key, const std::string& found) {
        SCOPED_TRACE(repo + " " + dirs.dump());
        f.config_for(repo, dirs);
        CommandResult refused = f.publish_repo(repo, 2);
        EXPECT_EQ(refused.exit_code, 2) << refused.output;
        EXPECT_NE(refused.output.find(dir + ": " + key + " of "), std::string::npos)
            << refused.output;
        EXPECT_NE(refused.output.find(found), std::string::npos) << refused.output;
        EXPECT_EQ(tree_fingerprint(f.path("mirror")), mirror);
        EXPECT_EQ(tree_fingerprint(f.path("archive-gentoo")), archive);
        EXPECT_EQ(tree_fingerprint(f.path("state-gentoo")), state);
        for (const auto& item : dirs.items()) { // its own other directories: not created
            const std::string path = item.value().get<std::string>();
            EXPECT_TRUE(path == dir || !exists(path)) << item.key();
        }
        // repair refuses it the same way.
        CommandResult repair =
            run({SQUASHPUB_BINARY, "repair", "--config", f.path("publisher-" + repo + ".json")});
        EXPECT_EQ(repair.exit_code, 2) << repair.output;
        // status too, before it opens (and would create) any directory.
        CommandResult status =
            run({SQUASHPUB_BINARY, "status", "--config", f.path("publisher-" + repo + ".json")});
        EXPECT_EQ(status.exit_code, 2) << status.output;
        EXPECT_EQ(tree_fingerprint(f.path("mirror")), mirror);
        EXPECT_EQ(tree_fingerprint(f.path("archive-gentoo")), archive);
        for (const auto& item : dirs.items()) {
            const std::string path = item.value().get<std::string>();
            EXPECT_TRUE(path == dir || !exists(path)) << item.key() << " after repair and status";
        }
    }
};

TEST(DirectoryRoles, AnArchiveDirThatIsAnotherConfigsMirrorIsRefused) {
    PublishedK k;
    k.expect_refused("overlay",
                     {{"mirror_dir", k.f.path("mirror-y")},
                      {"archive_dir", k.f.path("mirror")},
                      {"state_dir", k.f.path("state-y")}},
                     k.f.path("mirror"), "archive_dir", "holds sha512sum.txt");
}

TEST(DirectoryRoles, AMirrorDirThatIsAnotherConfigsArchiveIsRefused) {
    PublishedK k;
    k.expect_refused("overlay",
                     {{"mirror_dir", k.f.path("archive-gentoo")},
                      {"archive_dir", k.f.path("archive-x")},
                      {"state_dir", k.f.path("state-x")}},
                     k.f.path("archive-gentoo"), "mirror_dir",
                     ".squashpub-archive (the archive_dir of repository 'gentoo')");
    // The same repository's other config too: its mirror is not its archive.
    k.expect_refused("gentoo",
                     {{"mirror_dir", k.f.path("archive-gentoo")},
                      {"archive_dir", k.f.path("archive-x")},
                      {"state_dir", k.f.path("state-x")}},
                     k.f.path("archive-gentoo"), "mirror_dir", ".squashpub-archive");
}

TEST(DirectoryRoles, CrossedStateDirsAreRefused) {
    PublishedK k;
    k.expect_refused("overlay",
                     {{"mirror_dir", k.f.path("mirror-y")},
                      {"archive_dir", k.f.path("archive-y")},
                      {"state_dir", k.f.path("mirror")}},
                     k.f.path("mirror"), "state_dir", "holds sha512sum.txt");
    k.expect_refused("overlay",
                     {{"mirror_dir", k.f.path("mirror-y")},
                      {"archive_dir", k.f.path("archive-y")},
                      {"state_dir", k.f.path("archive-gentoo")}},
                     k.f.path("archive-gentoo"), "state_dir", ".squashpub-archive");
    k.expect_refused("overlay",
                     {{"mirror_dir", k.f.path("mirror-y")},
                      {"archive_dir", k.f.path("state-gentoo")},
                      {"state_dir", k.f.path("state-y")}},
                     k.f.path("state-gentoo"), "archive_dir",
                     ".squashpub-state (the state_dir of repository 'gentoo')");
    k.expect_refused("overlay",
                     {{"mirror_dir", k.f.path("state-gentoo")},
                      {"archive_dir", k.f.path("archive-y")},
                      {"state_dir", k.f.path("state-y")}},
                     k.f.path("state-gentoo"), "mirror_dir", ".squashpub-state");
}

TEST(DirectoryRoles, TwoRepositoriesCannotShareAnArchiveOrAStateDir) {
    PublishedK k;
    k.expect_refused("overlay", {{"archive_dir", k.f.path("archive-gentoo")}},
                     k.f.path("archive-gentoo"), "archive_dir",
                     ".squashpub-archive naming repository 'gentoo'; archives are per repository");
    k.expect_refused("overlay", {{"state_dir", k.f.path("state-gentoo")}}, k.f.path("state-gentoo"),
                     "state_dir",
                     ".squashpub-state naming repository 'gentoo'; state directories are per");
}

TEST(DirectoryRoles, DeploymentsWithoutMarkersAreAdoptedWhenConsistent) {
    PublishedK k;
    // As published before the markers existed.
    fs::remove(k.f.path("archive-gentoo/.squashpub-archive"));
    fs::remove(k.f.path("state-gentoo/.squashpub-state"));
    k.archive = tree_fingerprint(k.f.path("archive-gentoo"));
    k.state = tree_fingerprint(k.f.path("state-gentoo"));
    // Recognised by content: another repository's index and manifests.
    k.expect_refused("overlay", {{"archive_dir", k.f.path("archive-gentoo")}},
                     k.f.path("archive-gentoo"), "archive_dir",
                     "index.json of repository 'gentoo'; archives are per repository");
    k.expect_refused("overlay", {{"state_dir", k.f.path("state-gentoo")}}, k.f.path("state-gentoo"),
                     "state_dir", "manifests/ of repository 'gentoo'; state directories are per");
    k.expect_refused("overlay",
                     {{"mirror_dir", k.f.path("archive-gentoo")},
                      {"archive_dir", k.f.path("archive-x")},
                      {"state_dir", k.f.path("state-x")}},
                     k.f.path("archive-gentoo"), "mirror_dir",
                     "index.json (the archive index of repository 'gentoo')");
    // Its own repository adopts them and marks them.
    CommandResult adopted = k.f.publish_repo("gentoo", 2);
    ASSERT_EQ(adopted.exit_code, 0) << adopted.output;
    EXPECT_NE(read_file(k.f.path("archive-gentoo/.squashpub-archive")).find("\"gentoo\""),
              std::string::npos);
    EXPECT_TRUE(exists(k.f.path("state-gentoo/.squashpub-state")));
    EXPECT_FALSE(exists(k.f.path("mirror/.squashpub-mirror"))); // nothing extra is served
    EXPECT_EQ(check_mirror(k.f.expect_repo("gentoo")), "");
}

TEST(DirectoryRoles, AFreshDirectoryClaimedAsAnArchiveIsNoMirrorLater) {
    PublisherFixture f(1);
    // Y takes a still empty directory as its archive; K's config then names
    // it as its mirror.
    f.config_for("overlay", {{"archive_dir", f.path("mirror")}, {"mirror_dir", f.path("m-y")}});
    ASSERT_EQ(f.publish_repo("overlay", 1).exit_code, 0);
    f.config_for("gentoo");
    const std::string before = tree_fingerprint(f.path("mirror"));
    CommandResult refused = f.publish_repo("gentoo", 1);
    EXPECT_EQ(refused.exit_code, 2) << refused.output;
    EXPECT_NE(refused.output.find(f.path("mirror") + ": mirror_dir of "), std::string::npos)
        << refused.output;
    EXPECT_EQ(tree_fingerprint(f.path("mirror")), before);
    EXPECT_FALSE(exists(f.path("archive-gentoo")));
}

} // namespace
} // namespace squashpub::test
