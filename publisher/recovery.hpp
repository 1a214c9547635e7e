#pragma once
// Brings mirror, archive and state back to a consistent point after a run
// that was killed: a journal left behind means files were moving into the
// mirror. If the manifest it was about to publish is live, the run is
// completed (roll forward); otherwise its files leave the mirror and its
// unpublished archive entry is dropped (roll back). Staging leftovers and
// archive files the index does not name are removed.

#include "publisher/archive.hpp"
#include "publisher/mirror.hpp"
#include "publisher/state.hpp"

namespace squashpub::publisher {

void recover_interrupted_run(const Mirror& mirror, PublisherState& state, Archive& archive,
                             const std::string& staging_root, size_t manifests_to_keep);

} // namespace squashpub::publisher
