#pragma once
// Exclude patterns from the config, with gitignore-like meaning:
//   "*.pyc"        no slash: matches an entry's name at any depth;
//   "metadata/md5-cache"  a slash: matches the path from the tree's root;
//   "distfiles/"   a trailing slash: matches directories only.
// Wildcards are fnmatch(3)'s; '*' never crosses a '/' in path patterns.
// An excluded directory is skipped with everything below it.

#include <string>
#include <vector>

namespace squashpub::generator {

class ExcludeRules {
  public:
    ExcludeRules() = default;
    explicit ExcludeRules(const std::vector<std::string>& patterns);

    // path: relative to the root, '/'-separated, no leading slash.
    bool excludes(const std::string& path, bool is_directory) const;

  private:
    struct Rule {
        std::string pattern;
        bool anchored;       // contains a '/': match the whole path
        bool directory_only; // had a trailing '/'
    };
    std::vector<Rule> rules_;
};

} // namespace squashpub::generator
