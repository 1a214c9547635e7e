#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "config/publisher_config.hpp"
#include "publisher/resign.hpp"

#include <cstdio>

namespace squashpub::cli {
namespace {

const char* kHelp = R"(usage: squashpub resign --config FILE

Re-signs the live sha512sum.txt now: a new Date (and Valid-Until, when the
config sets valid_for) and a fresh signature by every configured key, with
nothing else changed (same files, same hashes). publish does this by itself
when nothing is new and the live manifest is older than resign_after; use
resign after adding or dropping a signing key, or to refresh by hand. Takes
the same locks as publish, and completes or rolls back an interrupted run
first.

Options:
  --config FILE   the publisher configuration (required; see README)
  --verbose, --quiet
)";

} // namespace

config::PublisherConfig load_config_option(const ParsedOptions& options);

int run_resign(const Args& args) {
    if (wants_help(args, kHelp))
        return kExitOk;
    OptionSpec spec{{"--config"}, {}};
    add_common_options(spec);
    ParsedOptions options("resign", args, spec);
    apply_common_options(options);
    options.expect_positionals(0, "squashpub resign --config FILE");
    const config::PublisherConfig config = load_config_option(options);
    const nlohmann::json report = publisher::resign(config);
    std::printf("re-signed the manifest of %s (Date: %s)\n",
                report["current"].get<std::string>().c_str(),
                report.value("date", std::string("?")).c_str());
    return kExitOk;
}

} // namespace squashpub::cli
