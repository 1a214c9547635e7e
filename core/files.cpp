#include "core/files.hpp"

#include "core/cleanup.hpp"
#include "core/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace squashpub {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = other.release();
    }
    return *this;
}

UniqueFd::~UniqueFd() {
    if (fd_ >= 0)
        ::close(fd_);
}

int UniqueFd::release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
}

UniqueFd open_for_reading(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw_errno(path, "cannot open");
    return UniqueFd(fd);
}

uint64_t file_size_of(int fd, const std::string& path) {
    struct stat st;
    if (::fstat(fd, &st) != 0)
        throw_errno(path, "cannot stat");
    return static_cast<uint64_t>(st.st_size);
}

size_t read_some_at(int fd, void* buffer, size_t size, uint64_t offset, const std::string& path) {
    auto* out = static_cast<char*>(buffer);
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::pread(fd, out + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno(path, "read error");
        }
        if (n == 0)
            break;
        done += static_cast<size_t>(n);
    }
    return done;
}

void read_exact_at(int fd, void* buffer, size_t size, uint64_t offset, const std::string& path) {
    if (read_some_at(fd, buffer, size, offset, path) != size)
        throw Error(path, "unexpected end of file reading " + std::to_string(size) +
                              " bytes at offset " + std::to_string(offset));
}

void write_all(int fd, const void* data, size_t size, const std::string& path) {
    auto* in = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd, in, size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno(path, "write error");
        }
        in += n;
        size -= static_cast<size_t>(n);
    }
}

void write_all_at(int fd, const void* data, size_t size, uint64_t offset, const std::string& path) {
    auto* in = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::pwrite(fd, in, size, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            throw_errno(path, "write error");
        }
        in += n;
        offset += static_cast<uint64_t>(n);
        size -= static_cast<size_t>(n);
    }
}

void copy_range(int from_fd, const std::string& from_path, int to_fd, const std::string& to_path,
                uint64_t offset, uint64_t size) {
    copy_span(from_fd, from_path, offset, to_fd, to_path, offset, size);
}

namespace {

void copy_through_buffer(int from_fd, const std::string& from_path, uint64_t from_offset, int to_fd,
                         const std::string& to_path, uint64_t to_offset, uint64_t size) {
    std::vector<char> buffer(std::min<uint64_t>(size, 1 << 20));
    while (size > 0) {
        size_t chunk = static_cast<size_t>(std::min<uint64_t>(size, buffer.size()));
        read_exact_at(from_fd, buffer.data(), chunk, from_offset, from_path);
        write_all_at(to_fd, buffer.data(), chunk, to_offset, to_path);
        from_offset += chunk;
        to_offset += chunk;
        size -= chunk;
    }
}

// copy_file_range cannot serve this pair of files (another file system,
// an old kernel, a special file): copy through a buffer instead.
bool needs_buffer_copy(int error) {
    return error == EXDEV || error == EOPNOTSUPP || error == ENOSYS || error == EINVAL ||
           error == EBADF || error == ETXTBSY;
}

} // namespace

void copy_span(int from_fd, const std::string& from_path, uint64_t from_offset, int to_fd,
               const std::string& to_path, uint64_t to_offset, uint64_t size) {
    while (size > 0) {
        auto in = static_cast<off_t>(from_offset), out = static_cast<off_t>(to_offset);
        const size_t chunk = static_cast<size_t>(std::min<uint64_t>(size, 1u << 30));
        const ssize_t copied = ::copy_file_range(from_fd, &in, to_fd, &out, chunk, 0);
        if (copied < 0 && errno == EINTR)
            continue;
        if (copied < 0 && needs_buffer_copy(errno))
            return copy_through_buffer(from_fd, from_path, from_offset, to_fd, to_path, to_offset,
                                       size);
        if (copied < 0)
            throw_errno(to_path, "cannot copy from " + from_path);
        if (copied == 0)
            throw Error(from_path, "ends before offset " + std::to_string(from_offset + size));
        from_offset += static_cast<uint64_t>(copied);
        to_offset += static_cast<uint64_t>(copied);
        size -= static_cast<uint64_t>(copied);
    }
}

