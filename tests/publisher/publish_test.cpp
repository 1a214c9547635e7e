// The publisher's behaviour, through the real binary, with a real gpg key.

#include "support/publisher_fixture.hpp"

#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace squashpub::test {
namespace {

TEST(Publish, SuccessiveDaysGiveAValidMirrorEveryDay) {
    PublisherFixture f(4);
    for (int day = 1; day <= 4; ++day) {
        CommandResult result = f.publish(day);
        ASSERT_EQ(result.exit_code, 0) << result.output;
        EXPECT_EQ(check_mirror(f.expect()), "") << "after day " << day;
        EXPECT_NE(manifest_body(f.expect()).find("Current: test-" + PublisherFixture::version(day)),
                  std::string::npos);
    }
    // Deltas from every earlier day lead to day 4.
    for (int day = 1; day <= 3; ++day)
        EXPECT_TRUE(exists(f.path("mirror/test-" + PublisherFixture::version(day) + "-" +
                                  PublisherFixture::version(4) + ".sqdelta")));
    // The report says what happened.
    const std::string report = read_file(f.path("state/last-run.json"));
    for (const char* key : {"\"deltas\"", "\"ratio_to_image\"", "\"timings_seconds\"",
                            "\"peak_rss_kib\"", "\"removed\"", "\"added\""})
        EXPECT_NE(report.find(key), std::string::npos) << key;
}

TEST(Publish, SkippedDaysAndTheDeltaWindow) {
    PublisherFixture f(7);
    f.config({{"delta_window", 2}});
    for (int day : {1, 4, 7})
        ASSERT_EQ(f.publish(day).exit_code, 0);
    EXPECT_EQ(check_mirror(f.expect()), "");
    EXPECT_TRUE(exists(f.path("mirror/test-20260104-20260107.sqdelta")));
    EXPECT_TRUE(exists(f.path("mirror/test-20260101-20260107.sqdelta")));
    // Versions need not be ordered (older commits only when asked for).
    ASSERT_EQ(f.publish(6, {"--allow-downgrade"}).exit_code, 0);
    ASSERT_EQ(f.publish(5, {"--allow-downgrade"}).exit_code, 0);
    EXPECT_EQ(check_mirror(f.expect()), "");
    // Window 2: only the two most recently published versions.
    EXPECT_TRUE(exists(f.path("mirror/test-20260106-20260105.sqdelta")));
    EXPECT_TRUE(exists(f.path("mirror/test-20260107-20260105.sqdelta")));
    EXPECT_FALSE(exists(f.path("mirror/test-20260104-20260105.sqdelta")));
}

TEST(Publish, DowngradeIsRefusedUnlessAllowed) {
    PublisherFixture f(3);
    ASSERT_EQ(f.publish(2).exit_code, 0);
    const std::string before = f.mirror_fingerprint();
    CommandResult older = f.publish(1);
    EXPECT_EQ(older.exit_code, 1);
    EXPECT_NE(older.output.find("revision d1 (committed 2026-01-01 12:00:00 UTC) is older than "
                                "the published test-20260102 (committed 2026-01-02 12:00:00 UTC)"),
              std::string::npos)
        << older.output;
    EXPECT_NE(older.output.find("--allow-downgrade"), std::string::npos);
    EXPECT_EQ(f.mirror_fingerprint(), before);
    EXPECT_EQ(read_file(f.path("archive/index.json")).find("20260101"), std::string::npos);
    // Under another version name too: it is the commit that counts.
    EXPECT_EQ(f.publish(1, {"--version", "rollback"}).exit_code, 1);

    CommandResult allowed = f.publish(1, {"--allow-downgrade"});
    EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
    EXPECT_NE(manifest_body(f.expect()).find("Current: test-20260101"), std::string::npos);
    EXPECT_EQ(check_mirror(f.expect()), "");
    EXPECT_EQ(f.publish(3).exit_code, 0); // newer again: no flag needed
}

TEST(Publish, IdenticalRerunChangesNothing) {
    PublisherFixture f(2);
    ASSERT_EQ(f.publish(1).exit_code, 0);
    ASSERT_EQ(f.publish(2).exit_code, 0);
    const std::string before = f.mirror_fingerprint();
    CommandResult again = f.run({"publish", "--rev", "d2"});
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("nothing"), std::string::npos) << again.output;
    EXPECT_EQ(f.mirror_fingerprint(), before);
}

