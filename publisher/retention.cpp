#include "publisher/retention.hpp"

#include "core/log.hpp"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace squashpub::publisher {

unsigned archive_window(const config::PublisherConfig& config) {
    return 1 + std::max(config.delta_window, config.keep_snapshots);
}

RetentionPlan plan_retention(const std::vector<ArchivedVersion>& versions,
                             const config::PublisherConfig& config) {
    RetentionPlan plan;
    if (!config.archive_keep)
        return plan;
    // Published versions form a prefix (only the newest can be unpublished).
    size_t published = 0;
    while (published < versions.size() && versions[published].published)
        ++published;
    const size_t window = archive_window(config);
    const size_t beyond = published > window ? published - window : 0;
    size_t drop = 0;
    if (config.archive_keep->policy == config::ArchiveKeep::Policy::drop)
        drop = beyond;
    if (config.archive_keep->max_versions) {
        const size_t cap = std::max<size_t>(*config.archive_keep->max_versions, window);
        if (versions.size() > cap)
            drop = std::max(drop, std::min(beyond, versions.size() - cap));
    }
    for (size_t i = 0; i < drop; ++i)
        plan.to_drop.push_back(versions[i].version);
    for (size_t i = drop; i < beyond; ++i)
        if (!versions[i].stored_as_delta)
            plan.to_reverse_delta.push_back(versions[i].version);
    return plan;
}

RetentionPlan apply_retention(Archive& archive, const config::PublisherConfig& config,
                              const std::string& scratch_dir) {
    const RetentionPlan plan = plan_retention(archive.versions(), config);
    for (const std::string& version : plan.to_drop)
        archive.drop_oldest(version);
    for (const std::string& version : plan.to_reverse_delta)
        archive.store_as_reverse_delta(version, scratch_dir);
    if (!plan.empty())
        log_info("archive retention: " + std::to_string(plan.to_drop.size()) +
                 " versions dropped, " + std::to_string(plan.to_reverse_delta.size()) +
                 " stored as reverse deltas");
    return plan;
}

ArchiveDiskUse archive_disk_use(const config::PublisherConfig& config) {
    ArchiveDiskUse use;
    std::error_code error;
    if (!fs::is_directory(config.archive_dir, error))
        return use;
    const std::string prefix = config.repo + "-";
    for (const auto& item : fs::directory_iterator(config.archive_dir, error)) {
        if (!item.is_regular_file(error))
            continue;
        const std::string name = item.path().filename();
        const uint64_t bytes = item.file_size(error);
        const bool own = name.rfind(prefix, 0) == 0;
        if (own && name.ends_with(".sqfs")) {
            ++use.full_images;
            use.full_bytes += bytes;
        } else if (own && name.ends_with(".sqdelta")) {
            ++use.reverse_deltas;
            use.reverse_delta_bytes += bytes;
        } else {
            use.other_bytes += bytes;
        }
    }
    use.versions = use.full_images + use.reverse_deltas;
    return use;
}

} // namespace squashpub::publisher
