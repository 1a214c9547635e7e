#include "publisher/lock.hpp"

#include "core/log.hpp"

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

namespace squashpub::publisher {

MirrorLock::MirrorLock(const std::string& mirror_dir) {
    fd_ = UniqueFd(::open(mirror_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd_)
        throw_errno(mirror_dir, "cannot open the mirror directory to lock it");
    if (::flock(fd_.get(), LOCK_EX | LOCK_NB) == 0)
        return;
    if (errno != EWOULDBLOCK)
        throw_errno(mirror_dir, "cannot lock the mirror directory");
    log_info(mirror_dir + ": waiting for another repository's run on this mirror");
    while (::flock(fd_.get(), LOCK_EX) != 0)
        if (errno != EINTR)
            throw_errno(mirror_dir, "cannot lock the mirror directory");
}

} // namespace squashpub::publisher