TEST(Publish, SameVersionWithOtherContentNeedsForce) {
    PublisherFixture f(3);
    ASSERT_EQ(f.publish(1).exit_code, 0);
    ASSERT_EQ(f.publish(2, {"--version", "fixed"}).exit_code, 0);
    const std::string before = f.mirror_fingerprint();
    CommandResult clash = f.publish(3, {"--version", "fixed"});
    EXPECT_EQ(clash.exit_code, 1);
    EXPECT_NE(clash.output.find("already published with different content"), std::string::npos)
        << clash.output;
    EXPECT_EQ(f.mirror_fingerprint(), before);
    ASSERT_EQ(f.publish(3, {"--version", "fixed", "--force"}).exit_code, 0);
    EXPECT_EQ(check_mirror(f.expect()), "");
    EXPECT_EQ(f.publish(3, {"--version", "bad-name"}).exit_code, 2);
}

TEST(Publish, ReverseDeltaArchive) {
    PublisherFixture f(4);
    f.config({{"archive", "reverse-deltas"}});
    for (int day = 1; day <= 4; ++day)
        ASSERT_EQ(f.publish(day).exit_code, 0);
    // Only the newest image is kept whole; older ones as reverse deltas.
    EXPECT_EQ(list_dir(f.path("archive")),
              (std::vector<std::string>{".squashpub-archive", "index.json",
                                        "test-20260102-20260101.sqdelta",
                                        "test-20260103-20260102.sqdelta",
                                        "test-20260104-20260103.sqdelta", "test-20260104.sqfs"}));
    // The published deltas rebuild day 4 from each day's image, which
    // `squashpub image` reproduces byte for byte when given the same chain
    // of --layout-from images the publisher used.
    fs::create_directories(f.path("reference"));
    auto reference = [&](int day) {
        return f.path("reference/test-" + PublisherFixture::version(day) + ".sqfs");
    };
    for (int day = 1; day <= 3; ++day) {
        std::string rev = "d"; // appended: GCC 12 -O3 warns falsely on "d" + temporary
        rev += std::to_string(day);
        std::vector<std::string> args = {"image", "--quiet", "--rev", rev};
        if (day > 1)
            args.insert(args.end(), {"--layout-from", reference(day - 1)});
        args.insert(args.end(), {f.path("repo"), reference(day)});
        ASSERT_EQ(squashpub(args).exit_code, 0);
    }
    MirrorExpectations expect = f.expect();
    expect.archive_dir = f.path("reference");
    EXPECT_EQ(check_mirror(expect), "");
    // Repair rebuilds a lost delta from the chain.
    fs::remove(f.path("mirror/test-20260101-20260104.sqdelta"));
    CommandResult repaired = f.run({"repair"});
    EXPECT_EQ(repaired.exit_code, 0) << repaired.output;
    EXPECT_EQ(check_mirror(expect), "");
}

