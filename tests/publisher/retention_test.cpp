// Archive retention (archive_keep): the plan as a pure function, and 40
// nights of a small repository with the disk use bounded, every version
// the policy keeps restorable, and repair still working.

#include "config/publisher_config.hpp"
#include "publisher/archive.hpp"
#include "publisher/retention.hpp"
#include "support/publisher_fixture.hpp"

#include <algorithm>
#include <filesystem>
#include <gtest/gtest.h>
#include <iostream>

namespace fs = std::filesystem;

namespace squashpub::test {
namespace {

using publisher::ArchivedVersion;

std::vector<ArchivedVersion> archive_of(int published, int as_delta, bool unpublished_newest) {
    std::vector<ArchivedVersion> versions;
    for (int i = 1; i <= published + unpublished_newest; ++i) {
        ArchivedVersion entry;
        entry.version = std::to_string(100 + i);
        entry.version.insert(0, 1, 'v'); // not "v" + ...: GCC 12 -O3's false -Wrestrict
        entry.published = i <= published;
        entry.stored_as_delta = i <= as_delta;
        versions.push_back(entry);
    }
    return versions;
}

TEST(Retention, PlanKeepsTheWindowAsItIs) {
    config::PublisherConfig config;
    config.delta_window = 3;
    config.keep_snapshots = 5; // the window is 1 + max(3, 5) = 6
    EXPECT_EQ(publisher::archive_window(config), 6u);
    // No archive_keep: everything stays.
    EXPECT_TRUE(publisher::plan_retention(archive_of(20, 0, false), config).empty());

    config.archive_keep = config::ArchiveKeep{config::ArchiveKeep::Policy::reverse_deltas, {}};
    auto plan = publisher::plan_retention(archive_of(10, 2, true), config);
    EXPECT_TRUE(plan.to_drop.empty());
    // v101, v102 are deltas already; v103, v104 leave the window (v105..v110
    // stay; the unpublished v111 is never touched).
    EXPECT_EQ(plan.to_reverse_delta, (std::vector<std::string>{"v103", "v104"}));
    EXPECT_TRUE(publisher::plan_retention(archive_of(6, 0, false), config).empty());

    config.archive_keep->max_versions = 7;
    plan = publisher::plan_retention(archive_of(10, 2, false), config);
    EXPECT_EQ(plan.to_drop, (std::vector<std::string>{"v101", "v102", "v103"}));
    EXPECT_EQ(plan.to_reverse_delta, (std::vector<std::string>{"v104"}));
    // A cap below the window is raised to it: publication needs those.
    config.archive_keep->max_versions = 2;
    EXPECT_EQ(publisher::plan_retention(archive_of(10, 0, false), config).to_drop.size(), 4u);

    config.archive_keep = config::ArchiveKeep{config::ArchiveKeep::Policy::drop, {}};
    plan = publisher::plan_retention(archive_of(9, 0, true), config);
    EXPECT_EQ(plan.to_drop, (std::vector<std::string>{"v101", "v102", "v103"}));
    EXPECT_TRUE(plan.to_reverse_delta.empty());
}

struct DiskUse {
    uint64_t bytes = 0;
    size_t full = 0, deltas = 0;
};

DiskUse archive_use(const std::string& dir) {
    DiskUse use;
    for (const std::string& name : list_dir(dir)) {
        use.bytes += file_size(dir + "/" + name);
        use.full += name.ends_with(".sqfs");
        use.deltas += name.ends_with(".sqdelta");
    }
    return use;
}

// Deletes a snapshot and a delta from the mirror; repair must bring both
// back from what the archive kept.
void check_repair(PublisherFixture& f, int day, const MirrorExpectations& expect) {
    const std::string current = PublisherFixture::version(day);
    const std::string previous = PublisherFixture::version(day - 1);
    fs::remove(f.path("mirror/test-" + previous + ".sqfs"));
    fs::remove(
        f.path("mirror/test-" + PublisherFixture::version(day - 2) + "-" + current + ".sqdelta"));
    EXPECT_NE(check_mirror(expect), "");
    CommandResult repair = f.run({"repair"});
    EXPECT_EQ(repair.exit_code, 0) << repair.output;
    EXPECT_EQ(check_mirror(expect), "");
}

// 40 nights, delta_window 2 and keep_snapshots 1 (window 3), reverse
// deltas beyond the window, at most 10 versions: the archive settles at 3
// full images and 7 reverse deltas, whatever the number of nights.
TEST(Retention, FortyNightsStayBounded) {
    const int nights = 40;
    PublisherFixture f(nights);
    f.config({{"delta_window", 2},
              {"keep_snapshots", 1},
              {"archive_keep", {{"policy", "reverse-deltas"}, {"max_versions", 10}}},
              {"metrics_file", f.path("squashpub.prom")},
              {"signing", nullptr}}); // signing is tested elsewhere; 40 nights of it are slow
    uint64_t largest_image = 0, largest_use = 0;
    for (int day = 1; day <= nights; ++day) {
        CommandResult result = f.publish(day);
        ASSERT_EQ(result.exit_code, 0) << "night " << day << ": " << result.output;
        largest_image =
            std::max(largest_image,
                     file_size(f.path("mirror/test-" + PublisherFixture::version(day) + ".sqfs")));
        const DiskUse use = archive_use(f.path("archive"));
        largest_use = std::max(largest_use, use.bytes);
        std::cout << "night " << day << ": archive " << use.bytes << " bytes, " << use.full
                  << " full, " << use.deltas << " reverse deltas\n";
        EXPECT_LE(use.full, 3u) << "night " << day;
        EXPECT_LE(use.full + use.deltas, 10u) << "night " << day;
    }
    const DiskUse last = archive_use(f.path("archive"));
    EXPECT_EQ(last.full, 3u);
    EXPECT_EQ(last.deltas, 7u);
    // The bound: the window's full images plus 7 reverse deltas, each far
    // smaller than an image (a quarter is generous), plus the index.
    EXPECT_LE(largest_use, 3 * largest_image + 7 * largest_image / 4 + 64 * 1024);
    EXPECT_EQ(check_mirror({"test", f.path("mirror"), f.path("archive"), nullptr, {}}), "");

    // The oldest version kept (a reverse delta at the end of the chain)
    // still comes back exactly (restore checks its SHA-512).
    publisher::Archive archive(f.path("archive"), "test", config::ArchiveMode::full, 1);
    ASSERT_EQ(archive.versions().size(), 10u);
    EXPECT_EQ(archive.versions().front().version, PublisherFixture::version(nights - 9));
    TempDir scratch;
    archive.restore(archive.versions().front().version, scratch.file("oldest.sqfs"),
                    scratch.path());
    EXPECT_TRUE(exists(scratch.file("oldest.sqfs")));

    MirrorExpectations expect = f.expect();
    expect.keyring = nullptr; // unsigned
    check_repair(f, nights, expect);
    CommandResult status = f.run({"status"});
    EXPECT_NE(status.output.find("archive disk use: "), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("3 full images"), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("7 reverse deltas"), std::string::npos) << status.output;
    std::cout << status.output << read_file(f.path("squashpub.prom"));
}

// Killed at each step of retention (night 4 drops the oldest version and
// turns the next into a reverse delta): the archive stays usable, and the
// next night leaves exactly the policy's files.
class RetentionCrashAfter : public ::testing::TestWithParam<const char*> {};

TEST_P(RetentionCrashAfter, ArchiveStaysUsable) {
    PublisherFixture f(5);
    f.config({{"delta_window", 1},
              {"archive_keep", {{"policy", "reverse-deltas"}, {"max_versions", 3}}},
              {"signing", nullptr}});
    for (int day = 1; day <= 3; ++day)
        ASSERT_EQ(f.publish(day).exit_code, 0) << day;
    CommandResult killed = f.publish(4, {}, {std::string("SQUASHPUB_CRASH_AFTER=") + GetParam()});
    EXPECT_EQ(killed.exit_code, -1) << "expected death by SIGKILL: " << killed.output;
    {
        // Every version the index names comes back exactly.
        publisher::Archive archive(f.path("archive"), "test", config::ArchiveMode::full, 1);
        TempDir scratch;
        for (const ArchivedVersion& entry : archive.versions())
            archive.restore(entry.version, scratch.file(entry.version), scratch.path());
    }
    CommandResult next = f.publish(5);
    ASSERT_EQ(next.exit_code, 0) << next.output;
    // Window 2 (20260104, 20260105) in full, 20260103 a reverse delta.
    std::vector<std::string> files = list_dir(f.path("archive"));
    std::sort(files.begin(), files.end());
    EXPECT_EQ(files, (std::vector<std::string>{".squashpub-archive", "index.json",
                                               "test-20260104-20260103.sqdelta",
                                               "test-20260104.sqfs", "test-20260105.sqfs"}));
}

INSTANTIATE_TEST_SUITE_P(Steps, RetentionCrashAfter,
                         ::testing::Values("archive-drop-indexed", "archive-reverse-delta",
                                           "archive-reverse-delta-indexed"),
                         crash_step_name);

// A reverse-delta archive with the drop policy keeps exactly the window.
TEST(Retention, DropPolicyOnAReverseDeltaArchive) {
    PublisherFixture f(8);
    f.config({{"delta_window", 3},
              {"keep_snapshots", 1},
              {"archive", "reverse-deltas"},
              {"archive_keep", {{"policy", "drop"}}},
              {"signing", nullptr}});
    for (int day = 1; day <= 8; ++day)
        ASSERT_EQ(f.publish(day).exit_code, 0) << day;
    const DiskUse use = archive_use(f.path("archive"));
    EXPECT_EQ(use.full, 1u);
    EXPECT_EQ(use.deltas, 3u);
    EXPECT_FALSE(exists(f.path("archive/test-20260105-20260104.sqdelta")));
    MirrorExpectations expect = f.expect();
    expect.archive_dir = ""; // no full old images to apply the deltas to
    expect.keyring = nullptr;
    check_repair(f, 8, expect);
}

} // namespace
} // namespace squashpub::test
