#include "verifier/listed_files.hpp"

#include "core/error.hpp"
#include "verifier/alias_check.hpp"
#include "verifier/mirror_repos.hpp"

#include <set>

namespace squashpub::verifier {

Listed fetch_listed(VerifyContext& ctx, const std::string& name, const std::string& sha512,
                    uint64_t max_bytes) {
    Listed listed{name, sha512, std::nullopt, false};
    const auto start = std::chrono::steady_clock::now();
    try {
        listed.fetched = ctx.fetcher->fetch(name, ctx.downloads(), max_bytes);
    } catch (const UnreachableError& e) {
        ctx.result("file.present", Status::fail, name, e.what(), {}, since(start));
        return listed;
    } catch (const Error& e) {
        ctx.result("file.present", Status::fail, name,
                   std::string("listed but cannot be fetched: ") + e.what(), {}, since(start));
        return listed;
    }
    ctx.report.add_downloaded(listed.fetched->downloaded);
    listed.good = listed.fetched->sha512 == sha512;
    ctx.result("file.hash", listed.good ? Status::pass : Status::fail, name,
               listed.good ? "SHA-512 matches"
                           : "SHA-512 does not match the listed hash (tampered or truncated)",
               {{"bytes", listed.fetched->bytes}}, since(start));
    return listed;
}

// Every listed file but the deltas, fetched once, each result under the
// repository it belongs to.
std::map<std::string, Listed> fetch_files(VerifyContext& ctx, const ClientView& view,
                                          const std::vector<std::string>& repos) {
    std::map<std::string, Listed> files;
    for (const auto& [name, hash] : view.digests)
        if (!name.ends_with(".sqdelta") && !is_current_alias(owner(name, repos), name)) {
            ctx.repo = owner(name, repos); // aliases: check_listed_files
            files[name] = fetch_listed(ctx, name, hash, ctx.options.max_file_bytes);
        }
    ctx.repo.clear();
    return files;
}

void check_unlisted(VerifyContext& ctx, const ClientView& view) {
    std::optional<std::set<std::string>> present = ctx.fetcher->list();
    if (!present) {
        ctx.result("mirror.unlisted", Status::skip, "", "an http mirror cannot be listed");
        return;
    }
    size_t unlisted = 0;
    for (const std::string& name : *present) {
        if (name == kManifest || name.front() == '.' || view.digests.count(name))
            continue;
        ++unlisted;
        ctx.result("mirror.unlisted", Status::warn, name,
                   "present but not listed: no client uses it");
    }
    if (unlisted == 0)
        ctx.result("mirror.unlisted", Status::pass, "", "every file is listed");
}

} // namespace squashpub::verifier
