#include "verifier/manifest_names.hpp"

#include "core/safe_name.hpp"

#include <map>
#include <set>

namespace squashpub::verifier {

// Names are data: a listed name that is not a plain file name is never
// fetched, opened or written (a "../../etc/passwd" line would otherwise
// write outside the scratch directory, or read outside the mirror).
void check_names(VerifyContext& ctx, ClientView& view) {
    std::set<std::string> refused;
    for (const DigestLine& line : view.lines) {
        const std::string reason = unsafe_name_reason(line.name);
        if (reason.empty() || refused.count(line.name))
            continue;
        refused.insert(line.name);
        ctx.result("manifest.names", Status::fail, line.name,
                   "line " + std::to_string(line.line_number) + ": not a plain file name (" +
                       reason + "); never fetched, opened or written");
    }
    for (const std::string& name : refused)
        view.digests.erase(name);
    std::erase_if(view.lines, [&](const DigestLine& line) { return refused.count(line.name) > 0; });
    if (refused.empty())
        ctx.result("manifest.names", Status::pass, kManifest,
                   "every listed name is a plain file name");
}

// §8 item 17.
void check_duplicates(VerifyContext& ctx, const ClientView& view) {
    std::map<std::string, std::set<std::string>> hashes;
    std::map<std::string, int> count;
    for (const DigestLine& line : view.lines) {
        hashes[line.name].insert(line.sha512);
        ++count[line.name];
    }
    for (const auto& [name, n] : count) {
        if (n < 2)
            continue;
        if (hashes[name].size() > 1)
            ctx.result("manifest.duplicates", Status::fail, name,
                       "listed " + std::to_string(n) +
                           " times with different hashes; the client keeps the last");
        else
            ctx.result("manifest.duplicates", Status::warn, name,
                       "listed " + std::to_string(n) + " times with the same hash");
    }
}

} // namespace squashpub::verifier
