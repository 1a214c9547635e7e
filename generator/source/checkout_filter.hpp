#pragma once
// The conversions `git checkout` applies to a blob on its way to the work
// tree: .gitattributes `text`/`eol` (and core.autocrlf/core.eol), `ident`,
// with libgit2's filters. A `--rev` image stores files as a checkout of the
// same commit has them, so both inputs give the same image.
//
// Attributes come from the commit being read (and $GIT_DIR/info/attributes,
// core.attributesFile), never from a work tree or index that may be at
// another commit, and never from the system-wide gitattributes: the image
// must not depend on the machine it is built on.

#include <git2.h>

#include <optional>
#include <string>

namespace squashpub::generator {

class CheckoutFilter {
  public:
    // repo must be opened without a work tree and with an empty index (see
    // open_for_checkout_filters), else their attributes would apply too.
    CheckoutFilter(git_repository* repo, const git_oid& commit, std::string subject);

    // True if attributes or config outside the tree (core.autocrlf,
    // $GIT_DIR/info/attributes, core.attributesFile or the user's
    // attributes file) may convert files. If not, only files under a
    // .gitattributes need may_convert: the lookup costs a tree walk per file.
    bool has_repository_wide_rules() const { return repository_wide_; }
    // True if some filter is configured for path (it may still change
    // nothing: that needs the content, see convert).
    bool may_convert(const std::string& path) const;
    // blob as checked out at path, or nullopt when that is its stored bytes.
    std::optional<std::string> convert(git_blob* blob, const std::string& path) const;

  private:
    git_filter_options options() const;

    git_repository* repo_;
    git_oid commit_;
    std::string subject_;
    bool repository_wide_ = true;
};

// Opens a repository (bare or not) for reading a revision: object store and
// config only, no work tree, an empty in-memory index.
git_repository* open_for_checkout_filters(const std::string& path);

} // namespace squashpub::generator
