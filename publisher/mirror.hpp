#pragma once
// The published directory that mirrors copy: what it holds, its live
// manifest, and the few operations that change it (all renames or
// unlinks followed by a directory fsync).

#include "publisher/manifest.hpp"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace squashpub::publisher {

class Mirror {
  public:
    explicit Mirror(std::string directory);

    const std::string& directory() const { return directory_; }
    std::string path(const std::string& name) const { return directory_ + "/" + name; }
    // Regular files and symlinks, hidden ones (ours, in flight) excluded.
    std::set<std::string> files() const;
    // sha512sum.txt as clients see it now, if there is one.
    std::optional<std::string> live_text() const;
    // This repository's part of it (the mirror may serve others too).
    std::optional<Manifest> live_manifest(const std::string& repo) const;

    // Renames a finished file from the staging directory into the mirror.
    void move_in(const std::string& staged_path, const std::string& name) const;
    // Replaces sha512sum.txt atomically.
    void publish_manifest(const std::string& text) const;
    void remove(const std::vector<std::string>& names) const;
    void sync() const;

    // A staging directory on the mirror's filesystem: state_dir/staging when
    // it is on the same filesystem, else a hidden directory in the mirror
    // (one per repository, since several may share the mirror).
    std::string staging_root(const std::string& state_dir, const std::string& repo) const;

  private:
    std::string directory_;
};

} // namespace squashpub::publisher
