#pragma once
// Durations as operators write them in the config and on the command line:
// a whole number and a unit, "90m", "36h", "7d" (also "45s" and "2w"), or
// several run together, "1d12h". A bare number is refused: "7" could mean
// days or seconds, and guessing wrong turns an expiry off.

#include <chrono>
#include <string>

namespace squashpub {

// Throws a UsageError naming `where` (a config key, a flag) when text is
// not a positive duration.
std::chrono::seconds parse_duration(const std::string& text, const std::string& where);

// The shortest exact spelling in the same units, e.g. 129600s -> "1d12h".
std::string format_duration(std::chrono::seconds duration);

} // namespace squashpub
