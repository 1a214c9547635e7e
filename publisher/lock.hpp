#pragma once
// One publisher run at a time per state directory: an exclusive flock on
// a lock file, released when the process ends, however it ends.

#include "core/error.hpp"
#include "core/files.hpp"

#include <string>

namespace squashpub::publisher {

// Another run holds the lock (its own exit code, see README).
class LockedError : public Error {
  public:
    using Error::Error;
};

class RunLock {
  public:
    explicit RunLock(const std::string& state_dir);

  private:
    UniqueFd fd_;
};

} // namespace squashpub::publisher

namespace squashpub::publisher {

// One run at a time per mirror directory, whatever its config: runs of the
// repositories sharing a mirror wait for each other (flock on the
// directory itself, so nothing is added to what mirrors copy).
class MirrorLock {
  public:
    explicit MirrorLock(const std::string& mirror_dir);

  private:
    UniqueFd fd_;
};

} // namespace squashpub::publisher
