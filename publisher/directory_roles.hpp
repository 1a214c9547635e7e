#pragma once
// Which directory is which, across every config of a machine: the mirror
// is shared between repositories, but an archive_dir or state_dir belongs
// to one repository and is never another config's mirror, archive or state
// (an archive inside a public mirror would publish private images; a
// mirror inside an archive would write sha512sum.txt there).

#include "config/publisher_config.hpp"

namespace squashpub::publisher {

// Across configs (issue #11, F7): the mirror is shared, but an archive_dir
// or state_dir belongs to one repository and is never another config's
// mirror, archive or state. Reads only: call before anything is created.
// Throws a UsageError (exit 2) naming the directory, the key and what it
// holds. Private directories carry a marker (.squashpub-archive,
// .squashpub-state) naming their repository; the public mirror carries
// none (it would be served) and is recognised by its sha512sum.txt.
void check_directory_roles(const config::PublisherConfig& config);

// Writes the archive_dir and state_dir markers that are missing (a first
// run, or a deployment from before the markers, adopts its directories).
// Call with the run lock held, after check_directory_roles.
void claim_directory_roles(const config::PublisherConfig& config);

} // namespace squashpub::publisher
