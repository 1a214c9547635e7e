#pragma once
// Checks, before anything is built, that this repository can share its
// mirror directory with the repositories already there: no name such that
// one "${name}-" is a prefix of the other (the client could not tell them
// apart, spec §7.4), and one signing key for the one manifest.

#include "config/publisher_config.hpp"
#include "publisher/mirror.hpp"

#include <set>
#include <string>

namespace squashpub::publisher {

// The other repositories on the mirror: Current: tokens of the live
// manifest and the snapshot files present.
std::set<std::string> other_repositories(const Mirror& mirror, const std::string& repo);

// The sha512sum.txt to publish for this repository's manifest: merged with
// the other repositories' lines of the live one, signed as configured.
// Call with the mirror lock held.
std::string manifest_text(const config::PublisherConfig& config, const Mirror& mirror,
                          const Manifest& ours);

// Throws an Error naming the mirror and the conflict.
void check_mirror_sharing(const config::PublisherConfig& config, const Mirror& mirror);

} // namespace squashpub::publisher