// A forced republish of the newest version in a reverse-delta archive: the
// previous version was stored as a delta from the old image, so it is
// restored first and re-chained from the new one (every later use of the
// chain checks each image against its recorded SHA-512).
TEST(Publish, ForcedRepublishKeepsTheReverseDeltaChain) {
    PublisherFixture f(4);
    f.config({{"archive", "reverse-deltas"}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    ASSERT_EQ(f.publish(2).exit_code, 0);
    CommandResult forced = f.publish(3, {"--version", "20260102", "--force"});
    ASSERT_EQ(forced.exit_code, 0) << forced.output;
    EXPECT_EQ(list_dir(f.path("archive")),
              (std::vector<std::string>{".squashpub-archive", "index.json",
                                        "test-20260102-20260101.sqdelta", "test-20260102.sqfs"}));
    CommandResult next = f.publish(4);
    ASSERT_EQ(next.exit_code, 0) << next.output;
    EXPECT_TRUE(exists(f.path("mirror/test-20260101-20260104.sqdelta")));
    EXPECT_TRUE(exists(f.path("mirror/test-20260102-20260104.sqdelta")));
}

TEST(Publish, KeepSnapshotsAndGraceGenerations) {
    PublisherFixture f(4);
    f.config({{"keep_snapshots", 1}, {"grace_generations", 1}});
    for (int day = 1; day <= 3; ++day)
        ASSERT_EQ(f.publish(day).exit_code, 0);
    // Day 2's snapshot is kept and listed; day 1's is unlisted but still
    // there for one generation (mirrors with the previous manifest).
    MirrorExpectations expect = f.expect();
    expect.allowed_unlisted = {"test-20260101.sqfs", "test-20260101-20260102.sqdelta"};
    EXPECT_EQ(check_mirror(expect), "");
    EXPECT_NE(manifest_body(expect).find("  test-20260102.sqfs"), std::string::npos);
    ASSERT_EQ(f.publish(4).exit_code, 0);
    EXPECT_FALSE(exists(f.path("mirror/test-20260101.sqfs")));
    EXPECT_TRUE(exists(f.path("mirror/test-20260102.sqfs"))); // listed last generation
}

TEST(Publish, ConcurrentRunIsRefused) {
    PublisherFixture f(1);
    f.config();
    fs::create_directories(f.path("state"));
    const int fd = ::open(f.path("state/lock").c_str(), O_RDWR | O_CREAT, 0644);
    ASSERT_EQ(::flock(fd, LOCK_EX), 0);
    CommandResult result = f.publish(1);
    ::close(fd);
    EXPECT_EQ(result.exit_code, 4);
    EXPECT_NE(result.output.find("another squashpub run holds the lock"), std::string::npos);
    EXPECT_FALSE(exists(f.path("mirror/sha512sum.txt")));
    EXPECT_EQ(f.publish(1).exit_code, 0);
}

TEST(Publish, MissingSigningKeyLeavesTheMirrorUntouched) {
    PublisherFixture f(2);
    ASSERT_EQ(f.publish(1).exit_code, 0);
    const std::string before = f.mirror_fingerprint();
    f.config({{"signing",
               {{"key", "0123456789ABCDEF0123456789ABCDEF01234567"},
                {"gnupg_home", f.keyring().home()}}}});
    CommandResult result = f.publish(2);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("signing key 0123456789ABCDEF0123456789ABCDEF01234567"),
              std::string::npos)
        << result.output;
    EXPECT_EQ(f.mirror_fingerprint(), before);
}

TEST(Publish, ExpiredSigningKeyLeavesTheMirrorUntouched) {
    PublisherFixture f(1, GpgKeyring::KeyState::expired);
    CommandResult result = f.publish(1);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("expired"), std::string::npos) << result.output;
    EXPECT_EQ(f.mirror_fingerprint(), "");
}

// Every signing problem stops the run before the image is built (a test
// signature comes first), with a hint, and leaves no trace: no archive
// entry, no staging, no mirror.
void expect_signing_failure_before_any_work(PublisherFixture& f, const std::string& hint) {
    CommandResult result = f.publish(1);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("signing key"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find(hint), std::string::npos) << result.output;
    EXPECT_FALSE(exists(f.path("archive/index.json")));
    EXPECT_FALSE(exists(f.path("mirror/sha512sum.txt")));
    EXPECT_TRUE(!exists(f.path("state/staging")) || list_dir(f.path("state/staging")).empty());
}

TEST(Publish, WrongPassphraseIsAClearError) {
    PublisherFixture f(1);
    write_file(f.path("wrong"), "not it\n");
    f.config({{"signing",
               {{"key", f.keyring().fingerprint()},
                {"gnupg_home", f.keyring().home()},
                {"passphrase_file", f.path("wrong")}}}});
    expect_signing_failure_before_any_work(f, "signing.passphrase_file " + f.path("wrong") +
                                                  " does not hold the key's passphrase");
}

TEST(Publish, ProtectedKeyWithoutPassphraseFileIsAClearError) {
    PublisherFixture f(1);
    f.config(
        {{"signing", {{"key", f.keyring().fingerprint()}, {"gnupg_home", f.keyring().home()}}}});
    expect_signing_failure_before_any_work(f, "set signing.passphrase_file");
}

TEST(Publish, ClockBeforeTheKeysCreationIsAClearError) {
    PublisherFixture f(1);
    // A second key, made "in 2036": to this machine's clock it does not exist yet.
    ASSERT_EQ(f.keyring().gpg("--faked-system-time 20360101T000000 --batch --pinentry-mode "
                              "loopback --passphrase-file '" +
                              f.keyring().passphrase_file() +
                              "' --quick-gen-key 'future <future@example.org>' ed25519 sign "
                              "never 2>/dev/null"),
              0);
    std::string listing;
    f.keyring().gpg("--list-secret-keys --with-colons 'future@example.org' 2>/dev/null", &listing);
    const size_t fpr = listing.find("\nfpr:");
    ASSERT_NE(fpr, std::string::npos) << listing;
    const std::string future = listing.substr(listing.find_first_not_of(':', fpr + 5), 40);
    f.config({{"signing",
               {{"key", future},
                {"gnupg_home", f.keyring().home()},
                {"passphrase_file", f.keyring().passphrase_file()}}}});
    expect_signing_failure_before_any_work(f, "check the system clock");
}

