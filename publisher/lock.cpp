#include "publisher/lock.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace squashpub::publisher {

RunLock::RunLock(const std::string& state_dir) {
    const std::string path = state_dir + "/lock";
    fd_ = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (!fd_)
        throw_errno(path, "cannot open lock file");
    if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK)
            throw LockedError(path, "another squashpub run holds the lock; try again later");
        throw_errno(path, "cannot lock");
    }
    // For the admin's eyes only: which process holds it.
    const std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_.get(), 0) == 0)
        write_all_at(fd_.get(), pid.data(), pid.size(), 0, path);
}

} // namespace squashpub::publisher
