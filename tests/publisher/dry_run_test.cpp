// publish --dry-run: prints what the run would do, and changes nothing
// (contents, names, modes and mtimes of every file and directory, no lock).

#include "support/publisher_fixture.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace squashpub::test {
namespace {

// Everything a run could touch: every entry under the fixture's mirror,
// archive and state directories (and whether they exist at all).
std::string tree_fingerprint(const PublisherFixture& f) {
    std::string text;
    for (const char* top : {"mirror", "archive", "state"}) {
        const std::string root = f.path(top);
        if (!fs::exists(root)) {
            text += std::string(top) + " absent\n";
            continue;
        }
        std::vector<std::string> paths = {root};
        for (const auto& item : fs::recursive_directory_iterator(root))
            paths.push_back(item.path());
        std::sort(paths.begin(), paths.end());
        for (const std::string& path : paths) {
            struct stat info;
            EXPECT_EQ(lstat(path.c_str(), &info), 0) << path;
            text += path + " mode " + std::to_string(info.st_mode) + " size " +
                    std::to_string(info.st_size) + " mtime " + std::to_string(info.st_mtim.tv_sec) +
                    "." + std::to_string(info.st_mtim.tv_nsec);
            if (S_ISREG(info.st_mode))
                text += " sha512 " + sha512(path);
            text += "\n";
        }
    }
    return text;
}

// The names of a JSON array of strings, sorted (plans and reports list
// them in no guaranteed order).
std::vector<std::string> sorted_names(const nlohmann::json& names) {
    std::vector<std::string> sorted = names;
    std::sort(sorted.begin(), sorted.end());
    return sorted;
}

std::vector<std::string> removed_by_last_run(const PublisherFixture& f) {
    return sorted_names(
        nlohmann::json::parse(read_file(f.path("state/last-run.json"))).at("removed"));
}

TEST(DryRun, ChangesNothingAndPredictsTheRun) {
    PublisherFixture f(4);
    f.config({{"delta_window", 2},
              {"keep_snapshots", 1},
              {"archive_keep", {{"policy", "drop"}}},
              {"metrics_file", f.path("squashpub.prom")}});
    for (int day = 1; day <= 3; ++day)
        ASSERT_EQ(f.publish(day).exit_code, 0);
    const std::string before = tree_fingerprint(f);
    const std::string metrics_before = read_file(f.path("squashpub.prom"));

    CommandResult text = f.run({"publish", "--dry-run", "--rev", "d4"});
    ASSERT_EQ(text.exit_code, 0) << text.output;
    for (const char* line :
         {"version: 20260104", "currently published: test-20260103", "  test-20260104.sqfs",
          "  test-20260103-20260104.sqdelta (from "
          "20260103)",
          "  test-20260102-20260104.sqdelta (from 20260102)", "to remove from the mirror: 3",
          "to drop from the archive: 1", "  20260101"})
        EXPECT_NE(text.output.find(line), std::string::npos) << line << "\n" << text.output;
    CommandResult json = f.run({"publish", "--dry-run", "--json", "--rev", "d4"});
    ASSERT_EQ(json.exit_code, 0) << json.output;
    const nlohmann::json plan = nlohmann::json::parse(json.output);
    EXPECT_EQ(tree_fingerprint(f), before);
    EXPECT_EQ(read_file(f.path("squashpub.prom")), metrics_before);

    // The real run does what the plan said.
    CommandResult real = f.publish(4);
    ASSERT_EQ(real.exit_code, 0) << real.output;
    const std::vector<std::string> predicted = sorted_names(plan.at("mirror_removals"));
    EXPECT_EQ(removed_by_last_run(f), predicted);
    for (const auto& delta : plan.at("deltas"))
        EXPECT_TRUE(exists(f.path("mirror/" + delta.at("name").get<std::string>())));
    EXPECT_EQ(plan.at("archive_drops"), nlohmann::json::array({"20260101"}));
    EXPECT_FALSE(exists(f.path("archive/test-20260101.sqfs")));
    EXPECT_TRUE(exists(f.path("archive/test-20260102.sqfs")));
}

// With flavors and current aliases the plan lists the flavor images and the
// aliases, and predicts the real run's removals (old flavor images go with
// their snapshots, kept ones stay).
TEST(DryRun, ListsFlavorsAndAliasesAndPredictsTheirPruning) {
    PublisherFixture f(4);
    f.config({{"delta_window", 1},
              {"keep_snapshots", 1},
              {"signing", nullptr},
              {"flavors", {{{"name", "xz"}, {"compressor", "xz"}}}},
              {"current_aliases", true}});
    for (int day = 1; day <= 3; ++day)
        ASSERT_EQ(f.publish(day).exit_code, 0);
    const std::string before = tree_fingerprint(f);

    CommandResult json = f.run({"publish", "--dry-run", "--json", "--rev", "d4"});
    ASSERT_EQ(json.exit_code, 0) << json.output;
    const nlohmann::json plan = nlohmann::json::parse(json.output);
    EXPECT_EQ(tree_fingerprint(f), before);
    EXPECT_EQ(plan.at("images"),
              nlohmann::json::array({"test-20260104.sqfs", "test-20260104.xz.sqfs"}));
    EXPECT_EQ(plan.at("kept_snapshots"),
              nlohmann::json::array({"test-20260103.sqfs", "test-20260103.xz.sqfs"}));
    EXPECT_EQ(plan.at("aliases"),
              nlohmann::json::array({"test-current.sqfs -> test-20260104.sqfs",
                                     "test-current.xz.sqfs -> test-20260104.xz.sqfs"}));

    CommandResult real = f.publish(4);
    ASSERT_EQ(real.exit_code, 0) << real.output;
    const std::vector<std::string> predicted = sorted_names(plan.at("mirror_removals"));
    EXPECT_EQ(removed_by_last_run(f), predicted);
    EXPECT_NE(std::find(predicted.begin(), predicted.end(), "test-20260102.xz.sqfs"),
              predicted.end());
    for (const auto& kept : plan.at("kept_snapshots"))
        EXPECT_TRUE(exists(f.path("mirror/" + kept.get<std::string>()))) << kept;
}

TEST(DryRun, FreshConfigCreatesNoDirectory) {
    PublisherFixture f(1);
    f.config({{"metrics_file", f.path("squashpub.prom")}});
    const std::string before = tree_fingerprint(f);
    CommandResult dry = f.run({"publish", "--dry-run", "--rev", "d1"});
    ASSERT_EQ(dry.exit_code, 0) << dry.output;
    EXPECT_NE(dry.output.find("currently published: nothing"), std::string::npos) << dry.output;
    EXPECT_NE(dry.output.find("deltas to build: none"), std::string::npos) << dry.output;
    EXPECT_EQ(tree_fingerprint(f), before);
    EXPECT_FALSE(exists(f.path("squashpub.prom")));
    EXPECT_EQ(f.run({"publish", "--json", "--rev", "d1"}).exit_code, 2);
}

} // namespace
} // namespace squashpub::test