TEST(Publish, UnsignedOnPurposeAndCurrentInComment) {
    PublisherFixture f(2);
    f.config({{"signing", nullptr}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    MirrorExpectations plain = f.expect();
    plain.keyring = nullptr;
    EXPECT_EQ(check_mirror(plain), "");
    const std::string unsigned_text = read_file(f.path("mirror/sha512sum.txt"));
    EXPECT_EQ(unsigned_text.rfind("Date: ", 0), 0u) << unsigned_text; // issue #12
    EXPECT_EQ(unsigned_text.find("\nCurrent: test-20260101\n"), 26u) << unsigned_text;

    f.config({{"signing",
               {{"key", f.keyring().fingerprint()},
                {"gnupg_home", f.keyring().home()},
                {"passphrase_file", f.keyring().passphrase_file()},
                {"current_in_comment", true}}}});
    ASSERT_EQ(f.publish(2).exit_code, 0);
    EXPECT_EQ(check_mirror(f.expect()), "");
    const std::string text = read_file(f.path("mirror/sha512sum.txt"));
    EXPECT_NE(text.find("-----BEGIN PGP SIGNATURE-----\nComment: Current: test-20260102\n"),
              std::string::npos)
        << text;
    EXPECT_NE(manifest_body(f.expect()).find("Current: test-20260102"), std::string::npos);
}

TEST(Publish, OversizeDeltasAreNotPublished) {
    PublisherFixture f(2);
    f.config({{"max_delta_ratio", 0.0001}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    ASSERT_EQ(f.publish(2).exit_code, 0);
    EXPECT_EQ(check_mirror(f.expect()), "");
    EXPECT_FALSE(exists(f.path("mirror/test-20260101-20260102.sqdelta")));
    EXPECT_NE(read_file(f.path("state/last-run.json")).find("test-20260101-20260102.sqdelta"),
              std::string::npos);
}

TEST(Repair, DryRunThenRepairRestoresDeltasAndSnapshots) {
    PublisherFixture f(3);
    for (int day = 1; day <= 3; ++day)
        ASSERT_EQ(f.publish(day).exit_code, 0);
    fs::remove(f.path("mirror/test-20260101-20260103.sqdelta"));
    write_file(f.path("mirror/test-20260103.sqfs"), "corrupted");
    const std::string broken = f.mirror_fingerprint();

    CommandResult dry = f.run({"repair", "--dry-run"});
    EXPECT_EQ(dry.exit_code, 0);
    EXPECT_NE(dry.output.find("would: regenerate test-20260101-20260103.sqdelta (missing)"),
              std::string::npos)
        << dry.output;
    EXPECT_NE(dry.output.find("would: restore test-20260103.sqfs from the archive"),
              std::string::npos);
    EXPECT_EQ(f.mirror_fingerprint(), broken);

    CommandResult status = f.run({"status"});
    EXPECT_EQ(status.exit_code, 0);
    EXPECT_NE(status.output.find("current: test-20260103"), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("repair would regenerate"), std::string::npos);

    CommandResult fixed = f.run({"repair"});
    EXPECT_EQ(fixed.exit_code, 0) << fixed.output;
    EXPECT_EQ(check_mirror(f.expect()), "");
    EXPECT_NE(f.run({"repair", "--dry-run"}).output.find("nothing to repair"), std::string::npos);
}

TEST(Repair, GeneratesDeltasAnEarlierRunLeftOut) {
    PublisherFixture f(3);
    f.config({{"delta_window", 1}});
    for (int day = 1; day <= 3; ++day)
        ASSERT_EQ(f.publish(day).exit_code, 0);
    EXPECT_FALSE(exists(f.path("mirror/test-20260101-20260103.sqdelta")));
    f.config({{"delta_window", 5}});
    ASSERT_EQ(f.run({"repair"}).exit_code, 0);
    EXPECT_TRUE(exists(f.path("mirror/test-20260101-20260103.sqdelta")));
    EXPECT_EQ(check_mirror(f.expect()), "");
}

// Issue #11: odd versions were published (or died with a raw JSON
// exception after archiving); now refused before any work.
TEST(Publish, BadVersionFlagsAreRefusedBeforeAnyWork) {
    PublisherFixture f(1);
    for (const char* bad : {"a b", "a\vb", "a\fb", ".", "..", "x.sqfs", "bad\xff", "a-b"}) {
        CommandResult result = f.publish(1, {"--version", bad});
        EXPECT_EQ(result.exit_code, 2) << bad << ": " << result.output;
        EXPECT_NE(result.output.find("--version: version '"), std::string::npos) << result.output;
        EXPECT_EQ(result.output.find("json.exception"), std::string::npos) << result.output;
    }
    EXPECT_FALSE(exists(f.path("archive")));
    EXPECT_FALSE(exists(f.path("mirror")));
}

TEST(Publish, OverlappingDirectoriesAreRefused) {
    PublisherFixture f(1);
    f.config({{"archive_dir", f.path("mirror")}});
    CommandResult same = f.publish(1);
    EXPECT_EQ(same.exit_code, 2);
    EXPECT_NE(same.output.find("mirror_dir: and archive_dir are the same directory"),
              std::string::npos)
        << same.output;
    f.config({{"state_dir", f.path("mirror/state")}});
    CommandResult nested = f.publish(1);
    EXPECT_EQ(nested.exit_code, 2);
    EXPECT_NE(nested.output.find("mirror_dir: and state_dir are nested"), std::string::npos)
        << nested.output;
    EXPECT_FALSE(exists(f.path("mirror")));
}

std::string lowercase(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

TEST(Publish, FullDiskIsNamedAndLeavesNothingHalfWritten) {
    PublisherFixture f(2);
    SmallDisk disk(f.path("disk"), "6m");
    if (!disk.mounted())
        GTEST_SKIP() << "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): "
                     << disk.error();
    f.config({{"mirror_dir", f.path("disk/mirror")},
              {"archive_dir", f.path("disk/archive")},
              {"state_dir", f.path("disk/state")}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    auto fingerprint = [&] {
        std::string text;
        for (const std::string& name : list_dir(f.path("disk/mirror")))
            text += name + " " + sha512(f.path("disk/mirror/" + name)) + "\n";
        return text;
    };
    const std::string before = fingerprint();
    const std::string index = read_file(f.path("disk/archive/index.json"));
    disk.fill("filler", 24 * 1024);

    CommandResult full = f.publish(2);
    EXPECT_EQ(full.exit_code, 1);
    EXPECT_NE(lowercase(full.output).find("no space left on device"), std::string::npos)
        << full.output;
    EXPECT_NE(full.output.find(f.path("disk/state") + ": no space left on device ("),
              std::string::npos)
        << full.output;
    EXPECT_EQ(fingerprint(), before);
    MirrorExpectations expect = f.expect();
    expect.mirror_dir = f.path("disk/mirror");
    expect.archive_dir = f.path("disk/archive");
    EXPECT_EQ(check_mirror(expect), "");
    EXPECT_EQ(read_file(f.path("disk/archive/index.json")), index);
    for (const char* dir : {"disk/mirror", "disk/archive", "disk/state", "disk/state/staging"})
        for (const std::string& name : list_dir(f.path(dir)))
            EXPECT_EQ(name.find(".tmp."), std::string::npos) << dir << "/" << name;
    EXPECT_TRUE(list_dir(f.path("disk/state/staging")).empty());

    fs::remove(f.path("disk/filler"));
    CommandResult room = f.publish(2);
    EXPECT_EQ(room.exit_code, 0) << room.output;
    EXPECT_EQ(check_mirror(expect), "");
}

TEST(Publish, BadConfigIsAUsageError) {
    PublisherFixture f(1);
    write_file(f.path("bad.json"), R"({"repo": "x"})");
    CommandResult result = squashpub({"publish", "--config", f.path("bad.json")});
    EXPECT_EQ(result.exit_code, 2);
    EXPECT_NE(result.output.find(f.path("bad.json") + ": source: required"), std::string::npos)
        << result.output;
    EXPECT_EQ(squashpub({"publish"}).exit_code, 2);
}

} // namespace
} // namespace squashpub::test
