// The freshness rules on their own: Date:/Valid-Until: parsing from a
// signed body, the checks against a clock, the rollback rules of
// `verify --state` and its state file (load, save, corrupt files).

#include "core/error.hpp"
#include "core/files.hpp"
#include "support/test_support.hpp"
#include "verifier/accepted_state.hpp"
#include "verifier/freshness.hpp"
#include "verifier/freshness_check.hpp"

#include <gtest/gtest.h>

namespace squashpub::verifier {
namespace {

using namespace std::chrono_literals;

UtcTime at(const std::string& text) {
    return parse_utc(text).value();
}

const std::string kBody =
    "Current: test-20260103\n" + std::string(128, 'a') + "  test-20260103.sqfs\n";

TEST(FreshnessLines, ReadsDateAndValidUntil) {
    const FreshnessLines lines =
        parse_freshness("Date: 2026-11-30T03:00:00Z\nValid-Until: 2026-12-07T03:00:00Z\n" + kBody);
    EXPECT_TRUE(lines.problems.empty());
    EXPECT_EQ(lines.date, at("2026-11-30T03:00:00Z"));
    EXPECT_EQ(lines.valid_until, at("2026-12-07T03:00:00Z"));
    const FreshnessLines old = parse_freshness(kBody);
    EXPECT_FALSE(old.date);
    EXPECT_FALSE(old.valid_until);
    EXPECT_TRUE(old.problems.empty());
}

TEST(FreshnessLines, MalformedAndRepeatedLinesAreProblemsNamingTheLine) {
    for (const char* bad :
         {"Date: yesterday", "Date: 2026-11-30 03:00:00", "date: 2026-11-30T03:00:00Z",
          "Date:2026-11-30T03:00:00Z", "Date: 2026-11-30T03:00:00Z ",
          "Date: 2026-11-30T03:00:00+01:00", "VALID-UNTIL: 2026-12-07T03:00:00Z",
          "Valid-Until: 2026-02-30T03:00:00Z"}) {
        const FreshnessLines lines = parse_freshness(kBody + bad + "\n");
        ASSERT_EQ(lines.problems.size(), 1u) << bad;
        EXPECT_NE(lines.problems[0].find("line 3 of the signed body"), std::string::npos)
            << lines.problems[0];
        EXPECT_FALSE(lines.date) << bad;
        EXPECT_FALSE(lines.valid_until) << bad;
    }
    const FreshnessLines twice =
        parse_freshness("Date: 2026-11-30T03:00:00Z\n" + kBody + "Date: 2027-11-30T03:00:00Z\n");
    ASSERT_EQ(twice.problems.size(), 1u);
    EXPECT_NE(twice.problems[0].find("a second Date: line (line 1 has one)"), std::string::npos)
        << twice.problems[0];
}

TEST(FreshnessProblems, ExpiryFutureDatesAndMaxAge) {
    const UtcTime now = at("2026-11-30T12:00:00Z");
    FreshnessLines lines;
    lines.date = now - 2h;
    lines.valid_until = now + 1h;
    EXPECT_TRUE(freshness_problems(lines, {}, now).empty());
    EXPECT_TRUE(freshness_problems(lines, {3h}, now).empty());

    const auto old = freshness_problems(lines, {1h}, now);
    ASSERT_EQ(old.size(), 1u);
    EXPECT_NE(old[0].find("older than --max-age 1h"), std::string::npos) << old[0];

    lines.valid_until = now - 1s;
    const auto expired = freshness_problems(lines, {}, now);
    ASSERT_EQ(expired.size(), 1u);
    EXPECT_NE(expired[0].find("expired: Valid-Until 2026-11-30T11:59:59Z (1s ago)"),
              std::string::npos)
        << expired[0];
    lines.valid_until = now; // the instant it names is already too late
    EXPECT_EQ(freshness_problems(lines, {}, now).size(), 1u);

    FreshnessLines ahead;
    ahead.date = now + kClockSkew; // within the skew
    EXPECT_TRUE(freshness_problems(ahead, {}, now).empty());
    ahead.date = now + kClockSkew + 1s;
    const auto future = freshness_problems(ahead, {}, now);
    ASSERT_EQ(future.size(), 1u);
    EXPECT_NE(future[0].find("in the future"), std::string::npos) << future[0];

    FreshnessLines backwards;
    backwards.date = now - 1h;
    backwards.valid_until = now - 2h + 24h;
    EXPECT_TRUE(freshness_problems(backwards, {}, now).empty());
    backwards.valid_until = now - 1h;
    EXPECT_EQ(freshness_problems(backwards, {}, now).size(), 2u); // expired, not after Date

    const auto undated = freshness_problems(FreshnessLines{}, {7 * 24h}, now);
    ASSERT_EQ(undated.size(), 1u);
    EXPECT_NE(undated[0].find("no Date: line"), std::string::npos) << undated[0];
    EXPECT_TRUE(freshness_problems(FreshnessLines{}, {}, now).empty());
}

TEST(RollbackRules, DatesAndVersions) {
    AcceptedRepo last;
    last.date = at("2026-11-30T03:00:00Z");
    last.current = "20260103";
    last.replaced = {"20260101", "20260102"};
    EXPECT_EQ(date_rollback(last, at("2026-11-30T03:00:00Z")), ""); // unchanged mirror
    EXPECT_EQ(date_rollback(last, at("2026-11-30T04:00:00Z")), "");
    EXPECT_NE(date_rollback(last, at("2026-11-30T02:59:59Z")).find("older than the Date"),
              std::string::npos);
    EXPECT_NE(date_rollback(last, std::nullopt).find("no Date:"), std::string::npos);
    EXPECT_EQ(date_rollback(AcceptedRepo{}, std::nullopt), "");

    EXPECT_EQ(current_rollback(last, "20260103"), "");
    EXPECT_EQ(current_rollback(last, "20260104"), "");
    EXPECT_NE(
        current_rollback(last, "20260102").find("accepted before and has since been replaced"),
        std::string::npos);
    EXPECT_NE(current_rollback(last, "20251231").find("older than 20260103"), std::string::npos);
    // Not date-like, or of another length: only the replaced list counts.
    EXPECT_EQ(current_rollback(last, "2026010"), "");
    last.current = "v2";
    EXPECT_EQ(current_rollback(last, "v1"), "");
}

TEST(AcceptedState, RoundTripsAndRemembersReplacedVersions) {
    TempDir dir;
    const std::string path = dir.file("state.json");
    AcceptedState state = AcceptedState::load(path); // missing: empty
    EXPECT_EQ(state.find("/m", "test"), nullptr);
    const UtcTime now = at("2026-11-30T12:00:00Z");
    state.accept("/m", "test", at("2026-11-30T01:00:00Z"), "20260101", now);
    state.accept("/m", "test", at("2026-11-30T02:00:00Z"), "20260102", now);
    state.accept("/m", "test", at("2026-11-30T03:00:00Z"), "20260102", now); // re-signed
    state.accept("/m", "other", std::nullopt, "1", now);
    state.save(path);

    const AcceptedState again = AcceptedState::load(path);
    const AcceptedRepo* test = again.find("/m", "test");
    ASSERT_NE(test, nullptr);
    EXPECT_EQ(test->current, "20260102");
    EXPECT_EQ(test->date, at("2026-11-30T03:00:00Z"));
    EXPECT_EQ(test->replaced, std::vector<std::string>{"20260101"});
    EXPECT_EQ(test->accepted_at, now);
    ASSERT_NE(again.find("/m", "other"), nullptr);
    EXPECT_FALSE(again.find("/m", "other")->date);
    EXPECT_EQ(again.find("/n", "test"), nullptr);
    // No temporary file stays beside it.
    EXPECT_EQ(test::list_dir(dir.path()), std::vector<std::string>{"state.json"});
}

TEST(AcceptedState, CorruptFilesAreRefusedNamingTheFile) {
    TempDir dir;
    const std::string path = dir.file("state.json");
    for (
        const char* bad :
        {"", "{", "[]", R"({"format":"other","version":1,"mirrors":{}})",
         R"({"format":"squashpub-verify-state","version":2,"mirrors":{}})",
         R"({"format":"squashpub-verify-state","version":1,"mirrors":{"/m":{"test":{"date":"yesterday","current":"1","replaced":[],"accepted_at":"2026-11-30T03:00:00Z"}}}})",
         R"({"format":"squashpub-verify-state","version":1,"mirrors":{"/m":{"test":{"current":1}}}})"}) {
        test::write_file(path, bad);
        try {
            AcceptedState::load(path);
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const Error& e) {
            EXPECT_EQ(e.subject(), path);
            EXPECT_NE(e.problem().find("not a valid squashpub verify state"), std::string::npos)
                << e.what();
        }
    }
    EXPECT_THROW(AcceptedState::load(dir.file("no/such/dir/state.json")), Error);
}

TEST(MirrorKey, NormalisesUrlsAndDirectories) {
    EXPECT_EQ(mirror_key("HTTPS://Mirror.Example.ORG:443/gentoo/"),
              "https://mirror.example.org/gentoo");
    EXPECT_EQ(mirror_key("http://user:secret@mirror.example.org:8080/a//"),
              "http://mirror.example.org:8080/a");
    EXPECT_EQ(mirror_key("http://127.0.0.1:80"), "http://127.0.0.1");
    // Other spellings of one mirror: each used to start an empty baseline.
    for (const char* spelling :
         {"https://mirror.example.org//gentoo", "https://mirror.example.org/./gentoo/",
          "https://mirror.example.org/x/../gentoo", "https://mirror.example.org/gentoo#top",
          "https://mirror.example.org/gentoo//", "https://mirror.example.org./gentoo",
          "https://u:p@ss@mirror.example.org/gentoo"})
        EXPECT_EQ(mirror_key(spelling), "https://mirror.example.org/gentoo") << spelling;
    EXPECT_EQ(mirror_key("https://mirror.example.org/"), "https://mirror.example.org");
    EXPECT_EQ(mirror_key("http://mirror.example.org.:8080/a"), "http://mirror.example.org:8080/a");
    EXPECT_EQ(mirror_key("http://[::1]:8080/a"), "http://[::1]:8080/a");
    TempDir dir;
    EXPECT_EQ(mirror_key(dir.file("m") + "/"), dir.path() + "/m");
    EXPECT_EQ(mirror_key(dir.file("x/../m")), dir.path() + "/m");
    EXPECT_EQ(mirror_key(dir.file("m") + "/./"), mirror_key(dir.file("m")));
}

// The run-level part: what is recorded, and when not. The manifests here are
// texts standing for verified bodies (the signature is mirror_verifier's).
class FreshnessRun : public ::testing::Test {
  protected:
    std::string state() const { return dir_.file("state.json"); }
    std::string body(std::chrono::seconds age, int day) const {
        return "Date: " + format_utc(utc_now() - age) + "\nCurrent: test-2026010" +
               std::to_string(day) + "\n";
    }
    // One run: the manifest, one repository, then the record.
    Report run(const std::string& text, int day, bool other_failure = false) {
        Report report;
        FreshnessCheck check("/srv/mirror", {std::nullopt, state()});
        check.check_manifest(&text, report);
        check.check_repo("test", "2026010" + std::to_string(day), report);
        if (other_failure)
            report.add({"file.hash", "test", Status::fail, "test-20260103.sqfs", "tampered"});
        check.record(report);
        return report;
    }
    static std::string status(const Report& report, const std::string& id) {
        for (const CheckResult& result : report.results())
            if (result.id == id)
                return std::string(status_name(result.status)) + ": " + result.message;
        return "(no such check)";
    }
    TempDir dir_;
};

TEST_F(FreshnessRun, RecordsOnlyAFullyPassingRun) {
    EXPECT_EQ(status(run(body(2h, 2), 2), "state.update").rfind("pass", 0), 0u);
    const std::string recorded = test::read_file(state());
    // Another check failed: nothing recorded, though the state checks pass.
    const Report failed = run(body(1h, 3), 3, true);
    EXPECT_EQ(status(failed, "state.current").rfind("pass", 0), 0u);
    EXPECT_EQ(status(failed, "state.update").rfind("skip", 0), 0u);
    EXPECT_EQ(test::read_file(state()), recorded);
    EXPECT_EQ(status(run(body(1h, 3), 3), "state.update").rfind("pass", 0), 0u);
    EXPECT_EQ(AcceptedState::load(state()).find("/srv/mirror", "test")->current, "20260103");
}

TEST_F(FreshnessRun, ARunNeverMovesBackWhatAnotherRecordedMeanwhile) {
    run(body(3h, 2), 2);
    Report report;
    FreshnessCheck slow("/srv/mirror", {std::nullopt, state()});
    const std::string text = body(2h, 2);
    slow.check_manifest(&text, report);
    slow.check_repo("test", "20260102", report);
    // Meanwhile another run accepts day 3.
    EXPECT_EQ(status(run(body(1h, 3), 3), "state.update").rfind("pass", 0), 0u);
    slow.record(report);
    EXPECT_EQ(status(report, "state.update").rfind("warn: another run recorded a newer", 0), 0u)
        << status(report, "state.update");
    EXPECT_EQ(AcceptedState::load(state()).find("/srv/mirror", "test")->current, "20260103");
}

TEST_F(FreshnessRun, NoVerifiedTextFailsWhenFreshnessIsAsked) {
    Report report;
    FreshnessCheck check("/srv/mirror", {std::chrono::hours(24), std::nullopt});
    check.check_manifest(nullptr, report);
    EXPECT_EQ(status(report, "manifest.fresh").rfind("fail: no verified signature", 0), 0u);
    Report plain;
    FreshnessCheck(".", {}).check_manifest(nullptr, plain);
    EXPECT_EQ(status(plain, "manifest.fresh").rfind("skip", 0), 0u);
}

} // namespace
} // namespace squashpub::verifier
