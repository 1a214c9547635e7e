#pragma once
// Stable names for the current image of each flavor (issue #13):
// ${repo}-current.sqfs (or ${repo}-current.${main_infix}.sqfs) for the main
// image, ${repo}-current.${flavor}.sqfs per flavor. Each is a relative
// symlink to the dated file in the same directory, or a copy of it, and is
// listed in the manifest with the dated file's hash.
//
// Order of a publish (publish_run.cpp): dated files move in, then the
// manifest switches, then the aliases switch, each by one rename, all
// under the journal. A crash after the manifest switch is rolled forward
// by the next run, which then brings every alias the live manifest lists
// to the content it lists (reconcile_current_aliases); a crash before it
// is rolled back and the aliases were never touched. Dated names never
// change content, so a client that follows the manifest's names always
// gets consistent data; a client that reads the manifest and an alias
// across the two renames (microseconds apart) sees a hash mismatch and
// must retry, as with any fixed name.

#include "config/publisher_config.hpp"
#include "publisher/manifest.hpp"
#include "publisher/mirror.hpp"

#include <map>
#include <string>
#include <vector>

namespace squashpub::publisher {

struct AliasTarget {
    std::string alias;  // ${repo}-current[.${infix}].sqfs
    std::string target; // the dated image it names: ${repo}-${version}[.${flavor}].sqfs
};

// The aliases the config asks for when version is current (none when
// current_aliases is off).
std::vector<AliasTarget> current_alias_targets(const config::PublisherConfig& config,
                                               const std::string& version);

// Makes each alias in staging_dir: a symlink to its target's name, or a
// copy of images.at(target) (the staged image). Returns alias -> path.
std::map<std::string, std::string> stage_current_aliases(
    const config::PublisherConfig& config, const std::vector<AliasTarget>& aliases,
    const std::map<std::string, std::string>& images, const std::string& staging_dir);

// After an interrupted run: every alias the live manifest lists is made to
// hold what it lists (a symlink to, or a copy of, its listed target).
// Returns the names it fixed.
std::vector<std::string> reconcile_current_aliases(const config::PublisherConfig& config,
                                                   const Mirror& mirror,
                                                   const std::string& staging_root);

} // namespace squashpub::publisher
