#include "publisher/plan.hpp"

#include "publisher/manifest.hpp"
#include "publisher/shared_manifest.hpp"

#include <algorithm>

namespace squashpub::publisher {

std::string snapshot_name(const std::string& repo, const std::string& version) {
    return repo + "-" + version + ".sqfs";
}

std::string delta_name(const std::string& repo, const std::string& from, const std::string& to) {
    return repo + "-" + from + "-" + to + ".sqdelta";
}

Plan make_plan(const PlanInput& input) {
    Plan plan;
    plan.snapshot = snapshot_name(input.repo, input.new_version);
    std::vector<std::string> newest_first(input.history.rbegin(), input.history.rend());
    newest_first.erase(std::remove(newest_first.begin(), newest_first.end(), input.new_version),
                       newest_first.end());
    for (size_t i = 0; i < newest_first.size() && i < input.delta_window; ++i)
        plan.delta_sources.push_back(newest_first[i]);
    for (size_t i = 0; i < newest_first.size() && i < input.keep_snapshots; ++i) {
        const std::string name = snapshot_name(input.repo, newest_first[i]);
        if (input.mirror_files.count(name))
            plan.kept_snapshots.push_back(name);
    }
    return plan;
}

std::set<std::string> listed_files(const Plan& plan, const std::vector<std::string>& built_deltas) {
    std::set<std::string> listed(built_deltas.begin(), built_deltas.end());
    listed.insert(plan.snapshot);
    listed.insert(plan.kept_snapshots.begin(), plan.kept_snapshots.end());
    return listed;
}

std::vector<std::string> files_to_remove(const PlanInput& input,
                                         const std::set<std::string>& listed) {
    std::vector<std::string> remove;
    for (const std::string& name : input.mirror_files) {
        // Exact parse, never a bare prefix: "gentoo-kde-20260610.sqfs" is
        // not gentoo's (its version "kde-20260610" has a '-').
        if (!parse_own_name(input.repo, name) || listed.count(name))
            continue;
        bool in_grace = false;
        for (size_t g = 0; g < input.previous_manifests.size() && g < input.grace_generations; ++g)
            in_grace = in_grace || input.previous_manifests[g].count(name) > 0;
        if (!in_grace)
            remove.push_back(name);
    }
    return remove;
}

} // namespace squashpub::publisher
