#pragma once
// A full disk named as such. Some writers (libsquashfs, xdelta3) report a
// failed write without its errno ("libsquashfs error -2"); after a failure
// the filesystems the run writes to are looked at, and a full one turns
// the error into "PATH: no space left on device (...)".

#include <exception>
#include <string>
#include <vector>

namespace squashpub::publisher {

// Throws the clearer error when one of directories is on a full
// filesystem; returns (the caller rethrows) otherwise.
void rethrow_if_disk_full(const std::exception& error, const std::vector<std::string>& directories);

} // namespace squashpub::publisher
