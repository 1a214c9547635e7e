#pragma once
// Removes temporary files and stops child processes when the process is
// killed by SIGINT, SIGTERM or SIGHUP, so that no run leaves debris behind.
// The handler only uses async-signal-safe calls (unlink, rmdir, kill), so
// paths are kept in fixed slots rather than in heap containers.

#include <string>
#include <sys/types.h>

namespace squashpub::cleanup {

// Installs the signal handlers once; later calls do nothing.
void install_signal_handlers();

// Registers a file (or an empty-at-the-end directory) to remove on a fatal
// signal. Returns a slot to release once the path is committed or removed.
int watch_path(const std::string& path, bool is_directory);
void release_path(int slot);

// Registers a child process to SIGTERM on a fatal signal.
int watch_child(pid_t pid);
void release_child(int slot);

} // namespace squashpub::cleanup
