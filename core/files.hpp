#pragma once
// File primitives: owned descriptors, exact reads and writes that report the
// file by name, atomic outputs (temporary file in the target directory,
// fsync, rename) and temporary directories that remove themselves.

#include <cstddef>
#include <cstdint>
#include <string>

namespace squashpub {

// A file descriptor closed on destruction.
class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept;
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd();

    int get() const { return fd_; }
    int release();
    explicit operator bool() const { return fd_ >= 0; }

  private:
    int fd_ = -1;
};

UniqueFd open_for_reading(const std::string& path);
uint64_t file_size_of(int fd, const std::string& path);

// Reads exactly size bytes at offset; a short file is an error naming path.
void read_exact_at(int fd, void* buffer, size_t size, uint64_t offset, const std::string& path);
// Reads up to size bytes at offset, returning how many were read (0 at end).
size_t read_some_at(int fd, void* buffer, size_t size, uint64_t offset, const std::string& path);
void write_all(int fd, const void* data, size_t size, const std::string& path);
void write_all_at(int fd, const void* data, size_t size, uint64_t offset, const std::string& path);
// Copies [offset, offset+size) of one file to another at the same offset.
void copy_range(int from_fd, const std::string& from_path, int to_fd, const std::string& to_path,
                uint64_t offset, uint64_t size);
// Copies size bytes at from_offset to to_offset of another file, inside the
// kernel where the file systems allow it (copy_file_range): the expanded
// files of a night's deltas are gigabytes, and a trip through user memory
// doubles what copying them costs.
void copy_span(int from_fd, const std::string& from_path, uint64_t from_offset, int to_fd,
               const std::string& to_path, uint64_t to_offset, uint64_t size);
// Whether two files hold the same bytes (a stronger check than equal
// digests, and cheaper than computing one).
bool same_content(const std::string& a, const std::string& b);

std::string read_whole_file(const std::string& path);
void fsync_file(const std::string& path);
void fsync_directory(const std::string& directory);
std::string parent_directory(const std::string& path);

// How far commit() goes. A scratch file (a test-apply's rebuilt image, read
// back and removed by the same run) skips the fsyncs: they bought nothing
// there, and on a night of deltas each one forced hundreds of megabytes to
// disk while the other thread's fsync waited behind it in the journal.
enum class Durability { synced, scratch };

// An output file that appears under its final name only on commit(). Until
// then it is a hidden temporary file in the same directory, removed by the
// destructor or on a fatal signal, so a failed run leaves nothing behind.
class AtomicOutput {
  public:
    explicit AtomicOutput(std::string final_path);
    AtomicOutput(const AtomicOutput&) = delete;
    AtomicOutput& operator=(const AtomicOutput&) = delete;
    ~AtomicOutput();

    int fd() const { return fd_.get(); }
    const std::string& temp_path() const { return temp_path_; }
    const std::string& final_path() const { return final_path_; }
    // fsync the data, rename over the final name, fsync the directory
    // (a scratch file only renames).
    void commit(Durability durability = Durability::synced);

  private:
    std::string final_path_;
    std::string temp_path_;
    UniqueFd fd_;
    int cleanup_slot_ = -1;
    bool committed_ = false;
};

// A private temporary directory, removed with its contents on destruction.
class TempDir {
  public:
    // parent empty: $TMPDIR, else /tmp.
    explicit TempDir(const std::string& parent = "", const std::string& prefix = "squashpub");
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    const std::string& path() const { return path_; }
    std::string file(const std::string& name) const { return path_ + "/" + name; }

  private:
    std::string path_;
    int cleanup_slot_ = -1;
};

// A file in a TempDir, registered for removal on a fatal signal.
class TempFile {
  public:
    explicit TempFile(std::string path);
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    ~TempFile();

    int fd() const { return fd_.get(); }
    const std::string& path() const { return path_; }

    // Empty again: a new file under the same path. Never a truncation to
    // zero: ext4 then writes the file back to disk when any descriptor of
    // it is next closed (auto_da_alloc), which cost a night's deltas
    // gigabytes of writes for files deleted seconds later.
    void recreate();

  private:
    void create();

    std::string path_;
    UniqueFd fd_;
    int cleanup_slot_ = -1;
};

std::string default_temp_root();

} // namespace squashpub
