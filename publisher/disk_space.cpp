#include "publisher/disk_space.hpp"

#include "core/error.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

namespace squashpub::publisher {
namespace {

// Less than this free counts as full: a failed write leaves at most a
// partial block behind, and nothing useful fits anyway.
constexpr unsigned long long kNearlyFull = 1 << 20;

bool is_full(const std::string& directory) {
    struct statvfs info;
    if (::statvfs(directory.c_str(), &info) != 0)
        return false;
    // Root may write into the reserved blocks, so for root only f_bfree counts.
    const unsigned long long blocks = ::geteuid() == 0 ? info.f_bfree : info.f_bavail;
    return blocks * info.f_frsize < kNearlyFull;
}

std::string describe(const std::exception& error) {
    if (const auto* ours = dynamic_cast<const Error*>(&error))
        return ours->subject() + ": " + ours->problem();
    return error.what();
}

} // namespace

void rethrow_if_disk_full(const std::exception& error,
                          const std::vector<std::string>& directories) {
    if (describe(error).find(errno_text(ENOSPC)) != std::string::npos)
        return; // already says so, with its path
    for (const std::string& directory : directories)
        if (is_full(directory))
            throw Error(directory, "no space left on device (" + describe(error) + ")");
}

} // namespace squashpub::publisher
