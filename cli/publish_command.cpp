#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "config/publisher_config.hpp"
#include "core/error.hpp"
#include "core/names.hpp"
#include "publisher/dry_run.hpp"
#include "publisher/publish_run.hpp"

#include <cstdio>

namespace squashpub::cli {
namespace {

const char* kHelp = R"(usage: squashpub publish --config FILE [--rev REV] [--version V] [--force]
                         [--allow-downgrade] [--dry-run [--json]]

The nightly job: builds today's snapshot, archives it, builds and test-applies
deltas from the last published versions, writes and signs sha512sum.txt,
publishes atomically and prunes by policy. Running it again with the same
tree does nothing. One run at a time (a lock in the state directory).

Options:
  --config FILE   the publisher configuration (required; see README)
  --rev REV       publish this git revision instead of the configured one
  --version V     the version name (default: from the config's version scheme)
  --force         replace an already published version with different content
  --allow-downgrade
                  publish a commit older (committer time) than the current
                  snapshot's; refused without it
  --dry-run       print the plan (version, images, deltas and their sources,
                  what would be pruned from the mirror and the archive) and
                  change nothing: no lock, no file, no directory
  --json          with --dry-run: the plan as one JSON object
  --verbose, --quiet
)";

} // namespace

config::PublisherConfig load_config_option(const CommandLine& options) {
    auto path = options.value("--config");
    if (!path)
        throw UsageError("squashpub", "--config FILE is required");
    return config::load_publisher_config(*path);
}

config::PublisherConfig load_config_option(const ParsedOptions& options) {
    auto path = options.value("--config");
    if (!path)
        throw UsageError("squashpub", "--config FILE is required");
    return config::load_publisher_config(*path);
}

int run_publish(const Args& args) {
    if (wants_help(args, kHelp))
        return kExitOk;
    OptionSpec spec{{"--config", "--rev", "--version"},
                    {"--force", "--allow-downgrade", "--dry-run", "--json"}};
    add_common_options(spec);
    ParsedOptions options("publish", args, spec);
    apply_common_options(options);
    options.expect_positionals(0, "squashpub publish --config FILE [--rev REV] [--version V]");
    const config::PublisherConfig config = load_config_option(options);
    publisher::PublishOptions publish;
    publish.rev = options.value("--rev");
    publish.version = options.value("--version");
    if (publish.version) // before any work, not after the image is built
        require_valid_version(*publish.version, "--version");
    publish.force = options.has("--force");
    publish.allow_downgrade = options.has("--allow-downgrade");
    if (options.has("--json") && !options.has("--dry-run"))
        throw UsageError("publish", "--json needs --dry-run");
    if (options.has("--dry-run")) {
        const publisher::PublishDryRun plan = publisher::plan_publish(config, publish);
        std::fputs(options.has("--json") ? (plan.to_json().dump(2) + "\n").c_str()
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
