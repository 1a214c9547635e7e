#pragma once
// A child process (xdelta3 -d) whose standard output is read through a
// pipe and copied to a file with a byte limit: once the limit is passed the
// child is killed, so hostile input bounds neither its output nor the time
// it takes. Registered with core/cleanup while it runs, so a fatal signal
// stops it too.

#include "core/process.hpp"

#include <cstdint>
#include <string>
#include <sys/types.h>
#include <vector>

namespace squashpub::verifier {

class BoundedChild {
  public:
    // Starts argv[0] (searched in PATH) with stdin from stdin_fd.
    BoundedChild(const std::vector<std::string>& argv, int stdin_fd);
    BoundedChild(const BoundedChild&) = delete;
    BoundedChild& operator=(const BoundedChild&) = delete;
    ~BoundedChild(); // kills and reaps a child still running

    struct Result {
        ProcessStatus status;
        bool over_limit = false; // killed for writing more than max_bytes
        uint64_t bytes = 0;      // written to out_fd
    };
    // Copies the child's stdout to out_fd (from its current position) until
    // EOF or until more than max_bytes arrive, then reaps the child.
    Result copy_output(int out_fd, const std::string& out_path, uint64_t max_bytes);

  private:
    void kill_and_reap(ProcessStatus& status);

    std::string program_;
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    int stderr_fd_ = -1;
    int cleanup_slot_ = -1;
};

} // namespace squashpub::verifier
