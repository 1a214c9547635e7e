// The binary's contract with scripts: help, version, exit codes, messages.

#include "support/test_support.hpp"

#include <gtest/gtest.h>

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

} // namespace
} // namespace squashpub
