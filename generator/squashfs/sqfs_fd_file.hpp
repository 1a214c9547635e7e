#pragma once
// A libsquashfs sqfs_file_t over a descriptor we own (the temporary file of
// an AtomicOutput), so libsquashfs never opens or renames files itself.

#include "generator/squashfs/sqfs_codec_adapter.hpp"

#include <sqfs/io.h>

namespace squashpub::generator {

using SqfsFilePtr = std::unique_ptr<sqfs_file_t, SqfsObjectDeleter>;

// The descriptor stays owned by the caller and must outlive the object.
SqfsFilePtr make_sqfs_fd_file(int fd);

} // namespace squashpub::generator
