#pragma once
// Running external programs (xdelta3) with posix_spawn: explicit argv, no
// shell, chosen descriptors for stdin/stdout, stderr captured for messages,
// and a status that tells an exit code from a death by signal.

#include <string>
#include <vector>

namespace squashpub {

struct ProcessStatus {
    bool exited = false; // true: exit_code is valid; false: killed by term_signal
    int exit_code = 0;
    int term_signal = 0;
    std::string stderr_text; // the last few KiB of what the program wrote to stderr

    bool succeeded() const { return exited && exit_code == 0; }
    // "exited with status 1: <stderr>" or "killed by signal 9 (Killed)".
    std::string describe() const;
};

struct SpawnOptions {
    int stdin_fd = -1;  // -1: /dev/null
    int stdout_fd = -1; // -1: /dev/null
};

// Runs argv[0] (searched in PATH) to completion. Throws Error only if it
// cannot be started; a failing program is reported in the status.
ProcessStatus run_process(const std::vector<std::string>& argv, const SpawnOptions& options);

// The full path of program in PATH, or an Error naming it.
std::string find_program(const std::string& program);

} // namespace squashpub
