#include "generator/squashfs/sqfs_fd_file.hpp"

#include <cerrno>
#include <sqfs/error.h>
#include <unistd.h>

namespace squashpub::generator {
namespace {

struct FdFile {
    sqfs_file_t base; // first: pointer-interconvertible with the C interface
    int fd;
    sqfs_u64 size;
};

FdFile* self(sqfs_file_t* base) {
    return reinterpret_cast<FdFile*>(base);
}

int read_at(sqfs_file_t* base, sqfs_u64 offset, void* buffer, size_t size) {
    auto* out = static_cast<char*>(buffer);
    while (size > 0) {
        ssize_t n = ::pread(self(base)->fd, out, size, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return SQFS_ERROR_IO;
        if (n == 0)
            return SQFS_ERROR_OUT_OF_BOUNDS;
        out += n;
        offset += static_cast<sqfs_u64>(n);
        size -= static_cast<size_t>(n);
    }
    return 0;
}

int write_at(sqfs_file_t* base, sqfs_u64 offset, const void* buffer, size_t size) {
    FdFile* file = self(base);
    auto* in = static_cast<const char*>(buffer);
    const sqfs_u64 end = offset + size;
    while (size > 0) {
        ssize_t n = ::pwrite(file->fd, in, size, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return SQFS_ERROR_IO;
        in += n;
        offset += static_cast<sqfs_u64>(n);
        size -= static_cast<size_t>(n);
    }
    if (end > file->size)
        file->size = end;
    return 0;
}

sqfs_u64 get_size(const sqfs_file_t* base) {
    return reinterpret_cast<const FdFile*>(base)->size;
}

int truncate(sqfs_file_t* base, sqfs_u64 size) {
    if (::ftruncate(self(base)->fd, static_cast<off_t>(size)) != 0)
        return SQFS_ERROR_IO;
    self(base)->size = size;
    return 0;
}

void destroy(sqfs_object_t* object) {
    delete reinterpret_cast<FdFile*>(object);
}

} // namespace

SqfsFilePtr make_sqfs_fd_file(int fd) {
    auto* file = new FdFile{};
    file->base.base.destroy = destroy;
    file->base.base.copy = nullptr;
    file->base.read_at = read_at;
    file->base.write_at = write_at;
    file->base.get_size = get_size;
    file->base.truncate = truncate;
    file->fd = fd;
    file->size = static_cast<sqfs_u64>(::lseek(fd, 0, SEEK_END));
    return SqfsFilePtr(&file->base);
}

} // namespace squashpub::generator
