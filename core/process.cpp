#include "core/process.hpp"

#include "core/cleanup.hpp"
#include "core/error.hpp"
#include "core/files.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace squashpub {
namespace {

constexpr size_t kMaxStderr = 8192;

// Reads the child's stderr until EOF, keeping the last kMaxStderr bytes.
std::string drain(int fd) {
    std::string text;
    char buffer[4096];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        text.append(buffer, static_cast<size_t>(n));
        if (text.size() > 2 * kMaxStderr)
            text.erase(0, text.size() - kMaxStderr);
    }
    if (text.size() > kMaxStderr)
        text.erase(0, text.size() - kMaxStderr);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    return text;
}

class SpawnActions {
  public:
    SpawnActions() { posix_spawn_file_actions_init(&actions_); }
    ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
    posix_spawn_file_actions_t* get() { return &actions_; }

  private:
    posix_spawn_file_actions_t actions_;
};

} // namespace

std::string ProcessStatus::describe() const {
    std::ostringstream text;
    if (exited)
        text << "exited with status " << exit_code;
    else
        text << "killed by signal " << term_signal << " (" << strsignal(term_signal) << ")";
    if (!stderr_text.empty())
        text << ": " << stderr_text;
    return text.str();
}

std::string find_program(const std::string& program) {
    if (program.find('/') != std::string::npos)
        return program;
    const char* path_env = std::getenv("PATH");
    std::string path = path_env ? path_env : "/usr/bin:/bin";
    std::istringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
        if (::access(candidate.c_str(), X_OK) == 0)
            return candidate;
    }
    throw Error(program, "program not found in PATH (install it: see ci/install-deps)");
}

ProcessStatus run_process(const std::vector<std::string>& argv, const SpawnOptions& options) {
    const std::string program = find_program(argv.at(0));
    int err_pipe[2];
    if (::pipe2(err_pipe, O_CLOEXEC) != 0)
        throw_errno(program, "cannot create a pipe");
    UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);
    UniqueFd dev_null(::open("/dev/null", O_RDWR | O_CLOEXEC));

    SpawnActions actions;
    posix_spawn_file_actions_adddup2(actions.get(),
                                     options.stdin_fd >= 0 ? options.stdin_fd : dev_null.get(), 0);
    posix_spawn_file_actions_adddup2(
        actions.get(), options.stdout_fd >= 0 ? options.stdout_fd : dev_null.get(), 1);
    posix_spawn_file_actions_adddup2(actions.get(), err_write.get(), 2);

    std::vector<char*> args;
    for (const std::string& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);

    pid_t pid = 0;
    int rc = posix_spawn(&pid, program.c_str(), actions.get(), nullptr, args.data(), environ);
    if (rc != 0)
        throw Error(program, "cannot start: " + errno_text(rc));
    int child_slot = cleanup::watch_child(pid);
    err_write = UniqueFd();

    ProcessStatus status;
    status.stderr_text = drain(err_read.get());
    int wait_status = 0;
    while (::waitpid(pid, &wait_status, 0) < 0) {
        if (errno != EINTR) {
            cleanup::release_child(child_slot);
            throw_errno(program, "waitpid failed");
        }
    }
    cleanup::release_child(child_slot);
    if (WIFEXITED(wait_status)) {
        status.exited = true;
        status.exit_code = WEXITSTATUS(wait_status);
    } else {
        status.term_signal = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
    }
    return status;
}

} // namespace squashpub
