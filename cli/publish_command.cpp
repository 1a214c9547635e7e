#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "config/publisher_config.hpp"
#include "core/error.hpp"
#include "core/names.hpp"
#include "publisher/dry_run.hpp"
#include "publisher/publish_run.hpp"

#include <cstdio>

namespace squashpub::cli {
namespace {

const HelpText kHelp{
    "squashpub publish --config FILE [--rev REV] [--version V] [--force]\n"
    "                         [--allow-downgrade] [--dry-run [--json]]",
    R"(The nightly job: builds today's snapshot, archives it, builds and test-applies
deltas from the last published versions, writes and signs sha512sum.txt,
publishes atomically and prunes by policy. Running it again with the same
tree does nothing. One run at a time (a lock in the state directory).
)",
    ""};

} // namespace

config::PublisherConfig load_config_option(const CommandLine& line) {
    auto path = line.value("--config");
    if (!path)
        throw UsageError("squashpub", "--config FILE is required");
    return config::load_publisher_config(*path);
}

int run_publish(const Args& args) {
    CommandLine line("publish", kHelp);
    line.option("--config", "FILE", "the publisher configuration (required; see README)");
    line.option("--rev", "REV", "publish this git revision instead of the configured one");
    line.option("--version", "V", "the version name (default: from the config's version scheme)");
    line.flag("--force", "replace an already published version with different content");
    line.flag("--allow-downgrade", "publish a commit older (committer time) than the current\n"
                                   "snapshot's; refused without it");
    line.flag("--dry-run", "print the plan (version, images, deltas and their sources,\n"
                           "what would be pruned from the mirror and the archive) and\n"
                           "change nothing: no lock, no file, no directory");
    line.flag("--json", "with --dry-run: the plan as one JSON object");
    if (!line.parse(args))
        return kExitOk;
    const config::PublisherConfig config = load_config_option(line);
    publisher::PublishOptions publish;
    publish.rev = line.value("--rev");
    publish.version = line.value("--version");
    if (publish.version) // before any work, not after the image is built
        require_valid_version(*publish.version, "--version");
    publish.force = line.has("--force");
    publish.allow_downgrade = line.has("--allow-downgrade");
    if (line.has("--json") && !line.has("--dry-run"))
        throw UsageError("publish", "--json needs --dry-run");
    if (line.has("--dry-run")) {
        const publisher::PublishDryRun plan = publisher::plan_publish(config, publish);
        std::fputs(line.has("--json") ? (plan.to_json().dump(2) + "\n").c_str()
                                      : plan.text().c_str(),
                   stdout);
        return kExitOk;
    }
    publisher::PublishOutcome outcome = publisher::publish(config, publish);
    if (outcome.changed)
        std::printf("published %s-%s: %zu deltas\n", config.repo.c_str(), outcome.version.c_str(),
                    outcome.report["deltas"].size());
    else
        std::printf("%s-%s already published; %s\n", config.repo.c_str(), outcome.version.c_str(),
                    outcome.report.value("resigned", false) ? "manifest re-signed (freshness)"
                                                            : "nothing changed");
    return kExitOk;
}

} // namespace squashpub::cli
