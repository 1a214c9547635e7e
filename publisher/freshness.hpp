#pragma once
// Signed freshness (issue #12): a signature proves who wrote sha512sum.txt,
// never when. The signed body therefore starts with
//   Date: 2026-11-30T03:46:43Z
//   Valid-Until: 2026-12-07T03:46:43Z      (only when valid_for is set)
// so that verifiers can refuse frozen or replayed manifests. Neither line
// contains "current:" nor looks like a checksum line, so the spec §7.5
// client ignores them.

#include "config/publisher_config.hpp"
#include "core/utc_time.hpp"

#include <optional>
#include <string>

namespace squashpub::publisher {

struct Freshness {
    UtcTime date;
    std::optional<UtcTime> valid_until;
};

// The Date of a run: $SOURCE_DATE_EPOCH when set (reproducible builds:
// the same input, config and epoch give a byte-identical unsigned
// manifest), else the clock. Throws a UsageError for a malformed epoch.
UtcTime manifest_date();

// This run's freshness under config.
Freshness freshness_for(const config::PublisherConfig& config);

// "Date: ...\n" and, if set, "Valid-Until: ...\n".
std::string freshness_lines(const Freshness& freshness);

// Whether a body line is one of the freshness lines (replaced, never
// merged, when another repository's run rewrites a shared manifest).
bool is_freshness_line(const std::string& line);

// The Date of a manifest body; nullopt for manifests written before
// issue #12 or with a malformed Date.
std::optional<UtcTime> date_of(const std::string& body);
// Likewise its Valid-Until.
std::optional<UtcTime> valid_until_of(const std::string& body);

// Whether a run with nothing new must re-sign the live manifest body: its
// Date is resign_after older than this run's (or it has none) while
// valid_for is configured.
bool resign_due(const config::PublisherConfig& config, const std::string& live_body);

} // namespace squashpub::publisher
