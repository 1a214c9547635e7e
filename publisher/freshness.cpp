#include "publisher/freshness.hpp"

#include "core/error.hpp"

#include <cstdlib>
#include <sstream>

namespace squashpub::publisher {
namespace {

const std::string kDate = "Date: ";
const std::string kValidUntil = "Valid-Until: ";

std::optional<UtcTime> line_time(const std::string& body, const std::string& prefix) {
    std::istringstream lines(body);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind(prefix, 0) == 0)
            return parse_utc(line.substr(prefix.size()));
    return std::nullopt;
}

} // namespace

UtcTime manifest_date() {
    const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
    if (!epoch || !*epoch) // unset or empty, as the image time reads it
        return utc_now();
    const std::string text = epoch;
    const bool digits = !text.empty() && text.size() <= 12 &&
                        text.find_first_not_of("0123456789") == std::string::npos;
    if (!digits)
        throw UsageError("SOURCE_DATE_EPOCH",
                         "'" + text + "' is not a number of seconds since 1970-01-01");
    return UtcTime(std::chrono::seconds(std::stoll(text)));
}

Freshness freshness_for(const config::PublisherConfig& config) {
    Freshness freshness{manifest_date(), std::nullopt};
    if (config.valid_for)
        freshness.valid_until = freshness.date + *config.valid_for;
    return freshness;
}

std::string freshness_lines(const Freshness& freshness) {
    std::string text = kDate + format_utc(freshness.date) + "\n";
    if (freshness.valid_until)
        text += kValidUntil + format_utc(*freshness.valid_until) + "\n";
    return text;
}

bool is_freshness_line(const std::string& line) {
    return line.rfind(kDate, 0) == 0 || line.rfind(kValidUntil, 0) == 0;
}

std::optional<UtcTime> date_of(const std::string& body) {
    return line_time(body, kDate);
}

std::optional<UtcTime> valid_until_of(const std::string& body) {
    return line_time(body, kValidUntil);
}

bool resign_due(const config::PublisherConfig& config, const std::string& live_body) {
    if (!config.valid_for)
        return false;
    const std::optional<UtcTime> live = date_of(live_body);
    return !live || manifest_date() - *live >= *config.resign_after;
}

} // namespace squashpub::publisher
