// All 30 days of the bundled real data published in turn, with a real
// signing key; after every day the mirror is checked as a client meets it:
// signature, Current: in the signed body, every listed hash, no unlisted
// file, and every delta applied with the independent applier.
// To keep CI short this uses delta_window 2 and lz4 images (whose checks
// cost a fraction of lzo's); the lzo contract is covered by the round-trip
// matrix and the LZO compatibility test, and bench/publish replays the month
// with the default policy (lzo level 4, window 30).

#include "core/files.hpp"
#include "support/gpg_keyring.hpp"
#include "support/mirror_check.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace squashpub::test {
namespace {

TEST(RealDataPublish, ThirtyDaysInTurn) {
    const std::string repository = guru_repository();
    if (repository.empty())
        GTEST_SKIP() << kNoDataMessage;
    TempDir dir;
    GpgKeyring keyring;
    const nlohmann::json config = {{"repo", "guru"},
                                   {"source", repository},
                                   {"mirror_dir", dir.file("mirror")},
                                   {"archive_dir", dir.file("archive")},
                                   {"state_dir", dir.file("state")},
                                   {"delta_window", 2},
                                   {"image", {{"compressor", "lz4"}}},
                                   {"grace_generations", 0},
                                   {"signing",
                                    {{"key", keyring.fingerprint()},
                                     {"gnupg_home", keyring.home()},
                                     {"passphrase_file", keyring.passphrase_file()}}}};
    write_file(dir.file("guru.json"), config.dump(2));
    MirrorExpectations expect;
    expect.repo = "guru";
    expect.mirror_dir = dir.file("mirror");
    expect.archive_dir = dir.file("archive");
    expect.keyring = &keyring;
    for (int day = 1; day <= 30; ++day) {
        const std::string tag =
            std::string("2026-06-") + (day < 10 ? "0" : "") + std::to_string(day);
        CommandResult result =
            squashpub({"publish", "--quiet", "--config", dir.file("guru.json"), "--rev", tag});
        ASSERT_EQ(result.exit_code, 0) << tag << ": " << result.output;
        ASSERT_EQ(check_mirror(expect), "") << "after " << tag;
        const std::string body = manifest_body(expect);
        ASSERT_NE(body.find("Current: guru-202606" + tag.substr(8)), std::string::npos) << body;
    }
    EXPECT_EQ(list_dir(dir.file("mirror")).size(), 4u); // snapshot, 2 deltas, sha512sum.txt
}

} // namespace
} // namespace squashpub::test
