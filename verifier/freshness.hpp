#pragma once
// Freshness of a manifest: the `Date:` and `Valid-Until:` lines of its
// signed body (UTC, "YYYY-MM-DDTHH:MM:SSZ"). A signature proves who wrote
// the file, these lines when: read only from the text the signature
// covers, never from armor headers or text around the signed message,
// which anyone serving the file can change.

#include "core/utc_time.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::verifier {

// A publisher's clock and ours may differ by this much: a Date further in
// the future is refused (a manifest dated ahead would otherwise stay
// "fresh" for longer, and push a --state's last Date beyond what an honest
// publisher signs next).
inline constexpr std::chrono::seconds kClockSkew{5 * 60};

struct FreshnessLines {
    std::optional<UtcTime> date;
    std::optional<UtcTime> valid_until;
    // Malformed or repeated Date:/Valid-Until: lines, each naming its line:
    // the publisher's intent is unknown, so each is a failed check.
    std::vector<std::string> problems;
};

// signed_text: the body GPGME verified. A line is a freshness line when
// its field name, before ':', is "Date" or "Valid-Until" in any case; it
// must then read exactly "Date: <UTC>" or "Valid-Until: <UTC>".
FreshnessLines parse_freshness(const std::string& signed_text);

struct FreshnessPolicy {
    std::optional<std::chrono::seconds> max_age; // --max-age
    std::chrono::seconds clock_skew = kClockSkew;
};

// Why the manifest is not fresh at `now`, one sentence per reason; empty
// when it is. An expired Valid-Until, a Date in the future beyond the
// skew, a Valid-Until not after the Date, and with max_age a Date older
// than that or no Date at all.
std::vector<std::string> freshness_problems(const FreshnessLines& lines,
                                            const FreshnessPolicy& policy, UtcTime now);

// "2026-11-30T03:46:43Z (3h12m old)" and the like, for messages.
std::string describe_age(UtcTime when, UtcTime now);

} // namespace squashpub::verifier