bool same_content(const std::string& a, const std::string& b) {
    UniqueFd first = open_for_reading(a), second = open_for_reading(b);
    const uint64_t size = file_size_of(first.get(), a);
    if (size != file_size_of(second.get(), b))
        return false;
    constexpr uint64_t kChunk = 1 << 20;
    std::vector<char> x(std::min(size, kChunk)), y(x.size());
    for (uint64_t offset = 0; offset < size; offset += kChunk) {
        const auto chunk = static_cast<size_t>(std::min(kChunk, size - offset));
        read_exact_at(first.get(), x.data(), chunk, offset, a);
        read_exact_at(second.get(), y.data(), chunk, offset, b);
        if (std::memcmp(x.data(), y.data(), chunk) != 0)
            return false;
    }
    return true;
}

std::string read_whole_file(const std::string& path) {
    UniqueFd fd = open_for_reading(path);
    std::string content(file_size_of(fd.get(), path), '\0');
    content.resize(read_some_at(fd.get(), content.data(), content.size(), 0, path));
    return content;
}

void fsync_file(const std::string& path) {
    UniqueFd fd = open_for_reading(path);
    if (::fsync(fd.get()) != 0)
        throw_errno(path, "cannot fsync");
}

void fsync_directory(const std::string& directory) {
    UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd)
        throw_errno(directory, "cannot open directory");
    if (::fsync(fd.get()) != 0)
        throw_errno(directory, "cannot fsync directory");
}

std::string parent_directory(const std::string& path) {
    std::filesystem::path parent = std::filesystem::path(path).parent_path();
    return parent.empty() ? "." : parent.string();
}

std::string default_temp_root() {
    const char* tmpdir = std::getenv("TMPDIR");
    return (tmpdir && *tmpdir) ? tmpdir : "/tmp";
}

AtomicOutput::AtomicOutput(std::string final_path) : final_path_(std::move(final_path)) {
    cleanup::install_signal_handlers();
    const std::filesystem::path final_fs(final_path_);
    // Appended, not `"." + filename()`: GCC 12 at -O3 warns falsely
    // (-Wrestrict) on prepending a literal to a temporary string.
    std::string temp_name = ".";
    temp_name += final_fs.filename().string();
    temp_name += ".tmp.XXXXXX";
    const std::string pattern = std::filesystem::path(parent_directory(final_path_)) / temp_name;
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    int fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd < 0)
        throw_errno(final_path_, "cannot create a temporary file beside it");
    fd_ = UniqueFd(fd);
    temp_path_ = name.data();
    cleanup_slot_ = cleanup::watch_path(temp_path_, false);
    // mkostemp creates 0600; published files are world-readable like any
    // file a mirror serves. fchmod ignores the umask on purpose: the mode
    // must not depend on the environment.
    ::fchmod(fd, 0644);
}

AtomicOutput::~AtomicOutput() {
    if (!committed_)
        ::unlink(temp_path_.c_str());
    cleanup::release_path(cleanup_slot_);
}

void AtomicOutput::commit(Durability durability) {
    if (durability == Durability::synced && ::fsync(fd_.get()) != 0)
        throw_errno(temp_path_, "cannot fsync");
    if (::rename(temp_path_.c_str(), final_path_.c_str()) != 0)
        throw_errno(final_path_, "cannot rename " + temp_path_ + " into place");
    committed_ = true;
    cleanup::release_path(cleanup_slot_);
    cleanup_slot_ = -1;
    if (durability == Durability::synced)
        fsync_directory(parent_directory(final_path_));
}

TempDir::TempDir(const std::string& parent, const std::string& prefix) {
    cleanup::install_signal_handlers();
    std::string pattern =
        (parent.empty() ? default_temp_root() : parent) + "/" + prefix + ".XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (!::mkdtemp(name.data()))
        throw_errno(pattern, "cannot create a temporary directory");
    path_ = name.data();
    cleanup_slot_ = cleanup::watch_path(path_, true);
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
    cleanup::release_path(cleanup_slot_);
}

TempFile::TempFile(std::string path) : path_(std::move(path)) {
    cleanup::install_signal_handlers();
    create();
    cleanup_slot_ = cleanup::watch_path(path_, false);
}

void TempFile::create() {
    int fd = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        throw_errno(path_, "cannot create temporary file");
    fd_ = UniqueFd(fd);
}

void TempFile::recreate() {
    ::unlink(path_.c_str()); // before the close, so the close writes nothing back
    fd_ = UniqueFd();
    create();
}

TempFile::~TempFile() {
    ::unlink(path_.c_str());
    cleanup::release_path(cleanup_slot_);
}

} // namespace squashpub
