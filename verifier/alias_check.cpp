#include "verifier/alias_check.hpp"

#include "core/error.hpp"
#include "core/names.hpp"
#include "core/safe_name.hpp"

#include <filesystem>

namespace fs = std::filesystem;

namespace squashpub::verifier {
namespace {

struct Alias {
    std::string name;
    std::string target; // the current image it must hold
    std::string listed; // its listed hash
};

// Hashes what the mirror serves under the alias: over http, or a regular
// file, the alias itself; a directory mirror's link, its one target.
class AliasContent {
  public:
    AliasContent(Fetcher& fetcher, const std::string& scratch_dir, uint64_t max_bytes,
                 const std::map<std::string, std::string>& digests, const AliasResult& result)
        : fetcher_(fetcher), scratch_dir_(scratch_dir), max_bytes_(max_bytes), digests_(digests),
          result_(result) {}

    uint64_t check(const Alias& alias) {
        std::optional<std::string> link;
        try {
            link = fetcher_.link_target(alias.name);
        } catch (const Error& e) {
            result_("file.present", Status::fail, alias.name, e.what());
            return 0;
        }
        if (link && !link_is_acceptable(alias, *link))
            return 0;
        return hash_served(alias, link.value_or(alias.name), link.has_value());
    }

  private:
    bool link_is_acceptable(const Alias& alias, const std::string& link) {
        const std::string reason = unsafe_name_reason(link);
        if (!reason.empty()) {
            result_("alias.link", Status::fail, alias.name,
                    "a symbolic link to '" + link.substr(0, 200) +
                        "', not a file of this directory (" + reason + "): never followed");
            return false;
        }
        if (!digests_.count(link)) {
            result_("alias.link", Status::fail, alias.name,
                    "a symbolic link to " + link +
                        ", which the manifest does not list: never followed");
            return false;
        }
        return true;
    }

    // The target is opened without following links: a chain is refused.
    uint64_t hash_served(const Alias& alias, const std::string& name, bool through_link) {
        Fetched fetched;
        try {
            fetched = fetcher_.fetch(name, scratch_dir_, max_bytes_);
        } catch (const Error& e) {
            result_(through_link ? "alias.link" : "file.present", Status::fail, alias.name,
                    through_link ? "a symbolic link to " + name +
                                       ", which cannot be read as a "
                                       "file of the directory (links are followed one level, "
                                       "never further): " +
                                       std::string(e.what())
                                 : std::string("listed but cannot be fetched: ") + e.what());
            return 0;
        }
        std::error_code ignored;
        fs::remove(fetched.path, ignored);
        if (through_link && name == alias.target)
            result_("alias.link", Status::pass, alias.name,
                    "a symbolic link to " + name + " in the same directory");
        else if (through_link)
            result_("alias.link", Status::warn, alias.name,
                    "a symbolic link to " + name + ", not to the current image " + alias.target);
        const bool good = fetched.sha512 == alias.listed;
        result_("file.hash", good ? Status::pass : Status::fail, alias.name,
                good ? "SHA-512 matches"
                     : "SHA-512 does not match the listed hash (tampered, stale or truncated)");
        return fetched.downloaded;
    }

    Fetcher& fetcher_;
    const std::string& scratch_dir_;
    uint64_t max_bytes_;
    const std::map<std::string, std::string>& digests_;
    const AliasResult& result_;
};

} // namespace

std::vector<std::string> current_flavor_images(const std::map<std::string, std::string>& digests,
                                               const std::string& repo,
                                               const std::string& version) {
    const std::string prefix = repo + "-" + version + ".";
    std::vector<std::string> images;
    for (auto it = digests.lower_bound(prefix);
         it != digests.end() && it->first.starts_with(prefix); ++it) {
        const std::string& name = it->first;
        if (name.size() > prefix.size() + 5 && name.ends_with(".sqfs") &&
            flavor_name_problem(name.substr(prefix.size(), name.size() - prefix.size() - 5))
                .empty())
            images.push_back(name);
    }
    return images;
}

bool is_current_alias(const std::string& repo, const std::string& name) {
    return !repo.empty() && current_alias_infix(repo, name).has_value();
}

uint64_t check_current_aliases(Fetcher& fetcher, const std::string& scratch_dir, uint64_t max_bytes,
                               const std::map<std::string, std::string>& digests,
                               const std::string& repo, const std::string& version,
                               const AliasResult& result) {
    const std::string main = repo + "-" + version + ".sqfs";
    AliasContent content(fetcher, scratch_dir, max_bytes, digests, result);
    uint64_t downloaded = 0;
    for (const auto& [name, hash] : digests) {
        const std::optional<std::string> infix = current_alias_infix(repo, name);
        if (!infix)
            continue;
        const std::string flavor = repo + "-" + version + "." + *infix + ".sqfs";
        const Alias alias{name, !infix->empty() && digests.count(flavor) ? flavor : main, hash};
        if (!digests.count(alias.target)) {
            result("alias.target", Status::fail, name,
                   "no current image to name: " + alias.target + " is not listed");
        } else if (digests.at(alias.target) != hash) {
            result("alias.target", Status::fail, name,
                   "listed with another hash than the current image " + alias.target +
                       ": clients fetching it get another version");
        } else {
            result("alias.target", Status::pass, name,
                   "lists the same hash as the current image " + alias.target);
        }
        downloaded += content.check(alias);
    }
    return downloaded;
}

} // namespace squashpub::verifier
