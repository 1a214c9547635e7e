#pragma once
// Archive retention (config archive_keep): the archive keeps what
// publication and repair need (the current version and the
// max(delta_window, keep_snapshots) before it, "the window") as it is, and
// versions older than that become reverse deltas or are dropped, per
// policy; max_versions caps how many versions it holds at all. Without
// archive_keep the archive keeps everything, as before.

#include "config/publisher_config.hpp"
#include "publisher/archive.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace squashpub::publisher {

struct RetentionPlan {
    std::vector<std::string> to_drop;          // oldest first (always the oldest ones)
    std::vector<std::string> to_reverse_delta; // oldest first, full images now
    bool empty() const { return to_drop.empty() && to_reverse_delta.empty(); }
};

// Versions (published and recent) the archive must keep usable as they are.
unsigned archive_window(const config::PublisherConfig& config);

// Pure: what retention would do to an archive holding versions (oldest
// first). Only published versions are ever touched.
RetentionPlan plan_retention(const std::vector<ArchivedVersion>& versions,
                             const config::PublisherConfig& config);

// Carries the plan out: drops first, then conversions oldest first (each
// one's successor is still a full image then). Crash-safe per step.
RetentionPlan apply_retention(Archive& archive, const config::PublisherConfig& config,
                              const std::string& scratch_dir);

struct ArchiveDiskUse {
    size_t versions = 0;
    size_t full_images = 0;
    uint64_t full_bytes = 0;
    size_t reverse_deltas = 0;
    uint64_t reverse_delta_bytes = 0;
    uint64_t other_bytes = 0; // the index and anything else in the directory
    uint64_t total() const { return full_bytes + reverse_delta_bytes + other_bytes; }
};

// Read-only (creates nothing): an absent archive uses nothing.
ArchiveDiskUse archive_disk_use(const config::PublisherConfig& config);

} // namespace squashpub::publisher
