#pragma once
// The initial-sync check: open a snapshot with libsquashfs as the kernel
// or unsquashfs would, walk its whole directory tree and read every file's
// content, so that any unreadable structure or block is found.

#include <cstdint>
#include <string>

namespace squashpub::verifier {

struct WalkStats {
    uint64_t directories = 0;
    uint64_t files = 0;
    uint64_t symlinks = 0;
    uint64_t other = 0;
    uint64_t bytes = 0;
};

WalkStats walk_image(const std::string& path);

} // namespace squashpub::verifier
