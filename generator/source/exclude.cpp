#include "generator/source/exclude.hpp"

#include <fnmatch.h>

namespace squashpub::generator {

ExcludeRules::ExcludeRules(const std::vector<std::string>& patterns) {
    for (std::string pattern : patterns) {
        Rule rule{};
        if (pattern.size() > 1 && pattern.back() == '/') {
            rule.directory_only = true;
            pattern.pop_back();
        }
        if (!pattern.empty() && pattern.front() == '/')
            pattern.erase(0, 1);
        rule.anchored = pattern.find('/') != std::string::npos;
        rule.pattern = pattern;
        if (!rule.pattern.empty())
            rules_.push_back(rule);
    }
}

bool ExcludeRules::excludes(const std::string& path, bool is_directory) const {
    const size_t slash = path.rfind('/');
    const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    for (const Rule& rule : rules_) {
        if (rule.directory_only && !is_directory)
            continue;
        const bool matched = rule.anchored
                                 ? fnmatch(rule.pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0
                                 : fnmatch(rule.pattern.c_str(), name.c_str(), 0) == 0;
        if (matched)
            return true;
    }
    return false;
}

} // namespace squashpub::generator
