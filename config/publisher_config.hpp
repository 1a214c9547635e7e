#pragma once
// The publisher's configuration file: every key of the schema documented
// in README.md, validated with messages naming the file and the key.

#include "config/flavor_config.hpp"
#include "config/image_config.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::config {

enum class VersionScheme { date, commit };
enum class ArchiveMode { full, reverse_deltas };

struct SigningConfig {
    // Fingerprints of the signing keys, at least one: the manifest carries
    // one signature by each (several during a key rotation).
    std::vector<std::string> keys;
    std::string gnupg_home;      // empty: GnuPG's default ($GNUPGHOME or ~/.gnupg)
    std::string passphrase_file; // empty: no passphrase, or the agent has it
    bool current_in_comment = false;
};

// archive_keep: what happens to archived versions older than the window
// publication and repair need (see publisher/retention.hpp).
struct ArchiveKeep {
    enum class Policy { reverse_deltas, drop } policy = Policy::reverse_deltas;
    std::optional<unsigned> max_versions; // unset: no cap
};

struct PublisherConfig {
    std::string file; // where it was read from, for messages

    std::string repo;
    std::string source;
    std::optional<std::string> rev; // set: read this git revision; unset: the checkout as on disk
    std::string mirror_dir;
    std::string archive_dir;
    std::string state_dir;
    VersionScheme version = VersionScheme::date;
    ImageOptions image;
    unsigned delta_window = 30;
    double max_delta_ratio = 0.9;
    unsigned keep_snapshots = 0;
    unsigned grace_generations = 1;
    ArchiveMode archive = ArchiveMode::full;
    unsigned jobs = 0;
    std::optional<ArchiveKeep> archive_keep;       // unset: keep every version
    std::string metrics_file;                      // empty: no metrics file
    std::vector<Flavor> flavors;                   // extra full images (issue #13)
    std::optional<CurrentAliases> current_aliases; // unset: no ${repo}-current* names
    // nullopt: "signing": null, publish unsigned on purpose.
    std::optional<SigningConfig> signing;
    // Freshness: the signed manifest says until when it is valid, and a
    // run with nothing new re-signs once the live one is resign_after old.
    std::optional<std::chrono::seconds> valid_for;
    std::optional<std::chrono::seconds> resign_after; // set whenever valid_for is
    unsigned warn_key_expiry_days = 30;
};

PublisherConfig load_publisher_config(const std::string& path);

} // namespace squashpub::config
