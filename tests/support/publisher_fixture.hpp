#pragma once
// A small git repository with one commit per day (tags d1..dN, day 1
// committed on 2026-01-01, day 32 on 2026-02-01, so versions are YYYYMMDD), a real signing key, and
// a publisher config around them, for the publisher's behaviour tests.

#include "core/files.hpp"
#include "support/gpg_keyring.hpp"
#include "support/mirror_check.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace squashpub::test {

// Test names for crash steps ("move-delta" -> "move_delta"): gtest allows
// only letters, digits and '_' in parameterised test names.
std::string crash_step_name(const ::testing::TestParamInfo<const char*>& info);

class PublisherFixture {
  public:
    explicit PublisherFixture(int days = 6, GpgKeyring::KeyState key = GpgKeyring::KeyState::valid);

    std::string path(const std::string& name) const { return dir_.file(name); }
    const GpgKeyring& keyring() const { return *keyring_; }
    // Writes the config (defaults plus overrides) and returns its path.
    std::string config(const nlohmann::json& overrides = nlohmann::json::object());
    CommandResult publish(int day, const std::vector<std::string>& extra = {},
                          const std::vector<std::string>& env = {});
    CommandResult run(const std::vector<std::string>& args,
                      const std::vector<std::string>& env = {});
    MirrorExpectations expect() const;

    // Shared mirrors: a config for repository `repo` with the common
    // mirror_dir and its own archive-REPO and state-REPO; runs with it.
    std::string config_for(const std::string& repo,
                           const nlohmann::json& overrides = nlohmann::json::object());
    CommandResult publish_repo(const std::string& repo, int day,
                               const std::vector<std::string>& extra = {},
                               const std::vector<std::string>& env = {});
    MirrorExpectations expect_repo(const std::string& repo) const;
    static std::string version(int day);
    // Name and SHA-512 of every file in the mirror directory.
    std::string mirror_fingerprint() const;

  private:
    TempDir dir_;
    std::unique_ptr<GpgKeyring> keyring_;
    std::string config_path_;
};

// A small tmpfs mounted at path (CI runs as root), unmounted on
// destruction: full disks, and a mirror on another filesystem than the
// state directory. mounted() is false where mounting is impossible.
class SmallDisk {
  public:
    SmallDisk(const std::string& path, const std::string& size);
    ~SmallDisk();
    bool mounted() const { return mounted_; }
    const std::string& error() const { return error_; }
    // Fills the disk with file name, leaving about `left` bytes free.
    void fill(const std::string& name, uint64_t left) const;

  private:
    std::string path_;
    bool mounted_ = false;
    std::string error_;
};

} // namespace squashpub::test
