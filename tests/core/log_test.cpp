// Journald priority prefixes: present exactly when stderr is the stream
// JOURNAL_STREAM names (the systemd convention), absent otherwise.
#include "core/log.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace squashpub {
namespace {

// Runs log calls with stderr on a fresh pipe and returns what they wrote.
// journal: JOURNAL_STREAM names that pipe; else it names another file.
std::string logged_with_stderr_on_pipe(bool journal) {
    int pipe_fds[2];
    EXPECT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
    struct stat pipe_info, other_info;
    EXPECT_EQ(fstat(pipe_fds[1], &pipe_info), 0);
    EXPECT_EQ(stat("/", &other_info), 0);
    const struct stat& named = journal ? pipe_info : other_info;
    const std::string stream = std::to_string(named.st_dev) + ":" + std::to_string(named.st_ino);
    setenv("JOURNAL_STREAM", stream.c_str(), 1);

    std::fflush(stderr);
    const int saved = dup(STDERR_FILENO);
    dup2(pipe_fds[1], STDERR_FILENO);
    close(pipe_fds[1]);
    const Verbosity before = verbosity();
    set_verbosity(Verbosity::verbose);
    const bool detected = stderr_is_journal();
    log_error("e");
    log_warning("w");
    log_info("i");
    log_verbose("v");
    set_verbosity(before);
    std::fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    unsetenv("JOURNAL_STREAM");
    EXPECT_EQ(detected, journal);

    std::string text;
    char buffer[4096];
    ssize_t got;
    while ((got = read(pipe_fds[0], buffer, sizeof buffer)) > 0)
        text.append(buffer, static_cast<size_t>(got));
    close(pipe_fds[0]);
    return text;
}

TEST(Log, JournalStreamGetsSyslogPriorities) {
    EXPECT_EQ(logged_with_stderr_on_pipe(true), "<3>squashpub: error: e\n"
                                                "<4>squashpub: warning: w\n"
                                                "<6>squashpub: i\n"
                                                "<7>squashpub: v\n");
}

TEST(Log, OtherStderrGetsPlainLines) {
    EXPECT_EQ(logged_with_stderr_on_pipe(false), "squashpub: error: e\n"
                                                 "squashpub: warning: w\n"
                                                 "squashpub: i\n"
                                                 "squashpub: v\n");
}

TEST(Log, MalformedJournalStreamIsIgnored) {
    for (const char* value : {"", "12", "1:2:3", "x:y", "1:2x"}) {
        setenv("JOURNAL_STREAM", value, 1);
        EXPECT_FALSE(stderr_is_journal()) << value;
    }
    unsetenv("JOURNAL_STREAM");
}

} // namespace
} // namespace squashpub
