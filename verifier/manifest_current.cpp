#include "verifier/manifest_current.hpp"

#include "core/safe_name.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace squashpub::verifier {
namespace {

bool contains_current_marker(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return text.find("current:") != std::string::npos;
}

} // namespace

// Tokens for repo in a piece of text the client reads.
std::vector<std::string> tokens_for(const std::string& text, const std::string& repo) {
    std::vector<std::string> ours;
    for (const std::string& token : parse_as_client(text).current_tokens)
        if (token.rfind(repo + "-", 0) == 0)
            ours.push_back(token);
    return ours;
}

// §8 items 13 and 21.
std::string check_current(VerifyContext& ctx, const ClientView& view) {
    std::vector<std::string> ours;
    for (const std::string& token : view.current_tokens)
        if (token.rfind(ctx.repo + "-", 0) == 0)
            ours.push_back(token);
    const std::string version = current_version(view, ctx.repo);
    if (version.empty()) {
        ctx.result("current.token", Status::fail, kManifest,
                   "no Current: " + ctx.repo + "-VERSION in the trusted text");
        return "";
    }
    std::set<std::string> distinct(ours.begin(), ours.end());
    ctx.result("current.token", distinct.size() == 1 ? Status::pass : Status::fail, kManifest,
               distinct.size() == 1 ? "Current: " + ours.front()
                                    : std::to_string(distinct.size()) +
                                          " different Current: tokens match " + ctx.repo +
                                          "-: the client's match is ambiguous and it takes the "
                                          "first, " +
                                          ours.front());
    // Spec §7.4: "gentoo-kde-20150401" matches ^gentoo-(.*)$ with
    // version "kde-20150401": another repository's snapshot.
    if (version.find('-') != std::string::npos)
        ctx.result("current.prefix-collision", Status::fail, kManifest,
                   "Current: " + ctx.repo + "-" + version + " matches '" + ctx.repo +
                       "-' only as a prefix: the client takes version '" + version +
                       "', which may be repository '" + ctx.repo + "-" +
                       version.substr(0, version.find('-')) + "''s snapshot");
    else
        ctx.result("current.prefix-collision", Status::pass, kManifest,
                   "the version has no '-': no other repository's name can match");
    const std::string snapshot = ctx.repo + "-" + version + ".sqfs";
    if (!is_safe_name(snapshot)) {
        ctx.result("manifest.names", Status::fail, snapshot,
                   "the current snapshot's name is not a plain file name (" +
                       unsafe_name_reason(snapshot) + "); never fetched");
        return "";
    }
    if (ctx.repo.find_first_of(".*+?[](){}|^$\\") != std::string::npos)
        ctx.result("names.repo", Status::warn, kManifest,
                   "repository name has regex metacharacters; the client does not escape them");
    return version;
}

// What the client, which reads the whole file, would take as current.
void check_client_view(VerifyContext& ctx, const std::string& raw, const std::string& version) {
    if (version.empty())
        return;
    const std::string client = current_version(parse_as_client(raw), ctx.repo);
    ctx.result("current.client-view", client == version ? Status::pass : Status::fail, kManifest,
               client == version ? "the client reads the same version, " + version
                                 : "the client reading the whole file takes version '" + client +
                                       "', the trusted text says '" + version + "'");
}

// A listed name containing "current:" is also a Current: line to the
// client (spec §7.4): a failure when it yields a token for this
// repository, which the client may follow, a warning otherwise.
void check_current_in_names(VerifyContext& ctx, const ClientView& view) {
    bool any = false;
    for (const DigestLine& line : view.lines) {
        if (!contains_current_marker(line.name))
            continue;
        const std::vector<std::string> ours = tokens_for(line.name, ctx.repo);
        any = true;
        ctx.result("manifest.current-in-name", ours.empty() ? Status::warn : Status::fail,
                   line.name,
                   "line " + std::to_string(line.line_number) +
                       ": the name contains \"current:\", which the client reads as a "
                       "Current: line" +
                       (ours.empty() ? std::string(" (no token for " + ctx.repo + ")")
                                     : "; it yields " + ours.front() + " for " + ctx.repo));
    }
    if (!any)
        ctx.result("manifest.current-in-name", Status::pass, kManifest,
                   "no listed name contains \"current:\"");
}

} // namespace squashpub::verifier
