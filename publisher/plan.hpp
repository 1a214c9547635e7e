#pragma once
// What a publish run should do, decided by a pure function of what is
// published, what is archived and the policy, so that it can be tested
// without a filesystem (the executor in publish_run.cpp carries it out).

#include <set>
#include <string>
#include <vector>

namespace squashpub::publisher {

struct PlanInput {
    std::string repo;
    std::string new_version;
    // Published versions, oldest first, not including new_version.
    std::vector<std::string> history;
    unsigned delta_window = 30;
    unsigned keep_snapshots = 0;
    unsigned grace_generations = 1;
    // Names in the mirror directory now.
    std::set<std::string> mirror_files;
    // Names listed by earlier manifests, newest generation first.
    std::vector<std::set<std::string>> previous_manifests;
};

struct Plan {
    std::string snapshot;                    // ${repo}-${new}.sqfs
    std::vector<std::string> delta_sources;  // versions to build deltas from, newest first
    std::vector<std::string> kept_snapshots; // past snapshot files to keep listed
};

Plan make_plan(const PlanInput& input);

// The files the new manifest lists: the snapshot, kept snapshots and the
// deltas that were built (some may have been too large to publish).
std::set<std::string> listed_files(const Plan& plan, const std::vector<std::string>& built_deltas);

// Mirror files of this repository that the new manifest does not list and
// that no manifest of the last grace_generations lists either.
std::vector<std::string> files_to_remove(const PlanInput& input,
                                         const std::set<std::string>& listed);

std::string snapshot_name(const std::string& repo, const std::string& version);
std::string delta_name(const std::string& repo, const std::string& from, const std::string& to);

} // namespace squashpub::publisher
