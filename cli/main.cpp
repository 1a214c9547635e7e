// squashpub: publishes SquashFS snapshots of a git repository and
// squashmerge-compatible deltas between them. This file only dispatches.

#include "cli/commands.hpp"
#include "core/cleanup.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/version.hpp"
#include "publisher/lock.hpp"

#include <cstdio>
#include <cstring>
#include <exception>

namespace {

const char* kUsage = R"(usage: squashpub <command> [options] [--help]

Commands:
  image    build a reproducible SquashFS image of a checkout or git revision
  delta    compute a squashmerge-compatible delta between two images
  apply    apply a delta with squashpub's independent client implementation
  publish  the nightly job: snapshot, deltas, signed manifest, atomic publish
  repair   regenerate missing deltas and snapshots of a published mirror
  resign   re-sign the live manifest now (new Date/Valid-Until, same files)
  status   show what is published and archived, and what repair would do
  verify   replay the client against a published mirror (directory or URL), for CI

Options for every command: --verbose, --quiet, --help.
squashpub --version prints the version.
)";

struct Command {
    const char* name;
    int (*run)(const squashpub::cli::Args&);
};

const Command kCommands[] = {
    {"image", squashpub::cli::run_image},   {"delta", squashpub::cli::run_delta},
    {"apply", squashpub::cli::run_apply},   {"publish", squashpub::cli::run_publish},
    {"repair", squashpub::cli::run_repair}, {"status", squashpub::cli::run_status},
    {"verify", squashpub::cli::run_verify}, {"resign", squashpub::cli::run_resign},
};

} // namespace

int main(int argc, char** argv) {
    using namespace squashpub;
    cleanup::install_signal_handlers();
    if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
        std::fputs(kUsage, argc < 2 ? stderr : stdout);
        return argc < 2 ? cli::kExitUsage : cli::kExitOk;
    }
    if (!std::strcmp(argv[1], "--version")) {
        std::printf("squashpub %s\n", kVersion);
        return cli::kExitOk;
    }
    const cli::Args args(argv + 2, argv + argc);
    for (const Command& command : kCommands) {
        if (std::strcmp(argv[1], command.name) != 0)
            continue;
        try {
            return command.run(args);
        } catch (const publisher::LockedError& e) {
            log_error(e.what());
            return cli::kExitLocked;
        } catch (const UsageError& e) {
            log_error(e.what());
            return cli::kExitUsage;
        } catch (const std::exception& e) {
            log_error(e.what());
            return cli::kExitFailure;
        }
    }
    log_error(std::string("unknown command '") + argv[1] + "' (see squashpub --help)");
    return cli::kExitUsage;
}
