#pragma once
// Errors a user can act on. Each names its subject (a file, a config key, a
// command) and the problem; the CLI prints "subject: problem" and maps the
// type to an exit code.

#include <stdexcept>
#include <string>

namespace squashpub {

class Error : public std::runtime_error {
  public:
    Error(std::string subject, std::string problem);

    const std::string& subject() const { return subject_; }
    const std::string& problem() const { return problem_; }

  private:
    std::string subject_;
    std::string problem_;
};

// Bad command line or configuration: exit code 2.
class UsageError : public Error {
  public:
    using Error::Error;
};

// strerror() as a std::string, thread-safe.
std::string errno_text(int err);

// Throws Error(subject, action + ": " + strerror(errno)).
[[noreturn]] void throw_errno(const std::string& subject, const std::string& action);

} // namespace squashpub
