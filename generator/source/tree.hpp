#pragma once
// The file tree an image is built from, whatever it was read from. Entries
// are names pointing at nodes; two entries sharing one node are hard links.
// Children are sorted bytewise by name, the order SquashFS directories need
// and the one that makes images independent of readdir order.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::generator {

enum class NodeKind { directory, file, symlink };

struct Node;

struct Entry {
    std::string name;
    std::shared_ptr<Node> node;
};

struct Node {
    NodeKind kind = NodeKind::file;
    // Normalised like git does (0644/0755 files, 0755 directories, 0777
    // symlinks), so images depend neither on the umask nor on the source.
    uint16_t permissions = 0644;
    uint64_t size = 0;           // regular files
    std::string symlink_target;  // symlinks
    std::string locator;         // how the source finds the content (path or object id)
    std::vector<Entry> children; // directories

    static std::shared_ptr<Node> directory();
    static std::shared_ptr<Node> file(uint64_t size, bool executable, std::string locator);
    static std::shared_ptr<Node> symlink(std::string target);
};

// Sorts every directory's children bytewise, recursively.
void sort_tree(Node& root);

// Where a tree and its file contents come from.
class TreeSource {
  public:
    virtual ~TreeSource() = default;

    virtual const Node& root() const = 0;
    // Streams a regular file's content in chunks. Throws an Error naming the
    // file if it cannot be read or its size changed since the tree was read.
    virtual void read_content(const Node& file,
                              const std::function<void(const uint8_t*, size_t)>& sink) const = 0;
    // The timestamp images get when none is configured: the committer time
    // of the revision, if the source knows one.
    virtual std::optional<uint32_t> revision_time() const = 0;
    // The full commit hash the tree comes from, if known.
    virtual std::optional<std::string> revision_id() const = 0;
    // Names the source in messages: a path, or "repo@rev".
    virtual std::string describe() const = 0;
};

} // namespace squashpub::generator
