#include "verifier/mirror_repos.hpp"

#include "core/names.hpp"

#include <algorithm>

namespace squashpub::verifier {

// The repositories the trusted body's Current: tokens name, read the
// way the client reads them; the version has no '-' (core/names), so
// the repository is everything before the last one. A name outside the
// repository grammar is reported and never checked.
std::vector<std::string> discover_repos(VerifyContext& ctx, const ClientView& view) {
    std::vector<std::string> repos;
    for (const std::string& token : view.current_tokens) {
        const size_t dash = token.rfind('-');
        const std::string repo = dash == std::string::npos ? "" : token.substr(0, dash);
        const std::string problem =
            repo.empty() ? "is not ${repo}-${version}" : repo_name_problem(repo);
        if (!problem.empty()) {
            ctx.result("names.repo", Status::fail, kManifest,
                       "Current: token '" + token.substr(0, 200) + "': repository '" +
                           repo.substr(0, 100) + "' " + problem + "; not checked");
            continue;
        }
        if (std::find(repos.begin(), repos.end(), repo) == repos.end())
            repos.push_back(repo);
    }
    if (repos.empty())
        ctx.result("current.token", Status::fail, kManifest,
                   "no Current: ${repo}-${version} token in the trusted text names a repository");
    return repos;
}

// The checked repository a listed name belongs to: the longest whose
// "${repo}-" prefixes it ("gentoo-kde-1.sqfs" is gentoo-kde's, not
// gentoo's); "" for none.
std::string owner(const std::string& name, const std::vector<std::string>& repos) {
    std::string best;
    for (const std::string& repo : repos)
        if (name.rfind(repo + "-", 0) == 0 && repo.size() > best.size())
            best = repo;
    return best;
}

std::map<std::string, std::vector<std::string>>
deltas_by_repo(const ClientView& view, const std::vector<std::string>& repos) {
    std::map<std::string, std::vector<std::string>> deltas;
    for (const auto& [name, hash] : view.digests)
        if (name.ends_with(".sqdelta"))
            deltas[owner(name, repos)].push_back(name);
    return deltas;
}

} // namespace squashpub::verifier
