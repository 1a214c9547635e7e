#include "cli/command_line.hpp"
#include "cli/commands.hpp"

#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "publisher/archive.hpp"
#include "publisher/directory_roles.hpp"
#include "publisher/freshness.hpp"
#include "publisher/mirror.hpp"
#include "publisher/repair.hpp"
#include "publisher/retention.hpp"
#include "publisher/shared_manifest.hpp"
#include "publisher/signer.hpp"
#include "publisher/state.hpp"

#include <cstdio>
#include <filesystem>

namespace squashpub::cli {
namespace {

const HelpText kHelp{"squashpub status --config FILE",
                     "Shows what is published, what is archived, and what a repair would change.\n",
                     ""};

// A shared mirror serves other repositories too: show each one's Current:.
void print_shared_repositories(const publisher::Mirror& mirror, const std::string& repo) {
    std::optional<std::string> text = mirror.live_text();
    if (!text)
        return;
    const std::string body = publisher::signed_part(*text);
    for (const std::string& name : publisher::repositories_in(body)) {
        const publisher::Manifest part = publisher::own_part(body, name);
        std::printf("repository %s%s: Current: %s, %zu files listed\n", name.c_str(),
                    name == repo ? " (this config)" : "", part.current.c_str(), part.files.size());
    }
}

// What the archive costs, by kind, and what retention keeps it to.
void print_archive_disk_use(const config::PublisherConfig& config) {
    const publisher::ArchiveDiskUse use = publisher::archive_disk_use(config);
    std::printf("archive disk use: %s (%llu bytes): %zu full images %s (%llu bytes), %zu reverse "
                "deltas %s (%llu bytes), other %llu bytes\n",
                format_bytes(use.total()).c_str(), static_cast<unsigned long long>(use.total()),
                use.full_images, format_bytes(use.full_bytes).c_str(),
                static_cast<unsigned long long>(use.full_bytes), use.reverse_deltas,
                format_bytes(use.reverse_delta_bytes).c_str(),
                static_cast<unsigned long long>(use.reverse_delta_bytes),
                static_cast<unsigned long long>(use.other_bytes));
    if (!config.archive_keep) {
        std::printf("archive retention: none (archive_keep unset: every version is kept)\n");
        return;
    }
    const bool drop = config.archive_keep->policy == config::ArchiveKeep::Policy::drop;
    std::printf("archive retention: the newest %u versions as stored, older ones %s",
                publisher::archive_window(config), drop ? "dropped" : "as reverse deltas");
    if (config.archive_keep->max_versions)
        std::printf(", at most %u versions", *config.archive_keep->max_versions);
    std::printf("\n");
}

// Each signing key's expiry and its signing subkey's, so that operators
// see a coming expiry before the night it breaks publishing.
void print_signing_keys(const config::PublisherConfig& config) {
    if (!config.signing) {
        std::printf("signing: none (unsigned on purpose)\n");
        return;
    }
    auto when = [](const std::optional<UtcTime>& time) {
        return time ? "expires " + format_utc(*time) : std::string("does not expire");
    };
    try {
        for (const publisher::KeyExpiry& key : publisher::signing_key_expiries(*config.signing))
            std::printf("signing key %s: %s; signing subkey %s: %s\n", key.fingerprint.c_str(),
                        when(key.key_expires).c_str(),
                        key.signing_subkey.empty() ? "none valid" : key.signing_subkey.c_str(),
                        when(key.signing_subkey_expires).c_str());
    } catch (const Error& error) {
        std::printf("signing: %s\n", error.what());
    }
}

// When the live manifest was signed and until when clients accept it.
void print_freshness(const publisher::Mirror& mirror, const config::PublisherConfig& config) {
    const std::string body = publisher::signed_part(mirror.live_text().value_or(""));
    const std::optional<UtcTime> date = publisher::date_of(body);
    const std::optional<UtcTime> until = publisher::valid_until_of(body);
    std::printf("manifest Date: %s, Valid-Until: %s", date ? format_utc(*date).c_str() : "none",
                until ? format_utc(*until).c_str() : "none");
    if (config.resign_after)
        std::printf(" (publish re-signs it once %s old)",
                    format_duration(*config.resign_after).c_str());
    std::printf("\n");
}

} // namespace

config::PublisherConfig load_config_option(const CommandLine& line);

int run_status(const Args& args) {
    CommandLine line("status", kHelp);
    line.option("--config", "FILE", "the publisher configuration (required; see README)");
    if (!line.parse(args))
        return kExitOk;
    const config::PublisherConfig config = load_config_option(line);
    // Before PublisherState and Mirror create their directories: a config
    // crossed with another one's directories is refused with nothing made.
    publisher::check_directory_roles(config);

    publisher::PublisherState state(config.state_dir);
    publisher::Mirror mirror(config.mirror_dir);
    std::optional<publisher::Manifest> manifest = state.current_manifest();
    if (!manifest) {
        std::printf("nothing of %s published yet in %s\n", config.repo.c_str(),
                    config.mirror_dir.c_str());
        print_shared_repositories(mirror, config.repo);
        return kExitOk;
    }
    std::printf("mirror %s\ncurrent: %s\n", config.mirror_dir.c_str(), manifest->current.c_str());
    print_freshness(mirror, config);
    print_signing_keys(config);
    print_shared_repositories(mirror, config.repo);
    for (const auto& [name, hash] : manifest->files) {
        std::error_code missing;
        const auto size = std::filesystem::file_size(mirror.path(name), missing);
        std::printf("  %-60s %s\n", name.c_str(), missing ? "MISSING" : format_bytes(size).c_str());
    }
    publisher::Archive archive(config.archive_dir, config.repo, config.archive, config.jobs);
    std::printf("archive %s: %zu versions\n", config.archive_dir.c_str(),
                archive.versions().size());
    for (const publisher::ArchivedVersion& entry : archive.versions())
        std::printf("  %-20s %s%s\n", entry.version.c_str(),
                    entry.stored_as_delta ? "reverse delta" : "full image",
                    entry.published ? "" : " (not published)");
    print_archive_disk_use(config);
    if (state.journal())
        std::printf("an interrupted run will be recovered by the next publish or repair\n");
    const publisher::RepairPlan plan = publisher::plan_repair(config);
    if (plan.actions.empty())
        std::printf("repair: nothing to do\n");
    for (const publisher::RepairAction& action : plan.actions)
        std::printf("repair would %s\n", publisher::describe(action).c_str());
    return kExitOk;
}

} // namespace squashpub::cli
