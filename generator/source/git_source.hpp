#pragma once
// A revision of a git repository (bare or not), read with libgit2 straight
// from the object store: no checkout, no working-tree state. Files are as a
// checkout of the revision has them (see CheckoutFilter).

#include "generator/source/exclude.hpp"
#include "generator/source/tree.hpp"

#include <memory>
#include <mutex>

struct git_repository;

namespace squashpub::generator {

class CheckoutFilter;
class ReadAhead;

class GitSource : public TreeSource {
  public:
    GitSource(std::string repository, std::string revision, const ExcludeRules& exclude);
    ~GitSource() override;

    const Node& root() const override { return *root_; }
    void read_content(const Node& file,
                      const std::function<void(const uint8_t*, size_t)>& sink) const override;
    std::optional<uint32_t> revision_time() const override { return commit_time_; }
    std::optional<std::string> revision_id() const override { return commit_id_; }
    std::string describe() const override { return repository_ + "@" + revision_; }

  private:
    void start_read_ahead() const;
    void stop_read_ahead() const;

    std::string repository_;
    std::string revision_;
    std::string commit_id_;
    git_repository* repo_ = nullptr;
    std::unique_ptr<CheckoutFilter> filter_;
    mutable std::once_flag read_ahead_started_;
    mutable std::unique_ptr<ReadAhead> read_ahead_;
    std::shared_ptr<Node> root_;
    uint32_t commit_time_ = 0;
};

struct RevisionInfo {
    uint32_t time = 0; // committer time
    std::string id;    // full commit hash
};

// HEAD's commit if directory is the top of a git work tree.
std::optional<RevisionInfo> head_revision(const std::string& directory);

// True if path is a bare git repository (no work tree to take files from).
bool is_bare_repository(const std::string& path);

} // namespace squashpub::generator
