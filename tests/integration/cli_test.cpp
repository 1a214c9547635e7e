// The binary's contract with scripts: help, version, exit codes, messages.

#include "support/test_support.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace squashpub {
namespace {

using test::squashpub;

TEST(Cli, VersionAndHelp) {
    auto version = squashpub({"--version"});
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.output.rfind("squashpub ", 0), 0u);
    auto help = squashpub({"--help"});
    EXPECT_EQ(help.exit_code, 0);
    for (const char* command : {"image", "delta", "apply"}) {
        EXPECT_NE(help.output.find(command), std::string::npos);
        auto sub = squashpub({command, "--help"});
        EXPECT_EQ(sub.exit_code, 0) << command;
        EXPECT_NE(sub.output.find(std::string("usage: squashpub ") + command), std::string::npos);
    }
}

TEST(Cli, UsageErrorsExitWithTwo) {
    EXPECT_EQ(squashpub({}).exit_code, 2);
    auto unknown = squashpub({"frobnicate"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.output.find("unknown command 'frobnicate'"), std::string::npos);
    auto option = squashpub({"image", "--colour", "a", "b"});
    EXPECT_EQ(option.exit_code, 2);
    EXPECT_NE(option.output.find("unknown option --colour"), std::string::npos);
    auto arity = squashpub({"delta", "only-one"});
    EXPECT_EQ(arity.exit_code, 2);
    EXPECT_NE(arity.output.find("expected 3 arguments"), std::string::npos);
    auto level = squashpub({"image", "--level", "12", "src", "out.sqfs"});
    EXPECT_EQ(level.exit_code, 2);
    EXPECT_NE(level.output.find("lzo level must be 1 to 9"), std::string::npos);
    auto number = squashpub({"image", "--mtime", "yesterday", "src", "out.sqfs"});
    EXPECT_EQ(number.exit_code, 2);
    EXPECT_NE(number.output.find("--mtime expects an integer"), std::string::npos);
}

TEST(Cli, FailuresExitWithOneAndNameTheFile) {
    auto result =
        squashpub({"apply", "/nonexistent/old.sqfs", "/nonexistent/d.sqdelta", "out.sqfs"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("/nonexistent/old.sqfs: cannot open"), std::string::npos)
        << result.output;
}

TEST(Cli, DashPrefixedFileNamesAfterDoubleDash) {
    auto result =
        squashpub({"image", "--quiet", "--mtime", "0", "--", "/nonexistent", "-out.sqfs"});
    EXPECT_EQ(result.exit_code, 1); // parsed as files, failing on the missing source
    EXPECT_NE(result.output.find("/nonexistent"), std::string::npos);
}

// The option lists come from the parser's declarations: every command's
// help shows its options and keeps its explanatory paragraphs.
TEST(Cli, EveryCommandsHelpListsItsOptions) {
    const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
        {"image", {"--rev", "--layout-from", "--compact-percent", "--jobs", "reproducible"}},
        {"delta", {"--shared-blocks", "--race-margin", "--tmpdir", "squashmerge"}},
        {"apply", {"--max-output", "--jobs", "independent"}},
        {"publish", {"--config", "--allow-downgrade", "--dry-run", "--json", "nightly job"}},
        {"repair", {"--config", "--dry-run", "regenerates"}},
        {"resign", {"--config", "Valid-Until"}},
        {"status", {"--config", "archived"}},
        {"verify", {"--repo", "--max-age", "--state", "--max-redirects", "Exit codes"}},
    };
    for (const auto& [command, words] : expected) {
        auto help = squashpub({command, "--help"});
        EXPECT_EQ(help.exit_code, 0) << command;
        for (const std::string& word : std::vector<std::string>{"--verbose", "--quiet", "--help"})
            EXPECT_NE(help.output.find(word), std::string::npos) << command << ": " << word;
        for (const std::string& word : words)
            EXPECT_NE(help.output.find(word), std::string::npos) << command << ": " << word;
    }
}

TEST(Cli, BadValuesNameTheOption) {
    auto jobs = squashpub({"verify", "--jobs=0", "/nonexistent"});
    EXPECT_EQ(jobs.exit_code, 2);
    EXPECT_NE(jobs.output.find("--jobs expects an integer from 1 to 256, got 0"), std::string::npos)
        << jobs.output;
    auto missing = squashpub({"apply", "a", "b", "c", "--max-output"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.output.find("--max-output"), std::string::npos) << missing.output;
    auto age = squashpub({"verify", "/nonexistent", "--keyring", "k", "--max-age", "soon"});
    EXPECT_EQ(age.exit_code, 2);
    EXPECT_NE(age.output.find("--max-age"), std::string::npos) << age.output;
    auto unknown = squashpub({"publish", "--colour=red", "--config", "c.json"});
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_NE(unknown.output.find("unknown option --colour"), std::string::npos) << unknown.output;
    auto flag = squashpub({"repair", "--dry-run=false", "--config", "c.json"});
    EXPECT_EQ(flag.exit_code, 2);
    EXPECT_NE(flag.output.find("--dry-run takes no value"), std::string::npos) << flag.output;
    auto surplus = squashpub({"status", "--config", "c.json", "extra"});
    EXPECT_EQ(surplus.exit_code, 2);
    EXPECT_NE(surplus.output.find("expected 0 arguments, got 1"), std::string::npos)
        << surplus.output;
}

// "--repo=" is an empty value (refused by --repo, by name), not "--repo"
// taking the next word.
TEST(Cli, EmptyValueAfterEqualsStaysEmpty) {
    auto repo = squashpub({"verify", "--repo=", "/nonexistent"});
    EXPECT_EQ(repo.exit_code, 2);
    EXPECT_NE(repo.output.find("--repo needs a repository name"), std::string::npos) << repo.output;
}

} // namespace
} // namespace squashpub
