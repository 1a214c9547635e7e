#pragma once
// The stable layout (docs/architecture.md, "Stable layout"): an image whose
// unchanged entries keep their bytes and positions from the previous image,
// so that a day's delta carries little more than the day's changes.
//
// - Inode numbers and timestamps of unchanged entries are carried over.
// - Directory inodes live in uncompressed metadata blocks at the start of
//   the inode table: their size on disk never changes, so they are updated
//   in place. File and symlink inodes follow as a log of compressed blocks:
//   unchanged records keep their position, changed ones are appended, and
//   blocks before the first change stay byte-identical, so references into
//   them do too. Directory listings are the same kind of log.
// - A log is rewritten compactly once its dead records exceed
//   compact_percent of its live bytes.
// - Data blocks of unchanged large files are copied, stored bytes and all,
//   ahead of everything else; fragment packing is the FragmentPacker's.

#include "config/image_config.hpp"
#include "generator/image/image_writer.hpp"
#include "generator/image/previous_image.hpp"
#include "generator/source/tree.hpp"

#include <string>

namespace squashpub::generator {

// previous may be null: the image then starts a fresh stable layout.
ImageStats write_stable_image(const TreeSource& source, const config::ImageOptions& options,
                              uint32_t mtime, PreviousImage* previous, int fd,
                              const std::string& output_path);

} // namespace squashpub::generator
