#pragma once
// Flavors (issue #13): extra full-download images of the same tree with
// another compressor, ${repo}-${version}.${flavor}.sqfs, published next to
// the main image, kept and pruned with it by keep_snapshots, listed in the
// signed manifest. Deltas are only built for the main chain.
//
// A flavor image is a pure function of the tree and its options (classic
// layout, revision time on every inode), so the same revision always gives
// the same bytes, whatever was published before.

#include "config/publisher_config.hpp"
#include "generator/source/tree.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace squashpub::publisher {

struct BuiltFlavor {
    std::string flavor;      // its name in the config
    std::string file;        // ${repo}-${version}.${flavor}.sqfs
    std::string staged_path; // where it was built
    std::string sha512;
    uint64_t bytes = 0;
};

std::string flavor_image_name(const std::string& repo, const std::string& version,
                              const std::string& flavor);

// A version whose last '.'-component is a flavor's name (or the main
// alias's infix) would make ${repo}-${version}.sqfs the name of another
// version's flavor image: a client following Current: could be handed
// the wrong image. Throws an Error naming the config file.
void check_version_against_flavors(const config::PublisherConfig& config,
                                   const std::string& version);

// Builds every configured flavor image of source into staging_dir.
std::vector<BuiltFlavor> build_flavor_images(const generator::TreeSource& source,
                                             const config::PublisherConfig& config,
                                             const std::string& version, uint32_t mtime,
                                             const std::string& staging_dir);

// The flavor images of the kept past snapshots (${repo}-${v}.sqfs names)
// that are present in the mirror.
std::vector<std::string> kept_flavor_images(const config::PublisherConfig& config,
                                            const std::vector<std::string>& kept_snapshots,
                                            const std::set<std::string>& mirror_files);

} // namespace squashpub::publisher
