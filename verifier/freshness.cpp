#include "verifier/freshness.hpp"

#include "core/duration.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace squashpub::verifier {
namespace {

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return text;
}

// Long hostile lines are cut in messages.
std::string quoted(const std::string& line) {
    return "'" + (line.size() > 80 ? line.substr(0, 80) + "…" : line) + "'";
}

struct Field {
    const char* name; // as the publisher writes it
    std::optional<UtcTime> FreshnessLines::*slot;
};

constexpr Field kFields[] = {{"Date", &FreshnessLines::date},
                             {"Valid-Until", &FreshnessLines::valid_until}};

} // namespace

FreshnessLines parse_freshness(const std::string& signed_text) {
    FreshnessLines lines;
    size_t seen_on[std::size(kFields)] = {};
    std::istringstream in(signed_text);
    size_t number = 0;
    for (std::string line; std::getline(in, line);) {
        ++number;
        const size_t colon = line.find(':');
        if (colon == std::string::npos)
            continue;
        const std::string key = lowercase(line.substr(0, colon));
        for (size_t i = 0; i < std::size(kFields); ++i) {
            const Field& field = kFields[i];
            if (key != lowercase(field.name))
                continue;
            const std::string where = "line " + std::to_string(number) + " of the signed body";
            const std::string prefix = std::string(field.name) + ": ";
            const std::optional<UtcTime> when =
                line.rfind(prefix, 0) == 0 ? parse_utc(line.substr(prefix.size())) : std::nullopt;
            if (seen_on[i])
                lines.problems.push_back(where + ": a second " + field.name + ": line (line " +
                                         std::to_string(seen_on[i]) +
                                         " has one): which one the publisher meant is unknown");
            else if (!when)
                lines.problems.push_back(where + ": " + quoted(line) + " is not '" + field.name +
                                         ": YYYY-MM-DDTHH:MM:SSZ' (UTC)");
            else
                lines.*field.slot = when;
            seen_on[i] = number;
        }
    }
    return lines;
}

std::string describe_age(UtcTime when, UtcTime now) {
    if (when == now)
        return format_utc(when) + " (now)";
    const bool past = when < now;
    const auto distance = past ? now - when : when - now;
    return format_utc(when) + " (" + format_duration(distance) + (past ? " ago)" : " ahead)");
}

std::vector<std::string> freshness_problems(const FreshnessLines& lines,
                                            const FreshnessPolicy& policy, UtcTime now) {
    std::vector<std::string> problems;
    if (lines.valid_until && *lines.valid_until <= now)
        problems.push_back("expired: Valid-Until " + describe_age(*lines.valid_until, now) +
                           "; the publisher has not re-signed it since, or this mirror serves "
                           "an old copy");
    if (lines.date && *lines.date > now + policy.clock_skew)
        problems.push_back("Date " + describe_age(*lines.date, now) +
                           " is in the future by more than the " +
                           format_duration(policy.clock_skew) +
                           " clock skew allowed: the publisher's clock or ours is wrong");
    if (lines.date && lines.valid_until && *lines.valid_until <= *lines.date)
        problems.push_back("Valid-Until " + format_utc(*lines.valid_until) + " is not after Date " +
                           format_utc(*lines.date));
    if (policy.max_age) {
        const std::string limit = "--max-age " + format_duration(*policy.max_age);
        if (!lines.date)
            problems.push_back("no Date: line in the signed body, so its age is unknown (" + limit +
                               ")");
        else if (*lines.date < now - *policy.max_age)
            problems.push_back("Date " + describe_age(*lines.date, now) + " is older than " +
                               limit + ": the mirror is stale or frozen");
    }
    return problems;
}

} // namespace squashpub::verifier
