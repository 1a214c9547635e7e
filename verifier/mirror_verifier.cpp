#include "verifier/mirror_verifier.hpp"

#include "verifier/client_manifest.hpp"
#include "verifier/client_replay.hpp"
#include "verifier/freshness_check.hpp"
#include "verifier/listed_files.hpp"
#include "verifier/manifest_current.hpp"
#include "verifier/manifest_form.hpp"
#include "verifier/manifest_names.hpp"
#include "verifier/manifest_trust.hpp"
#include "verifier/mirror_repos.hpp"
#include "verifier/verify_context.hpp"

#include <map>

namespace squashpub::verifier {
namespace {

// The client's algorithm (spec §7.5) replayed against the mirror, with
// every check of §8 at the step where the client would trip over it.
class MirrorCheck {
  public:
    explicit MirrorCheck(const VerifyOptions& options)
        : ctx_(options), freshness_(options.source, options.freshness) {}

    Report run() {
        const std::string raw = fetch_manifest(ctx_);
        if (raw.empty() && ctx_.report.has_failures())
            return std::move(ctx_.report);
        check_text_form(ctx_, raw);
        const std::optional<std::string> trusted = trusted_body(ctx_, raw, signed_parts_);
        if (!trusted) {
            // Nothing an untrusted manifest lists is fetched, let alone applied.
            ctx_.result("mirror.files", Status::skip, "",
                        "not checked: the manifest's signature is not valid, so nothing it lists "
                        "is fetched or applied");
            ctx_.report.set_repos(ctx_.options.repos);
            return std::move(ctx_.report);
        }
        freshness_.check_manifest(signed_parts_ ? &*trusted : nullptr, ctx_.report);
        ClientView view = parse_as_client(*trusted);
        check_names(ctx_, view);
        check_duplicates(ctx_, view);
        const std::vector<std::string> repos =
            ctx_.options.repos.empty() ? discover_repos(ctx_, view) : ctx_.options.repos;
        ctx_.report.set_repos(repos);
        std::map<std::string, Listed> files = fetch_files(ctx_, view, repos);
        check_unlisted(ctx_, view);
        std::map<std::string, std::vector<std::string>> deltas = deltas_by_repo(view, repos);
        for (const std::string& repo : repos) {
            ctx_.repo = repo;
            if (signed_parts_)
                check_current_outside_body(ctx_, *signed_parts_, *trusted);
            check_current_in_names(ctx_, view);
            const std::string version = check_current(ctx_, view);
            check_client_view(ctx_, raw, version);
            freshness_.check_repo(repo, version, ctx_.report);
            check_listed_files(ctx_, view, version, files, deltas[repo]);
        }
        ctx_.repo.clear();
        // Deltas no repository checked here can use.
        for (const std::string& name : deltas[""]) {
            ctx_.result("delta.target", Status::warn, name,
                        "does not lead to the current version of a repository: no client will "
                        "ever use it");
            fetch_listed(ctx_, name, view.digests.at(name), ctx_.options.max_file_bytes);
        }
        if (ctx_.timed_out())
            ctx_.result("run.timeout", Status::fail, "",
                        "the run's --timeout of " + std::to_string(ctx_.options.timeout_seconds) +
                            " s expired: later files were not checked");
        freshness_.record(ctx_.report);
        return std::move(ctx_.report);
    }

  private:
    VerifyContext ctx_;
    FreshnessCheck freshness_;
    std::optional<ClearsignedParts> signed_parts_; // when the signature checked out
};

} // namespace

Report verify_mirror(const VerifyOptions& options) {
    return MirrorCheck(options).run();
}

} // namespace squashpub::verifier
