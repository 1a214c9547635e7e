#pragma once
// Brings mirror, archive and state back to a consistent point after a run
// that was killed: a journal left behind means files were moving into the
// mirror. If the manifest it was about to publish is live, the run is
// completed (roll forward); otherwise its files leave the mirror and its
// unpublished archive entry is dropped (roll back). A forced republish is
// always rolled forward (its files replace listed ones, so there is no
// older state to go back to once the first has moved): its pending files
// move in, the manifest is signed and published, the archive takes the new
// image. Staging leftovers and archive files the index does not name are
// removed.

#include "publisher/archive.hpp"
#include "publisher/mirror.hpp"
#include "publisher/state.hpp"

#include <functional>

namespace squashpub::publisher {

// The text to publish as sha512sum.txt for this repository's manifest
// (merged with the other repositories' lines, signed).
using ManifestText = std::function<std::string(const Manifest&)>;

void recover_interrupted_run(const Mirror& mirror, PublisherState& state, Archive& archive,
                             const std::string& staging_root, size_t manifests_to_keep,
                             const ManifestText& manifest_text);

// Where a forced republish keeps its new files until the journal is written.
std::string pending_dir(const std::string& staging_root);

} // namespace squashpub::publisher
