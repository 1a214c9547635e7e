#pragma once
// Opens the configured source (a checkout as it is on disk, or a git
// revision) and derives the version name from it.

#include "config/publisher_config.hpp"
#include "generator/source/tree.hpp"

#include <memory>
#include <optional>
#include <string>

namespace squashpub::publisher {

// rev (or config.rev) set, or a bare repository: that git revision (HEAD by
// default); otherwise the checkout directory as it is on disk.
std::unique_ptr<generator::TreeSource> open_source(const config::PublisherConfig& config,
                                                   const std::optional<std::string>& rev);

// "date": YYYYMMDD of the revision's committer time in UTC; "commit": the
// abbreviated commit hash. Checks the result is usable in file names.
std::string choose_version(const config::PublisherConfig& config,
                           const generator::TreeSource& source,
                           const std::optional<std::string>& override_version);

} // namespace squashpub::publisher
