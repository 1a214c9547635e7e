#pragma once
// publish --dry-run: what a publish run would do, worked out from the
// source, the state, the archive and the mirror, reading only. Nothing is
// created, locked or written (not even the directories a run would make).
// The plan is a plain object printed as text or JSON: a new kind of output
// (flavor images, current aliases) is one more field, one more line each.

#include "config/publisher_config.hpp"
#include "publisher/publish_run.hpp"
#include "publisher/retention.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace squashpub::publisher {

struct PlannedDelta {
    std::string name;
    std::string from; // version
};

struct PublishDryRun {
    std::string version;
    std::string current;             // published now (${repo}-${version}), empty: nothing yet
    std::string source;              // what the image would be built from
    std::vector<std::string> images; // snapshot files to build (the main one first)
    std::vector<PlannedDelta> deltas;
    std::vector<std::string> kept_snapshots; // older snapshots staying listed
    std::vector<std::string> aliases;        // stable names that would be switched
    std::vector<std::string> mirror_removals;
    RetentionPlan archive;
    std::vector<std::string> notes; // conditions the real run would meet

    nlohmann::json to_json() const;
    std::string text() const;
};

PublishDryRun plan_publish(const config::PublisherConfig& config, const PublishOptions& options);

} // namespace squashpub::publisher
