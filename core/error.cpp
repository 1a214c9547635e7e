#include "core/error.hpp"

#include <cerrno>
#include <cstring>

namespace squashpub {

Error::Error(std::string subject, std::string problem)
    : std::runtime_error(subject.empty() ? problem : subject + ": " + problem),
      subject_(std::move(subject)), problem_(std::move(problem)) {}

std::string errno_text(int err) {
    char buffer[256];
    // GNU strerror_r returns the message, which may or may not be in buffer.
    return strerror_r(err, buffer, sizeof buffer);
}

void throw_errno(const std::string& subject, const std::string& action) {
    const int err = errno;
    throw Error(subject, action + ": " + errno_text(err));
}

} // namespace squashpub
