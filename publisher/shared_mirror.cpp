#include "publisher/shared_mirror.hpp"

#include "core/error.hpp"
#include "publisher/freshness.hpp"
#include "publisher/shared_manifest.hpp"
#include "publisher/signer.hpp"

namespace squashpub::publisher {
namespace {

std::string join(const std::set<std::string>& names) {
    std::string text;
    for (const std::string& name : names)
        text += (text.empty() ? "" : ", ") + name;
    return text;
}

void check_prefixes(const config::PublisherConfig& config, const std::set<std::string>& others) {
    for (const std::string& other : others)
        if (other.rfind(config.repo + "-", 0) == 0 || config.repo.rfind(other + "-", 0) == 0)
            throw Error(config.mirror_dir,
                        "repository '" + config.repo + "' (" + config.file +
                            ") cannot share this mirror with '" + other +
                            "': clients match Current: tokens by the prefix \"${repo}-\" and "
                            "would mistake one for the other; use another name or mirror_dir");
}

// One manifest carries one signature, so every repository on it must be
// signed (or left unsigned) the same way.
void check_same_signing(const config::PublisherConfig& config, const std::string& live_text,
                        const std::set<std::string>& others) {
    const std::string who = "the manifest shared with " + join(others);
    const bool live_signed = is_clearsigned(live_text);
    if (live_signed && !config.signing)
        throw Error(config.mirror_dir, who + " is signed, but " + config.file +
                                           " has \"signing\": null; one manifest has one "
                                           "signature: configure the same key");
    if (!live_signed && config.signing)
        throw Error(config.mirror_dir, who + " is unsigned, but " + config.file +
                                           " signs; one manifest has one signature: sign "
                                           "every repository of this mirror with the same key");
    std::string signer;
    if (live_signed && !signed_by_key(*config.signing, live_text, &signer))
        throw Error(config.mirror_dir,
                    who + " is signed by " + (signer.empty() ? "an unknown key" : signer) +
                        ", not by signing key " +
                        join({config.signing->keys.begin(), config.signing->keys.end()}) + " of " +
                        config.file +
                        "; one manifest has one signature: use the same key for every "
                        "repository of this mirror");
}

} // namespace

std::set<std::string> other_repositories(const Mirror& mirror, const std::string& repo) {
    std::set<std::string> repos;
    if (std::optional<std::string> text = mirror.live_text())
        repos = repositories_in(signed_part(*text));
    for (const std::string& name : mirror.files())
        if (name.ends_with(".sqfs") && !parse_own_name(repo, name))
            if (const size_t dash = name.rfind('-'); dash != std::string::npos && dash > 0)
                repos.insert(name.substr(0, dash));
    repos.erase(repo);
    return repos;
}

std::string manifest_text(const config::PublisherConfig& config, const Mirror& mirror,
                          const Manifest& ours) {
    // One Date (and Valid-Until) for the whole shared manifest: this run's.
    const std::string body =
        freshness_lines(freshness_for(config)) +
        merged_body(signed_part(mirror.live_text().value_or("")), ours, config.repo);
    return config.signing ? clearsign(*config.signing, body, ours.current) : body;
}

void check_mirror_sharing(const config::PublisherConfig& config, const Mirror& mirror) {
    check_prefixes(config, other_repositories(mirror, config.repo));
    std::optional<std::string> live_text = mirror.live_text();
    if (!live_text)
        return;
    std::set<std::string> sharing = repositories_in(signed_part(*live_text));
    sharing.erase(config.repo);
    if (!sharing.empty())
        check_same_signing(config, *live_text, sharing);
}

} // namespace squashpub::publisher
