#include "publisher/plan.hpp"

#include <gtest/gtest.h>

namespace squashpub::publisher {
namespace {

PlanInput input_with_history(std::vector<std::string> history) {
    PlanInput input;
    input.repo = "gentoo";
    input.new_version = "20260630";
    input.history = std::move(history);
    return input;
}

TEST(Plan, DeltasFromTheLastWindowVersionsNewestFirst) {
    PlanInput input = input_with_history({"20260625", "20260627", "20260628", "20260629"});
    input.delta_window = 3;
    Plan plan = make_plan(input);
    EXPECT_EQ(plan.snapshot, "gentoo-20260630.sqfs");
    EXPECT_EQ(plan.delta_sources, (std::vector<std::string>{"20260629", "20260628", "20260627"}));
}

TEST(Plan, FirstPublicationHasNoDeltas) {
    EXPECT_TRUE(make_plan(input_with_history({})).delta_sources.empty());
}

TEST(Plan, TheNewVersionIsNeverItsOwnSource) {
    Plan plan = make_plan(input_with_history({"20260629", "20260630"}));
    EXPECT_EQ(plan.delta_sources, (std::vector<std::string>{"20260629"}));
}

TEST(Plan, KeepsPastSnapshotsThatAreInTheMirror) {
    PlanInput input = input_with_history({"20260627", "20260628", "20260629"});
    input.keep_snapshots = 2;
    input.mirror_files = {"gentoo-20260629.sqfs", "gentoo-20260627.sqfs"};
    EXPECT_EQ(make_plan(input).kept_snapshots, (std::vector<std::string>{"gentoo-20260629.sqfs"}));
}

TEST(Plan, RemovalHonoursGraceGenerationsAndLeavesForeignFilesAlone) {
    PlanInput input = input_with_history({"20260628", "20260629"});
    input.mirror_files = {"gentoo-20260628.sqfs",
                          "gentoo-20260629.sqfs",
                          "gentoo-20260628-20260629.sqdelta",
                          "gentoo-20260630.sqfs",
                          "README",
                          "other-20260629.sqfs"};
    input.previous_manifests = {{"gentoo-20260629.sqfs", "gentoo-20260628-20260629.sqdelta"},
                                {"gentoo-20260628.sqfs"}};
    const std::set<std::string> listed = {"gentoo-20260630.sqfs",
                                          "gentoo-20260629-20260630.sqdelta"};
    input.grace_generations = 1;
    EXPECT_EQ(files_to_remove(input, listed), (std::vector<std::string>{"gentoo-20260628.sqfs"}));
    input.grace_generations = 2;
    EXPECT_TRUE(files_to_remove(input, listed).empty());
    input.grace_generations = 0;
    EXPECT_EQ(files_to_remove(input, listed),
              (std::vector<std::string>{"gentoo-20260628-20260629.sqdelta", "gentoo-20260628.sqfs",
                                        "gentoo-20260629.sqfs"}));
}

// Issue #11: pruning gentoo deleted gentoo-kde's files (a bare "gentoo-"
// prefix). Ownership is an exact parse of gentoo's own names.
TEST(Plan, RemovalNeverTakesAnotherRepositorysFilesForItsOwn) {
    PlanInput input = input_with_history({"20260628", "20260629"});
    input.mirror_files = {"gentoo-kde-20260610.sqfs",
                          "gentoo-kde-20260611.sqfs",
                          "gentoo-kde-20260610-20260611.sqdelta",
                          "gentoo-20260628.sqfs",
                          "gentoo-current.sqfs",
                          "gentoo-x.sqfs.sqfs",
                          "gentoo-a b.sqfs"};
    input.grace_generations = 0;
    // gentoo-current.sqfs is gentoo's current alias (issue #13): unlisted, it goes.
    EXPECT_EQ(files_to_remove(input, {"gentoo-20260630.sqfs"}),
              (std::vector<std::string>{"gentoo-20260628.sqfs", "gentoo-current.sqfs"}));
}

TEST(Plan, ListedFilesAreSnapshotKeptSnapshotsAndBuiltDeltas) {
    Plan plan;
    plan.snapshot = "r-3.sqfs";
    plan.kept_snapshots = {"r-2.sqfs"};
    EXPECT_EQ(listed_files(plan, {"r-2-3.sqdelta"}),
              (std::set<std::string>{"r-2-3.sqdelta", "r-2.sqfs", "r-3.sqfs"}));
}

} // namespace
} // namespace squashpub::publisher
