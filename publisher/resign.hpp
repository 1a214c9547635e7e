#pragma once
// Re-signing (issue #12): the live sha512sum.txt again, with this run's
// Date and Valid-Until and a fresh signature by the configured keys, and
// nothing else changed (same files, same hashes, other repositories' lines
// byte for byte). It goes through the journal and the atomic manifest
// switch like a publish, and records no new manifest generation, so the
// grace generations keep protecting the files they protect.

#include "config/publisher_config.hpp"
#include "publisher/mirror.hpp"
#include "publisher/state.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace squashpub::publisher {

// With the run and mirror locks held and any interrupted run recovered.
// Throws an Error naming the mirror when nothing is published or the live
// manifest is not the one the state directory recorded.
void resign_live_manifest(const config::PublisherConfig& config, const Mirror& mirror,
                          const PublisherState& state);

// Logs (as warnings) and returns the expiry warnings of the configured
// signing keys; none when unsigned.
std::vector<std::string> warn_about_expiring_keys(const config::PublisherConfig& config);

// `squashpub resign`: takes the locks like publish, checks the keys,
// recovers an interrupted run, re-signs. Returns the run's report.
nlohmann::json resign(const config::PublisherConfig& config);

} // namespace squashpub::publisher
