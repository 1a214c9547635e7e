#include "verifier/bounded_child.hpp"

#include "core/cleanup.hpp"
#include "core/error.hpp"
#include "core/files.hpp"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace squashpub::verifier {
namespace {

constexpr size_t kMaxStderr = 8192;

void decode_wait_status(int wait_status, ProcessStatus& status) {
    if (WIFEXITED(wait_status)) {
        status.exited = true;
        status.exit_code = WEXITSTATUS(wait_status);
    } else {
        status.term_signal = WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : 0;
    }
}

void close_fd(int& fd) {
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

} // namespace

BoundedChild::BoundedChild(const std::vector<std::string>& argv, int stdin_fd)
    : program_(find_program(argv.at(0))) {
    cleanup::install_signal_handlers();
    int out_pipe[2], err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0)
        throw_errno(program_, "cannot create a pipe");
    UniqueFd out_read(out_pipe[0]), out_write(out_pipe[1]);
    if (::pipe2(err_pipe, O_CLOEXEC) != 0)
        throw_errno(program_, "cannot create a pipe");
    UniqueFd err_read(err_pipe[0]), err_write(err_pipe[1]);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
    std::vector<char*> args;
    for (const std::string& arg : argv)
        args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid_, program_.c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw Error(program_, "cannot start: " + errno_text(rc));
    cleanup_slot_ = cleanup::watch_child(pid_);
    stdout_fd_ = out_read.release();
    stderr_fd_ = err_read.release();
}

BoundedChild::~BoundedChild() {
    if (pid_ > 0) {
        ProcessStatus ignored;
        kill_and_reap(ignored);
    }
    close_fd(stdout_fd_);
    close_fd(stderr_fd_);
}

void BoundedChild::kill_and_reap(ProcessStatus& status) {
    ::kill(pid_, SIGKILL);
    int wait_status = 0;
    while (::waitpid(pid_, &wait_status, 0) < 0 && errno == EINTR) {
    }
    decode_wait_status(wait_status, status);
    cleanup::release_child(cleanup_slot_);
    pid_ = -1;
}

BoundedChild::Result BoundedChild::copy_output(int out_fd, const std::string& out_path,
                                               uint64_t max_bytes) {
    Result result;
    std::vector<char> buffer(1 << 16);
    std::string& err_text = result.status.stderr_text;
    while (stdout_fd_ >= 0 || stderr_fd_ >= 0) {
        pollfd fds[2] = {{stdout_fd_, POLLIN, 0}, {stderr_fd_, POLLIN, 0}};
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            throw_errno(program_, "poll failed");
        }
        if (fds[1].revents) {
            const ssize_t n = ::read(stderr_fd_, buffer.data(), buffer.size());
            if (n <= 0 && !(n < 0 && errno == EINTR))
                close_fd(stderr_fd_);
            else if (n > 0 && err_text.append(buffer.data(), size_t(n)).size() > 2 * kMaxStderr)
                err_text.erase(0, err_text.size() - kMaxStderr);
        }
        if (!fds[0].revents)
            continue;
        const ssize_t n = ::read(stdout_fd_, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close_fd(stdout_fd_);
            continue;
        }
        if (result.bytes + uint64_t(n) > max_bytes) {
            result.over_limit = true;
            kill_and_reap(result.status);
            return result;
        }
        write_all(out_fd, buffer.data(), size_t(n), out_path);
        result.bytes += uint64_t(n);
    }
    int wait_status = 0;
    while (::waitpid(pid_, &wait_status, 0) < 0) {
        if (errno != EINTR)
            throw_errno(program_, "waitpid failed");
    }
    decode_wait_status(wait_status, result.status);
    cleanup::release_child(cleanup_slot_);
    pid_ = -1;
    if (err_text.size() > kMaxStderr)
        err_text.erase(0, err_text.size() - kMaxStderr);
    while (!err_text.empty() && (err_text.back() == '\n' || err_text.back() == '\r'))
        err_text.pop_back();
    return result;
}

} // namespace squashpub::verifier
