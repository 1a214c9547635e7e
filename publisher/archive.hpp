#pragma once
// The private archive of every published snapshot (never mirrored), from
// which deltas from old versions are built. Two ways to store it:
//   full            every image as it is;
//   reverse-deltas  only the newest image in full, and for each older one a
//                   delta from its successor, applied in turn on demand.
// Every image taken out of the archive is checked against its recorded
// SHA-512 before use. index.json, replaced atomically, is the truth; files
// it does not name are leftovers of an interrupted run and are removed.

#include "config/publisher_config.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::publisher {

struct ArchivedVersion {
    std::string version;
    std::string sha512;
    // The same image's SHA-256 (hex), which the nightly check of every
    // delta source compares: on 2 cores with SHA extensions it takes a
    // quarter of SHA-512's time, 30 images a night. Empty: archived before
    // it was recorded, checked with sha512 instead.
    std::string sha256;
    uint64_t size = 0;
    bool published = false;       // false until a manifest naming it is live
    bool stored_as_delta = false; // reverse-deltas: a delta from the next version
    // The source commit's committer time (unset: not a git source, or
    // archived before it was recorded); downgrades are judged by it.
    std::optional<uint32_t> revision_time;
};

class Archive {
  public:
    Archive(std::string directory, std::string repo, config::ArchiveMode mode, unsigned jobs);

    const std::string& repo() const { return repo_; }
    // Oldest first.
    const std::vector<ArchivedVersion>& versions() const { return versions_; }
    const ArchivedVersion* find(const std::string& version) const;

    // Records a new newest version, stored in full, unpublished.
    void add(const std::string& version, const std::string& image_path, const std::string& sha512,
             std::optional<uint32_t> revision_time = std::nullopt);
    // Marks it published; in reverse-deltas mode then turns the previous
    // full image into a reverse delta (verified before the full is dropped).
    void mark_published(const std::string& version, const std::string& scratch_dir);
    // A forced republish, once its manifest is live: the newest (published)
    // version's image becomes image. In reverse-deltas mode the previous
    // version, stored as a delta from the old image, is first restored in
    // full (mark_published then stores it as a delta again).
    void replace_published(const std::string& version, const std::string& image,
                           const std::string& sha512, const std::string& scratch_dir,
                           std::optional<uint32_t> revision_time = std::nullopt);
    // Forgets a version that never went live, with its files.
    void drop_unpublished(const std::string& version);

    // Retention (publisher/retention.*). Forgets the oldest version, which
    // must be `version` and published, with its file.
    void drop_oldest(const std::string& version);
    // Replaces a full image by a reverse delta from its successor's image,
    // which must be full too (verified before the full image goes).
    void store_as_reverse_delta(const std::string& version, const std::string& scratch_dir);

    // Calls visit(version, path) for each wanted version, with a verified
    // image at path (valid during the call). Full archives visit in
    // parallel (jobs); reverse-delta archives walk the chain newest first.
    void visit_images(const std::vector<std::string>& wanted, const std::string& scratch_dir,
                      const std::function<void(const ArchivedVersion&, const std::string&)>& visit);

    // Restores one version's image to path (verified).
    void restore(const std::string& version, const std::string& path,
                 const std::string& scratch_dir);

    // Removes files the index does not name.
    void remove_leftovers();

  private:
    std::string image_path(const std::string& version) const;
    std::string reverse_delta_path(const std::string& newer, const std::string& older) const;
    void load();
    void save() const;
    void verify(const ArchivedVersion& entry, const std::string& path) const;

    std::string directory_;
    std::string repo_;
    config::ArchiveMode mode_;
    unsigned jobs_;
    std::vector<ArchivedVersion> versions_;
};

} // namespace squashpub::publisher
