// Signed freshness, re-signing, several signing keys and key expiry
// (issue #12, publisher side), with real keys in a temporary GNUPGHOME.

#include "core/utc_time.hpp"
#include "support/publisher_fixture.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;

namespace squashpub::test {
namespace {

constexpr long kDay = 86400;

long now_epoch() {
    return utc_now().time_since_epoch().count();
}

std::string epoch_env(long epoch) {
    return "SOURCE_DATE_EPOCH=" + std::to_string(epoch);
}

std::string utc(long epoch) {
    return format_utc(UtcTime(std::chrono::seconds(epoch)));
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// The body's lines other than Date and Valid-Until.
std::string without_freshness(const std::string& body) {
    std::string text;
    for (const std::string& line : lines_of(body))
        if (line.rfind("Date: ", 0) != 0 && line.rfind("Valid-Until: ", 0) != 0)
            text += line + "\n";
    return text;
}

// Name and hash of every mirror file except the manifest.
std::string files_fingerprint(const PublisherFixture& f) {
    std::string text;
    for (const std::string& name : list_dir(f.path("mirror")))
        if (name != "sha512sum.txt")
            text += name + " " + sha512(f.path("mirror/" + name)) + "\n";
    return text;
}

nlohmann::json last_report(const PublisherFixture& f) {
    return nlohmann::json::parse(read_file(f.path("state/last-run.json")));
}

// GOODSIG status lines of gpg --verify: one per good signature, by key.
int good_signatures(const GpgKeyring& keyring, const std::string& path) {
    std::string status;
    keyring.gpg("--batch --status-fd 1 --verify '" + path + "' 2>/dev/null", &status);
    int count = 0;
    for (size_t at = status.find("[GNUPG:] GOODSIG "); at != std::string::npos;
         at = status.find("[GNUPG:] GOODSIG ", at + 1))
        ++count;
    return count;
}

nlohmann::json signing_with(const GpgKeyring& keyring, const std::vector<std::string>& keys) {
    return {{"keys", keys},
            {"gnupg_home", keyring.home()},
            {"passphrase_file", keyring.passphrase_file()}};
}

CommandResult verify_with(const PublisherFixture& f, const std::string& keyring_file) {
    return squashpub({"verify", "--quiet", f.path("mirror"), "--repo", "test", "--archive",
                      f.path("archive"), "--keyring", keyring_file});
}

TEST(Freshness, DateAndValidUntilAreInTheSignedBodyOnly) {
    PublisherFixture f(1);
    f.config({{"valid_for", "7d"}});
    const long epoch = now_epoch() - 3600;
    CommandResult published = f.publish(1, {}, {epoch_env(epoch)});
    ASSERT_EQ(published.exit_code, 0) << published.output;

    const std::string body = manifest_body(f.expect());
    EXPECT_EQ(body.rfind("Date: " + utc(epoch) + "\nValid-Until: " + utc(epoch + 7 * kDay) +
                             "\nCurrent: test-20260101\n",
                         0),
              0u)
        << body;
    EXPECT_EQ(check_mirror(f.expect()), "");
    // Nothing of them in the unsigned armor, nothing a client could take
    // for Current: or a checksum line.
    const std::string text = read_file(f.path("mirror/sha512sum.txt"));
    const std::string armor = text.substr(text.find("-----BEGIN PGP SIGNATURE-----"));
    EXPECT_EQ(armor.find("Date"), std::string::npos) << armor;
    EXPECT_EQ(armor.find("Valid-Until"), std::string::npos) << armor;
    for (const std::string& line : lines_of(body))
        if (line.rfind("Date: ", 0) == 0 || line.rfind("Valid-Until: ", 0) == 0) {
            std::string lower = line;
            std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
            EXPECT_EQ(lower.find("current:"), std::string::npos) << line;
            EXPECT_LT(line.find_first_not_of("0123456789abcdefABCDEF"), 128u) << line;
        }
}

// valid_for shorter than the time between runs: every client saw an expired
// manifest before this run. The run re-signs and says so, so that the
// operator lengthens valid_for instead of clients turning the check off.
TEST(Freshness, APublishFindingTheLiveManifestExpiredWarns) {
    PublisherFixture f(1);
    f.config({{"valid_for", "1d"}, {"image", {{"mtime", 1767225600}}}});
    ASSERT_EQ(f.publish(1, {}, {epoch_env(now_epoch() - 2 * kDay)}).exit_code, 0);
    CommandResult late = f.publish(1, {"--verbose"});
    ASSERT_EQ(late.exit_code, 0) << late.output;
    EXPECT_NE(late.output.find("had expired"), std::string::npos) << late.output;
    EXPECT_NE(late.output.find("valid_for (1d)"), std::string::npos) << late.output;
    CommandResult fresh = f.publish(1, {"--verbose"});
    ASSERT_EQ(fresh.exit_code, 0) << fresh.output;
    EXPECT_EQ(fresh.output.find("had expired"), std::string::npos) << fresh.output;
}

TEST(Freshness, WithoutValidForOnlyDate) {
    PublisherFixture f(1);
    f.config();
    ASSERT_EQ(f.publish(1, {}, {epoch_env(1767225600)}).exit_code, 0);
    EXPECT_EQ(manifest_body(f.expect()).rfind("Date: 2026-01-01T00:00:00Z\nCurrent: test-", 0), 0u)
        << manifest_body(f.expect());
}

// The same input, config and SOURCE_DATE_EPOCH give a byte-identical
// unsigned manifest (reproducible builds).
TEST(Freshness, SourceDateEpochMakesTheUnsignedManifestReproducible) {
    PublisherFixture f(1);
    const std::string env = epoch_env(1767225600);
    f.config({{"signing", nullptr}, {"valid_for", "36h"}});
    ASSERT_EQ(f.publish(1, {}, {env}).exit_code, 0);
    const std::string first = read_file(f.path("mirror/sha512sum.txt"));
    f.config({{"signing", nullptr},
              {"valid_for", "36h"},
              {"mirror_dir", f.path("mirror2")},
              {"archive_dir", f.path("archive2")},
              {"state_dir", f.path("state2")}});
    ASSERT_EQ(f.publish(1, {}, {env}).exit_code, 0);
    EXPECT_EQ(read_file(f.path("mirror2/sha512sum.txt")), first);
    EXPECT_EQ(first.rfind("Date: 2026-01-01T00:00:00Z\nValid-Until: 2026-01-02T12:00:00Z\n", 0), 0u)
        << first;

    CommandResult bad = f.publish(1, {}, {"SOURCE_DATE_EPOCH=yesterday"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.output.find("SOURCE_DATE_EPOCH: "), std::string::npos) << bad.output;
}

// A run with nothing new re-signs once the live manifest is resign_after
// old; it changes nothing else and keeps the grace generations' files.
TEST(Freshness, UnchangedPublishResignsAfterResignAfter) {
    PublisherFixture f(2);
    // SOURCE_DATE_EPOCH also sets the image time, unless the config does.
    f.config({{"valid_for", "2d"}, {"grace_generations", 1}, {"image", {{"mtime", 1767225600}}}});
    const long old = now_epoch() - 3 * kDay;
    ASSERT_EQ(f.publish(1, {}, {epoch_env(old)}).exit_code, 0);
    ASSERT_EQ(f.publish(2, {}, {epoch_env(old)}).exit_code, 0);
    const std::string files = files_fingerprint(f);
    const std::string body = manifest_body(f.expect());
    const size_t generations = list_dir(f.path("state/manifests")).size();

    const long before = now_epoch();
    CommandResult rerun = f.publish(2, {"--verbose"});
    ASSERT_EQ(rerun.exit_code, 0) << rerun.output;
    EXPECT_NE(rerun.output.find("test-20260102 already published; manifest re-signed"),
              std::string::npos)
        << rerun.output;
    const std::string resigned = manifest_body(f.expect());
    ASSERT_NE(resigned, "");
    EXPECT_NE(resigned, body);
    EXPECT_EQ(without_freshness(resigned), without_freshness(body));
    const std::string date = resigned.substr(6, 20);
    EXPECT_GE(date, utc(before)) << resigned;
    EXPECT_NE(resigned.find("\nValid-Until: "), std::string::npos);
    EXPECT_EQ(files_fingerprint(f), files);
    EXPECT_EQ(list_dir(f.path("state/manifests")).size(), generations);
    MirrorExpectations expect = f.expect();
    expect.allowed_unlisted = {"test-20260101.sqfs"}; // kept for a grace generation
    EXPECT_EQ(check_mirror(expect), "");
    EXPECT_EQ(last_report(f)["resigned"], true);
    EXPECT_FALSE(exists(f.path("state/journal.json")));

    // Fresh now: the next run leaves the manifest alone.
    const std::string text = read_file(f.path("mirror/sha512sum.txt"));
    ASSERT_EQ(f.publish(2).exit_code, 0);
    EXPECT_EQ(read_file(f.path("mirror/sha512sum.txt")), text);
    EXPECT_EQ(last_report(f)["resigned"], false);
}

TEST(Freshness, ManifestWithoutDateIsResignedWhenValidForIsSet) {
    PublisherFixture f(1);
    f.config({{"signing", nullptr}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    // A manifest of an older squashpub: no Date line.
    const std::string path = f.path("mirror/sha512sum.txt");
    const std::string dated = read_file(path);
    write_file(path, without_freshness(dated));
    ASSERT_EQ(f.publish(1).exit_code, 0);
    EXPECT_EQ(read_file(path).find("Date: "), std::string::npos) << "valid_for is not set";
    f.config({{"signing", nullptr}, {"valid_for", "7d"}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    const std::string resigned = read_file(path);
    EXPECT_EQ(resigned.rfind("Date: ", 0), 0u) << resigned;
    EXPECT_EQ(without_freshness(resigned), without_freshness(dated));
}

TEST(Freshness, ResignCommand) {
    PublisherFixture f(1);
    f.config({{"valid_for", "7d"}, {"image", {{"mtime", 1767225600}}}});
    CommandResult nothing = f.run({"resign"});
    EXPECT_EQ(nothing.exit_code, 1);
    EXPECT_NE(nothing.output.find("nothing to re-sign"), std::string::npos) << nothing.output;

    const long old = now_epoch() - kDay;
    ASSERT_EQ(f.publish(1, {}, {epoch_env(old)}).exit_code, 0);
    const std::string files = files_fingerprint(f);
    const std::string body = manifest_body(f.expect());
    CommandResult resigned = f.run({"resign"});
    ASSERT_EQ(resigned.exit_code, 0) << resigned.output;
    EXPECT_NE(resigned.output.find("re-signed the manifest of test-20260101"), std::string::npos)
        << resigned.output;
    const std::string fresh = manifest_body(f.expect());
    EXPECT_EQ(without_freshness(fresh), without_freshness(body));
    EXPECT_GT(fresh.substr(6, 20), utc(old)) << fresh;
    EXPECT_EQ(files_fingerprint(f), files);
    EXPECT_EQ(check_mirror(f.expect()), "");
    CommandResult status = f.run({"status"});
    EXPECT_NE(status.output.find("manifest Date: " + fresh.substr(6, 20) + ", Valid-Until: "),
              std::string::npos)
        << status.output;
    EXPECT_NE(status.output.find("(publish re-signs it once 3d12h old)"), std::string::npos)
        << status.output;

    // A live manifest that is not the recorded one is not re-signed.
    const std::string edited = read_file(f.path("mirror/sha512sum.txt"));
    std::string listed = edited;
    listed.replace(listed.find("Current: test-20260101"), 22, "Current: test-20251231");
    write_file(f.path("mirror/sha512sum.txt"), listed);
    CommandResult refused = f.run({"resign"});
    EXPECT_EQ(refused.exit_code, 1);
    EXPECT_NE(refused.output.find("refusing to re-sign"), std::string::npos) << refused.output;
    EXPECT_EQ(read_file(f.path("mirror/sha512sum.txt")), listed);
}

TEST(Freshness, ResignTakesTheLock) {
    PublisherFixture f(1);
    f.config();
    std::filesystem::create_directories(f.path("state"));
    // Hold the run lock as a running publish would.
    CommandResult held = run({"flock", "-n", f.path("state/lock"), SQUASHPUB_BINARY, "resign",
                              "--config", f.path("publisher.json")});
    EXPECT_EQ(held.exit_code, 4) << held.output;
}

// Re-signing killed with SIGKILL after each of its writing steps: clients
// see a valid manifest (the old one or the re-signed one), and the next
// run clears the journal and re-signs.
class ResignCrashAfter : public ::testing::TestWithParam<const char*> {};

TEST_P(ResignCrashAfter, MirrorStaysValidAndTheNextRunRecovers) {
    PublisherFixture f(1);
    f.config({{"valid_for", "2d"}, {"image", {{"mtime", 1767225600}}}});
    ASSERT_EQ(f.publish(1, {}, {epoch_env(now_epoch() - 3 * kDay)}).exit_code, 0);
    const std::string files = files_fingerprint(f);
    const std::string body = without_freshness(manifest_body(f.expect()));

    CommandResult killed = f.publish(1, {}, {std::string("SQUASHPUB_CRASH_AFTER=") + GetParam()});
    EXPECT_EQ(killed.exit_code, -1) << "expected death by SIGKILL: " << killed.output;
    EXPECT_EQ(check_mirror(f.expect()), "");
    EXPECT_EQ(without_freshness(manifest_body(f.expect())), body);

    CommandResult again = f.run({"resign"});
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_EQ(check_mirror(f.expect()), "");
    EXPECT_EQ(without_freshness(manifest_body(f.expect())), body);
    EXPECT_EQ(files_fingerprint(f), files);
    EXPECT_FALSE(exists(f.path("state/journal.json")));
    EXPECT_EQ(list_dir(f.path("state/manifests")).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(EveryStep, ResignCrashAfter,
                         ::testing::Values("resign-journal", "resign-manifest"), crash_step_name);

TEST(SigningKeys, TwoKeysMakeTwoSignatures) {
    PublisherFixture f(1);
    const std::string second = f.keyring().add_key("second");
    f.config({{"signing", signing_with(f.keyring(), {f.keyring().fingerprint(), second})}});
    CommandResult published = f.publish(1);
    ASSERT_EQ(published.exit_code, 0) << published.output;
    EXPECT_EQ(good_signatures(f.keyring(), f.path("mirror/sha512sum.txt")), 2);
    EXPECT_EQ(check_mirror(f.expect()), "");
    CommandResult status = f.run({"status"});
    EXPECT_NE(status.output.find("signing key " + f.keyring().fingerprint()), std::string::npos)
        << status.output;
    EXPECT_NE(status.output.find("signing key " + second), std::string::npos) << status.output;
}

// README: "Rotating the signing key", step by step.
TEST(SigningKeys, RotationWalkThrough) {
    PublisherFixture f(3);
    const GpgKeyring& gpg = f.keyring();
    const std::string old_key = gpg.fingerprint();
    const std::string new_key = gpg.add_key("new");
    gpg.export_key(old_key, f.path("old.asc"));
    gpg.export_key(new_key, f.path("new.asc"));

    // Before: the old key alone.
    f.config({{"signing", signing_with(gpg, {old_key})}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    EXPECT_EQ(verify_with(f, f.path("old.asc")).exit_code, 0);
    EXPECT_EQ(verify_with(f, f.path("new.asc")).exit_code, 1);

    // 1. Add the new key: every manifest is signed by both.
    f.config({{"signing", signing_with(gpg, {old_key, new_key})}});
    ASSERT_EQ(f.publish(2).exit_code, 0);
    EXPECT_EQ(good_signatures(gpg, f.path("mirror/sha512sum.txt")), 2);
    EXPECT_EQ(verify_with(f, f.path("old.asc")).exit_code, 0) << "clients not yet updated";
    // 2. Clients that already have only the new key pass too (a signature
    // by a key of their keyring is enough; the other one is reported).
    CommandResult new_only = verify_with(f, f.path("new.asc"));
    EXPECT_EQ(new_only.exit_code, 0) << new_only.output;

    // 3. Drop the old key.
    f.config({{"signing", signing_with(gpg, {new_key})}});
    ASSERT_EQ(f.publish(3).exit_code, 0);
    EXPECT_EQ(good_signatures(gpg, f.path("mirror/sha512sum.txt")), 1);
    EXPECT_EQ(verify_with(f, f.path("new.asc")).exit_code, 0);
    EXPECT_EQ(verify_with(f, f.path("old.asc")).exit_code, 1);
}

TEST(SigningKeys, KeyExpiringWithinWarnKeyExpiryIsWarnedAbout) {
    PublisherFixture f(1);
    const std::string soon = f.keyring().add_key("soon", "10d");
    f.config({{"signing", signing_with(f.keyring(), {soon})}});
    CommandResult published = f.publish(1);
    ASSERT_EQ(published.exit_code, 0) << published.output;
    EXPECT_NE(published.output.find("warning: signing key " + soon + " expires on "),
              std::string::npos)
        << published.output;
    const nlohmann::json warnings = last_report(f)["key_expiry_warnings"];
    ASSERT_EQ(warnings.size(), 1u) << warnings;
    EXPECT_NE(warnings[0].get<std::string>().find(soon), std::string::npos);

    CommandResult status = f.run({"status"});
    const std::string expiry = utc(now_epoch() + 10 * kDay).substr(0, 10);
    EXPECT_NE(status.output.find("signing key " + soon + ": expires " + expiry), std::string::npos)
        << status.output;

    // Below the threshold, and the fixture's one-year key: no warning.
    f.config({{"signing", signing_with(f.keyring(), {soon})}, {"warn_key_expiry", 5}});
    ASSERT_EQ(f.publish(1).exit_code, 0);
    EXPECT_EQ(last_report(f)["key_expiry_warnings"].size(), 0u);
    f.config();
    CommandResult quiet = f.publish(1);
    EXPECT_EQ(quiet.output.find("expires"), std::string::npos) << quiet.output;
}

// A fresh GnuPG home has no gpg.conf: GnuPG signs with SHA-256, which is
// accepted (README: signing digests).
TEST(SigningKeys, GnupgHomeWithoutGpgConfPublishes) {
    PublisherFixture f(1);
    fs::remove(f.keyring().home() + "/gpg.conf");
    f.config();
    CommandResult published = f.publish(1);
    ASSERT_EQ(published.exit_code, 0) << published.output;
    EXPECT_EQ(check_mirror(f.expect()), "");
    const std::string text = read_file(f.path("mirror/sha512sum.txt"));
    EXPECT_NE(text.find("\nHash: SHA256\n"), std::string::npos) << text.substr(0, 80);

    // A weak digest forced by gpg.conf is refused, naming the fix.
    write_file(f.keyring().home() + "/gpg.conf", "personal-digest-preferences SHA1\n");
    CommandResult weak = f.publish(1);
    EXPECT_EQ(weak.exit_code, 1);
    EXPECT_NE(weak.output.find("weak digest SHA1"), std::string::npos) << weak.output;
}

} // namespace
} // namespace squashpub::test
