// A publish killed with SIGKILL after each of its steps leaves a mirror a
// client can use (the previous state, or the new one complete), and the
// next run finishes the job.

#include "support/publisher_fixture.hpp"

#include <gtest/gtest.h>

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
                                           "move-snapshot", "move-delta", "manifest", "journal",
                                           "prune", "report"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                             std::string name = info.param;
                             for (char& c : name)
                                 if (c == '-')
                                     c = '_';
                             return name;
                         });

} // namespace
} // namespace squashpub::test
