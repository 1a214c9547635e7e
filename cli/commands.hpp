#pragma once
// One function per subcommand. Each parses its own flags, calls into its
// part of squashpub and returns the process exit code; errors propagate as
// exceptions that main() turns into one line and an exit code.

#include <string>
#include <vector>

namespace squashpub::cli {

using Args = std::vector<std::string>;

int run_image(const Args& args);
int run_delta(const Args& args);
int run_apply(const Args& args);
int run_publish(const Args& args);
int run_repair(const Args& args);
int run_resign(const Args& args);
int run_status(const Args& args);
int run_verify(const Args& args);

// Exit codes shared by every subcommand (documented in README.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1; // the work failed or found problems
inline constexpr int kExitUsage = 2;   // bad command line or configuration
inline constexpr int kExitLocked = 4;  // another publisher run holds the lock

} // namespace squashpub::cli
