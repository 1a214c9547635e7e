#pragma once
// A night's deltas: from each archived source version to the new image,
// each encoded, test-applied with the independent applier and compared
// with the new image byte for byte before it may be published.

#include "config/publisher_config.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace squashpub::publisher {

class Archive;

struct BuiltDelta {
    std::string from;
    std::string name;
    std::string staged_path;
    std::string sha512;
    uint64_t bytes = 0;
    double seconds = 0;
};

struct NightDeltas {
    std::vector<BuiltDelta> built;     // to publish, sorted by name
    std::vector<std::string> rejected; // their test-apply did not rebuild the image
    std::vector<std::string> oversize; // over max_delta_ratio of the image
};

struct NightTarget {
    std::string version;
    std::string image; // its path
    uint64_t image_bytes = 0;
};

// sources: the versions to build deltas from, newest first (as the plan
// lists them). Deltas and scratch files go to staging_dir.
NightDeltas build_night_deltas(Archive& archive, const std::vector<std::string>& sources,
                               const NightTarget& target, const config::PublisherConfig& config,
                               const std::string& staging_dir);

} // namespace squashpub::publisher
