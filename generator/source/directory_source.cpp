#include "generator/source/directory_source.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "generator/source/git_source.hpp"

#include <algorithm>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace squashpub::generator {
namespace {

std::string read_link(const std::string& path, size_t expected_size) {
    std::string target(expected_size + 1, '\0');
    ssize_t n = ::readlink(path.c_str(), target.data(), target.size());
    if (n < 0)
        throw_errno(path, "cannot read symbolic link");
    if (static_cast<size_t>(n) > expected_size)
        throw Error(path, "symbolic link changed while being read");
    target.resize(static_cast<size_t>(n));
    return target;
}

std::vector<std::string> list_directory(const std::string& path) {
    DIR* dir = ::opendir(path.c_str());
    if (!dir)
        throw_errno(path, "cannot read directory");
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name != "." && name != "..")
            names.push_back(std::move(name));
    }
    const int err = errno;
    ::closedir(dir);
    if (err != 0) {
        errno = err;
        throw_errno(path, "cannot read directory");
    }
    return names;
}

// Walks the directory; hard links are found by (device, inode).
class DirectoryWalker {
  public:
    DirectoryWalker(std::string root, const ExcludeRules& exclude)
        : root_(std::move(root)), exclude_(exclude) {}

    void fill(Node& directory, const std::string& relative) {
        const std::string absolute = relative.empty() ? root_ : root_ + "/" + relative;
        for (const std::string& name : list_directory(absolute)) {
            if (name == ".git")
                continue;
            const std::string child_relative = relative.empty() ? name : relative + "/" + name;
            const std::string child_absolute = root_ + "/" + child_relative;
            struct stat st;
            if (::lstat(child_absolute.c_str(), &st) != 0)
                throw_errno(child_absolute, "cannot stat");
            if (exclude_.excludes(child_relative, S_ISDIR(st.st_mode)))
                continue;
            directory.children.push_back({name, node_for(child_absolute, child_relative, st)});
        }
    }

  private:
    std::shared_ptr<Node> node_for(const std::string& absolute, const std::string& relative,
                                   const struct stat& st) {
        if (S_ISDIR(st.st_mode)) {
            auto node = Node::directory();
            fill(*node, relative);
            return node;
        }
        if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
            if (st.st_nlink > 1) {
                auto linked = hard_links_.find({st.st_dev, st.st_ino});
                if (linked != hard_links_.end())
                    return linked->second;
            }
            auto node = S_ISREG(st.st_mode)
                            ? Node::file(static_cast<uint64_t>(st.st_size),
                                         (st.st_mode & 0111) != 0, absolute)
                            : Node::symlink(read_link(absolute, static_cast<size_t>(st.st_size)));
            if (st.st_nlink > 1)
                hard_links_[{st.st_dev, st.st_ino}] = node;
            return node;
        }
        const char* kind = S_ISFIFO(st.st_mode)   ? "a FIFO"
                           : S_ISSOCK(st.st_mode) ? "a socket"
                                                  : "a device node";
        throw Error(absolute, std::string("is ") + kind +
                                  ", which a snapshot cannot hold (add it to image.exclude)");
    }

    std::string root_;
    const ExcludeRules& exclude_;
    std::map<std::pair<dev_t, ino_t>, std::shared_ptr<Node>> hard_links_;
};

} // namespace

DirectorySource::DirectorySource(std::string directory, const ExcludeRules& exclude)
    : directory_(std::move(directory)) {
    struct stat st;
    if (::stat(directory_.c_str(), &st) != 0)
        throw_errno(directory_, "cannot read source directory");
    if (!S_ISDIR(st.st_mode))
        throw Error(directory_, "not a directory (use --rev to read a git repository)");
    root_ = Node::directory();
    DirectoryWalker(directory_, exclude).fill(*root_, "");
    sort_tree(*root_);
    revision_ = head_revision(directory_);
}

std::optional<uint32_t> DirectorySource::revision_time() const {
    return revision_ ? std::optional<uint32_t>(revision_->time) : std::nullopt;
}

std::optional<std::string> DirectorySource::revision_id() const {
    return revision_ ? std::optional<std::string>(revision_->id) : std::nullopt;
}

void DirectorySource::read_content(const Node& file,
                                   const std::function<void(const uint8_t*, size_t)>& sink) const {
    UniqueFd fd = open_for_reading(file.locator);
    // One buffer per thread, grown to the largest chunk needed: most files
    // are small, and a fresh zero-filled 1 MiB per file dominated the run.
    constexpr size_t kChunk = 1 << 20;
    thread_local std::vector<uint8_t> buffer;
    const size_t wanted = static_cast<size_t>(std::min<uint64_t>(file.size + 1, kChunk));
    if (buffer.size() < wanted)
        buffer.resize(wanted);
    uint64_t offset = 0;
    for (;;) {
        // One byte more than expected, so that a file that grew is noticed.
        size_t n = read_some_at(fd.get(), buffer.data(), wanted, offset, file.locator);
        if (n == 0)
            break;
        offset += n;
        if (offset > file.size)
            break;
        sink(buffer.data(), n);
    }
    if (offset != file.size)
        throw Error(file.locator, "changed size while the image was being built (" +
                                      std::to_string(file.size) + " bytes when listed)");
}

} // namespace squashpub::generator
