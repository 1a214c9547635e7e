#pragma once
// Maintainers' tools: compare the mirror with the policy and the archive,
// and put it right: regenerate missing or corrupt deltas, restore missing
// or corrupt snapshots from the archive, and re-sign the manifest.

#include "config/publisher_config.hpp"

#include <string>
#include <vector>

namespace squashpub::publisher {

struct RepairAction {
    enum Kind { restore_snapshot, regenerate_delta, generate_delta } kind;
    std::string name;    // mirror file
    std::string version; // snapshot version, or delta source version
    std::string reason;
};

struct RepairPlan {
    std::string current; // ${repo}-${version}
    std::string version;
    std::vector<RepairAction> actions;
    std::vector<std::string> notes; // things that cannot be fixed here
};

// Looks, changes nothing.
RepairPlan plan_repair(const config::PublisherConfig& config);

// Carries the plan out and re-signs; returns what was done.
RepairPlan repair(const config::PublisherConfig& config);

std::string describe(const RepairAction& action);

} // namespace squashpub::publisher
