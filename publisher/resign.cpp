#include "publisher/resign.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "publisher/archive.hpp"
#include "publisher/crash_point.hpp"
#include "publisher/directory_roles.hpp"
#include "publisher/freshness.hpp"
#include "publisher/lock.hpp"
#include "publisher/recovery.hpp"
#include "publisher/shared_manifest.hpp"
#include "publisher/shared_mirror.hpp"
#include "publisher/signer.hpp"

#include <filesystem>

namespace fs = std::filesystem;

namespace squashpub::publisher {

void resign_live_manifest(const config::PublisherConfig& config, const Mirror& mirror,
                          const PublisherState& state) {
    const std::optional<Manifest> recorded = state.current_manifest();
    if (!recorded)
        throw Error(config.mirror_dir,
                    "nothing of " + config.repo + " is published yet: nothing to re-sign");
    const std::optional<Manifest> live = mirror.live_manifest(config.repo);
    if (!live || live->current != recorded->current || live->files != recorded->files)
        throw Error(mirror.path(kManifestName),
                    "is not the manifest of " + config.repo + " recorded in " + config.state_dir +
                        "; refusing to re-sign it (run squashpub repair, or publish)");
    Journal journal;
    journal.version = recorded->current.substr(config.repo.size() + 1);
    journal.manifest_body = recorded->body();
    state.write_journal(journal);
    crash_point("resign-journal");
    const std::string text = manifest_text(config, mirror, *recorded);
    mirror.publish_manifest(text);
    crash_point("resign-manifest");
    state.clear_journal();
    const std::optional<UtcTime> date = date_of(signed_part(text));
    log_info("re-signed " + mirror.path(kManifestName) +
             " (Date: " + (date ? format_utc(*date) : "?") + ")");
}

std::vector<std::string> warn_about_expiring_keys(const config::PublisherConfig& config) {
    if (!config.signing)
        return {};
    std::vector<std::string> warnings =
        expiry_warnings(*config.signing, config.warn_key_expiry_days);
    for (const std::string& warning : warnings)
        log_warning(warning);
    return warnings;
}

nlohmann::json resign(const config::PublisherConfig& config) {
    check_directory_roles(config);
    if (!fs::exists(config.state_dir))
        throw Error(config.state_dir, "does not exist: nothing of " + config.repo +
                                          " is published yet, nothing to re-sign");
    RunLock lock(config.state_dir);
    MirrorLock mirror_lock(config.mirror_dir);
    Mirror mirror(config.mirror_dir);
    PublisherState state(config.state_dir);
    if (config.signing)
        check_signing_key(*config.signing);
    const std::vector<std::string> warnings = warn_about_expiring_keys(config);
    check_mirror_sharing(config, mirror);
    Archive archive(config.archive_dir, config.repo, config.archive, config.jobs);
    recover_interrupted_run(
        mirror, state, archive, mirror.staging_root(config.state_dir, config.repo),
        config.grace_generations + 1,
        [&](const Manifest& own) { return manifest_text(config, mirror, own); });
    resign_live_manifest(config, mirror, state);
    const std::string body = signed_part(mirror.live_text().value_or(""));
    nlohmann::json report = {{"resigned", true},
                             {"current", state.current_manifest()->current},
                             {"signed", config.signing.has_value()},
                             {"key_expiry_warnings", warnings}};
    if (std::optional<UtcTime> date = date_of(body))
        report["date"] = format_utc(*date);
    state.write_report(report);
    return report;
}

} // namespace squashpub::publisher
