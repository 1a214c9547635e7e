#pragma once
// The publisher's private state directory:
//   lock                 the run lock
//   manifests/NNNNNN.txt unsigned manifest bodies of recent generations
//                        (the grace rule needs what earlier ones listed)
//   journal.json         written before files enter the mirror, removed once
//                        the new manifest is live: a run killed in between
//                        is rolled back (or forward) by the next run
//   last-run.json        the report of the last run
//   last-success         when the last successful run ended (for metrics_file)

#include "publisher/manifest.hpp"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::publisher {

struct Journal {
    std::string version;
    std::vector<std::string> adding; // mirror file names this run moves in
    std::string manifest_body;       // the manifest it is about to make live
    // A forced republish replaces listed files: its new files wait in the
    // staging root's pending/ directory, and once the journal exists the
    // run is only ever completed (rolled forward), never rolled back.
    bool replacing = false;
    std::optional<uint32_t> revision_time; // of the new image, for the archive
};

class PublisherState {
  public:
    explicit PublisherState(std::string directory);

    const std::string& directory() const { return directory_; }
    // Newest first; at most count.
    std::vector<Manifest> recent_manifests(size_t count) const;
    std::optional<Manifest> current_manifest() const;
    void record_manifest(const Manifest& manifest, size_t keep);

    std::optional<Journal> journal() const;
    void write_journal(const Journal& journal) const;
    void clear_journal() const;

    void write_report(const nlohmann::json& report) const;

  private:
    std::vector<std::string> manifest_files() const; // oldest first

    std::string directory_;
};

} // namespace squashpub::publisher
