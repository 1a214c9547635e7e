#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "config/publisher_config.hpp"
#include "publisher/resign.hpp"

#include <cstdio>

namespace squashpub::cli {
namespace {

const HelpText kHelp{"squashpub resign --config FILE",
                     R"(Re-signs the live sha512sum.txt now: a new Date (and Valid-Until, when the
config sets valid_for) and a fresh signature by every configured key, with
nothing else changed (same files, same hashes). publish does this by itself
when nothing is new and the live manifest is older than resign_after; use
resign after adding or dropping a signing key, or to refresh by hand. Takes
the same locks as publish, and completes or rolls back an interrupted run
first.
)",
                     ""};

} // namespace

config::PublisherConfig load_config_option(const CommandLine& line);

int run_resign(const Args& args) {
    CommandLine line("resign", kHelp);
    line.option("--config", "FILE", "the publisher configuration (required; see README)");
    if (!line.parse(args))
        return kExitOk;
    const config::PublisherConfig config = load_config_option(line);
    const nlohmann::json report = publisher::resign(config);
    std::printf("re-signed the manifest of %s (Date: %s)\n",
                report["current"].get<std::string>().c_str(),
                report.value("date", std::string("?")).c_str());
    return kExitOk;
}

} // namespace squashpub::cli
