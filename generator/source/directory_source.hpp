#pragma once
// A checkout directory as the mirror master has it on disk, generated files
// included. `.git` entries are skipped; hard links become one node; sockets,
// FIFOs and devices are an error unless excluded.

#include "generator/source/exclude.hpp"
#include "generator/source/git_source.hpp"
#include "generator/source/tree.hpp"

namespace squashpub::generator {

class DirectorySource : public TreeSource {
  public:
    DirectorySource(std::string directory, const ExcludeRules& exclude);

    const Node& root() const override { return *root_; }
    void read_content(const Node& file,
                      const std::function<void(const uint8_t*, size_t)>& sink) const override;
    std::optional<uint32_t> revision_time() const override;
    std::optional<std::string> revision_id() const override;
    std::string describe() const override { return directory_; }

  private:
    std::string directory_;
    std::shared_ptr<Node> root_;
    std::optional<RevisionInfo> revision_;
};

} // namespace squashpub::generator
