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

// Throws an Error naming the mirror and the conflict.
void check_mirror_sharing(const config::PublisherConfig& config, const Mirror& mirror);

} // namespace squashpub::publisher
