// A publish killed with SIGKILL after each of its steps leaves a mirror a
// client can use (the previous state, or the new one complete), and the
// next run finishes the job.

#include "support/publisher_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace squashpub::test {
namespace {

class CrashAfter : public ::testing::TestWithParam<const char*> {};

TEST_P(CrashAfter, MirrorStaysValidAndTheNextRunRecovers) {
    PublisherFixture f(3);
    f.config();
    ASSERT_EQ(f.publish(1).exit_code, 0);
    ASSERT_EQ(f.publish(2).exit_code, 0);
    const std::string before = manifest_body(f.expect());

    CommandResult killed = f.publish(3, {}, {std::string("SQUASHPUB_CRASH_AFTER=") + GetParam()});
    EXPECT_EQ(killed.exit_code, -1) << "expected death by SIGKILL: " << killed.output;

    // What clients see: the old manifest or the new one, fully valid.
    MirrorExpectations expect = f.expect();
    expect.allowed_unlisted = {"test-20260103.sqfs", "test-20260101-20260103.sqdelta",
                               "test-20260102-20260103.sqdelta", "test-20260101-20260102.sqdelta",
                               "test-20260102.sqfs"};
    EXPECT_EQ(check_mirror(expect), "");
    const std::string after_crash = manifest_body(f.expect());
    EXPECT_TRUE(after_crash == before ||
                after_crash.find("Current: test-20260103") != std::string::npos);

    CommandResult again = f.publish(3);
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(check_mirror(f.expect()), ""); // nothing unlisted any more
    const std::string body = manifest_body(f.expect());
    EXPECT_NE(body.find("Current: test-20260103"), std::string::npos);
    EXPECT_NE(body.find("  test-20260101-20260103.sqdelta"), std::string::npos);
    EXPECT_NE(body.find("  test-20260102-20260103.sqdelta"), std::string::npos);
    EXPECT_TRUE(list_dir(f.path("state/staging")).empty());
    EXPECT_FALSE(exists(f.path("state/journal.json")));
}

INSTANTIATE_TEST_SUITE_P(EveryStep, CrashAfter,
                         ::testing::Values("lock", "image", "archive", "deltas", "sign",
                                           "journal-written", "move-snapshot", "move-delta",
                                           "manifest", "journal", "prune", "report"),
                         crash_step_name);

// The first run claims archive_dir and state_dir with a marker file; killed
// while writing one, the next run still claims both for its repository,
// leaves no temporary file behind and publishes.
class MarkerCrashAfter : public ::testing::TestWithParam<const char*> {};

TEST_P(MarkerCrashAfter, TheNextRunClaimsTheDirectoriesAndPublishes) {
    PublisherFixture f(1);
    f.config();
    CommandResult killed = f.publish(1, {}, {std::string("SQUASHPUB_CRASH_AFTER=") + GetParam()});
    EXPECT_EQ(killed.exit_code, -1) << "expected death by SIGKILL: " << killed.output;
    EXPECT_FALSE(exists(f.path("mirror/sha512sum.txt")));

    CommandResult again = f.publish(1);
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(check_mirror(f.expect()), "");
    for (const char* marker : {"archive/.squashpub-archive", "state/.squashpub-state"}) {
        const nlohmann::json claimed = nlohmann::json::parse(read_file(f.path(marker)));
        EXPECT_EQ(claimed.at("repo"), "test") << marker;
    }
    for (const char* dir : {"archive", "state"})
        for (const std::string& name : list_dir(f.path(dir)))
            EXPECT_EQ(name.find(".tmp-"), std::string::npos) << dir << "/" << name;
}

INSTANTIATE_TEST_SUITE_P(EveryMarkerStep, MarkerCrashAfter,
                         ::testing::Values("marker-written", "marker-linked"), crash_step_name);

// A forced republish (issue #11) killed after each step: before its journal
// the old mirror is untouched; after its manifest switch the new one is
// complete; in between (files replacing listed ones) the next run
// completes it. The archive never loses the version: it keeps the old
// image until the new one is live.
class ForcedCrashAfter : public ::testing::TestWithParam<const char*> {};

std::string listed_hash(const std::string& body, const std::string& name) {
    const size_t at = body.find("  " + name + "\n");
    return at == std::string::npos || at < 128 ? "" : body.substr(at - 128, 128);
}

std::string archived_hash(PublisherFixture& f, const std::string& version) {
    const nlohmann::json index = nlohmann::json::parse(read_file(f.path("archive/index.json")));
    for (const auto& entry : index.at("versions"))
        if (entry.at("version") == version && entry.at("published") == true)
            return entry.at("sha512");
    return "";
}

TEST_P(ForcedCrashAfter, OldOrNewMirrorAndTheArchiveKeepsTheVersion) {
    const std::string step = GetParam();
    PublisherFixture f(3);
    f.config();
    ASSERT_EQ(f.publish(1).exit_code, 0);
    ASSERT_EQ(f.publish(2, {"--version", "fixed"}).exit_code, 0);
    const std::string before = f.mirror_fingerprint();
    const std::string old_hash = listed_hash(manifest_body(f.expect()), "test-fixed.sqfs");
    ASSERT_NE(old_hash, "");

    CommandResult killed =
        f.publish(3, {"--version", "fixed", "--force"}, {"SQUASHPUB_CRASH_AFTER=" + step});
    EXPECT_EQ(killed.exit_code, -1) << "expected death by SIGKILL: " << killed.output;
    const bool before_journal = step == "lock" || step == "image" || step == "archive" ||
                                step == "deltas" || step == "sign";
    const bool after_switch = step == "manifest" || step == "archive-replace" ||
                              step == "journal" || step == "prune" || step == "report";
    if (before_journal) {
        EXPECT_EQ(f.mirror_fingerprint(), before);
        EXPECT_EQ(archived_hash(f, "fixed"), old_hash);
    }
    if (after_switch) {
        EXPECT_EQ(check_mirror(f.expect()), "");
    }
    // Whatever the step, the archive still has the version, published,
    // with an image matching its recorded hash.
    const std::string archived = archived_hash(f, "fixed");
    ASSERT_NE(archived, "");
    EXPECT_EQ(sha512(f.path("archive/test-fixed.sqfs")), archived);

    CommandResult again = f.publish(3, {"--version", "fixed", "--force"});
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(check_mirror(f.expect()), ""); // the delta from day 1 rebuilds the new image
    const std::string new_hash = listed_hash(manifest_body(f.expect()), "test-fixed.sqfs");
    EXPECT_NE(new_hash, old_hash);
    EXPECT_EQ(archived_hash(f, "fixed"), new_hash);
    EXPECT_EQ(sha512(f.path("archive/test-fixed.sqfs")), new_hash);
    EXPECT_FALSE(exists(f.path("state/journal.json")));
    EXPECT_TRUE(list_dir(f.path("state/staging")).empty());
}

INSTANTIATE_TEST_SUITE_P(EveryStep, ForcedCrashAfter,
                         ::testing::Values("lock", "image", "archive", "deltas", "sign",
                                           "journal-written", "move-snapshot", "move-delta",
                                           "manifest", "archive-replace", "journal", "prune",
                                           "report"),
                         crash_step_name);

} // namespace
} // namespace squashpub::test
