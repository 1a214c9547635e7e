#pragma once
// Instants in signed manifests and state files: UTC, RFC 3339 with a 'Z'
// and whole seconds ("2026-11-30T03:46:43Z"), so they sort as text and
// mean the same everywhere, whatever the local time zone.

#include <chrono>
#include <optional>
#include <string>

namespace squashpub {

using UtcTime = std::chrono::sys_seconds;

UtcTime utc_now();

std::string format_utc(UtcTime time);

// nullopt unless text is exactly "YYYY-MM-DDTHH:MM:SSZ" naming a real
// instant (no offsets, fractions or leap seconds: one spelling per instant).
std::optional<UtcTime> parse_utc(const std::string& text);

} // namespace squashpub
