#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/utc_time.hpp"

#include <gtest/gtest.h>

namespace squashpub {
namespace {

using std::chrono::seconds;

TEST(Duration, ParsesEachUnitAndCombinations) {
    EXPECT_EQ(parse_duration("90m", "k"), seconds(5400));
    EXPECT_EQ(parse_duration("36h", "k"), seconds(129600));
    EXPECT_EQ(parse_duration("7d", "k"), seconds(604800));
    EXPECT_EQ(parse_duration("2w", "k"), seconds(1209600));
    EXPECT_EQ(parse_duration("45s", "k"), seconds(45));
    EXPECT_EQ(parse_duration("1d12h", "k"), seconds(129600));
}

TEST(Duration, RefusesAmbiguousOrBrokenTextNamingTheKey) {
    for (const char* bad :
         {"", "7", "d", "7x", "-1d", "1.5d", "0d", "1d 2h", " 7d", "99999999999999999999d"}) {
        try {
            parse_duration(bad, "valid_for");
            ADD_FAILURE() << "accepted '" << bad << "'";
        } catch (const UsageError& error) {
            EXPECT_EQ(error.subject(), "valid_for") << bad;
            EXPECT_NE(error.problem().find("not a duration"), std::string::npos) << error.what();
        }
    }
}

TEST(Duration, FormatsTheShortestExactSpellingAndRoundTrips) {
    EXPECT_EQ(format_duration(seconds(129600)), "1d12h");
    EXPECT_EQ(format_duration(seconds(1209600)), "2w");
    EXPECT_EQ(format_duration(seconds(864000)), "10d");
    EXPECT_EQ(format_duration(seconds(61)), "1m1s");
    for (const char* text : {"90m", "36h", "7d", "1d12h", "3h20m5s"})
        EXPECT_EQ(parse_duration(format_duration(parse_duration(text, "k")), "k"),
                  parse_duration(text, "k"));
}

TEST(UtcTime, FormatsAndParsesRfc3339Utc) {
    const UtcTime time = std::chrono::sys_days{std::chrono::year{2026} / 11 / 30} +
                         std::chrono::hours{3} + std::chrono::minutes{46} + seconds{43};
    EXPECT_EQ(format_utc(time), "2026-11-30T03:46:43Z");
    EXPECT_EQ(parse_utc("2026-11-30T03:46:43Z"), time);
    EXPECT_EQ(parse_utc(format_utc(UtcTime{})), UtcTime{});
    const UtcTime now = utc_now();
    EXPECT_EQ(parse_utc(format_utc(now)), now);
}

TEST(UtcTime, RefusesEverythingButTheOneSpelling) {
    for (const char* bad :
         {"", "2026-11-30", "2026-11-30T03:46:43", "2026-11-30T03:46:43+00:00",
          "2026-11-30t03:46:43z", "2026-11-30T03:46:43.5Z", "2026-02-30T00:00:00Z",
          "2026-11-30T24:00:00Z", "2026-11-30T23:60:00Z", "2026-11-30T23:59:60Z",
          " 2026-11-30T03:46:43Z", "2026-13-01T00:00:00Z"})
        EXPECT_FALSE(parse_utc(bad).has_value()) << bad;
}

} // namespace
} // namespace squashpub
