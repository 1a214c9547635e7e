#pragma once
// One nightly run: build today's snapshot, archive it, build and test the
// deltas from the last published versions, sign the manifest, publish
// atomically, prune by policy, and report.

#include "config/publisher_config.hpp"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace squashpub::publisher {

struct PublishOptions {
    std::optional<std::string> rev;     // overrides config rev
    std::optional<std::string> version; // overrides the version scheme
    bool force = false;                 // replace an already published version
    bool allow_downgrade = false;       // publish a commit older than the current one
};

struct PublishOutcome {
    bool changed = false;
    std::string version;
    nlohmann::json report;
};

PublishOutcome publish(const config::PublisherConfig& config, const PublishOptions& options);

} // namespace squashpub::publisher
