#pragma once
// A revision of a git repository (bare or not), read with libgit2 straight
// from the object store: no checkout, no working-tree state.

#include "generator/exclude.hpp"
#include "generator/tree.hpp"

#include <memory>

struct git_repository;

namespace squashpub::generator {

class GitSource : public TreeSource {
  public:
    GitSource(std::string repository, std::string revision, const ExcludeRules& exclude);
    ~GitSource() override;

    const Node& root() const override { return *root_; }
    void read_content(const Node& file,
                      const std::function<void(const uint8_t*, size_t)>& sink) const override;
    std::optional<uint32_t> revision_time() const override { return commit_time_; }
    std::string describe() const override { return repository_ + "@" + revision_; }
    // The full hash of the commit the revision resolved to.
    const std::string& commit_id() const { return commit_id_; }

  private:
    std::string repository_;
    std::string revision_;
    std::string commit_id_;
    git_repository* repo_ = nullptr;
    std::shared_ptr<Node> root_;
    uint32_t commit_time_ = 0;
};

// Committer time of HEAD if directory is the top of a git work tree.
std::optional<uint32_t> head_commit_time(const std::string& directory);

} // namespace squashpub::generator
