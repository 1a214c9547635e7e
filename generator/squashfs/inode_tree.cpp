#include "generator/squashfs/inode_tree.hpp"

#include "core/error.hpp"

#include <set>

namespace squashpub::generator {
namespace {

constexpr size_t kMaxDepth = 1024;

class TreeWalker {
  public:
    TreeWalker(const StoredTable& inodes, const StoredTable& directories, uint32_t block_size,
               const std::string& image_path, const std::function<void(const WalkedInode&)>& visit)
        : inodes_(inodes), directories_(directories), block_size_(block_size),
          image_path_(image_path), visit_(visit) {}

    void walk(uint64_t ref, const std::string& path, size_t depth) {
        // Every name takes at least 9 bytes of listing: more visits than
        // that means directories shared between parents (a crafted image
        // that would otherwise take exponential time).
        if (++visits_ > directories_.content.size() / 9 + 1)
            corrupt("directory tree has more entries than its listings can hold");
        WalkedInode walked = read_inode(ref, path);
        if (!walked.inode.is_directory()) {
            visit_(walked);
            return;
        }
        if (depth > kMaxDepth || !open_directories_.insert(walked.record_offset).second)
            corrupt("directory '" + display(path) + "' contains itself");
        const uint32_t listing_size = walked.inode.listing_size;
        std::vector<ListingEntry> entries;
        if (listing_size > 3) {
            const uint64_t listing_ref =
                uint64_t{walked.inode.listing_block} << 16 | walked.inode.listing_offset;
            auto offset = directories_.content_offset(listing_ref);
            if (!offset)
                corrupt("listing of '" + display(path) + "' points outside the directory table");
            walked.listing_offset = *offset;
            auto decoded = decode_listing(directories_.content, *offset, listing_size - 3);
            if (!decoded)
                corrupt("listing of '" + display(path) + "' is malformed");
            entries = std::move(*decoded);
        }
        visit_(walked);
        for (const ListingEntry& entry : entries) {
            if (entry.name.empty() || entry.name == "." || entry.name == ".." ||
                entry.name.find('/') != std::string::npos)
                corrupt("directory '" + display(path) + "' has an invalid entry name");
            walk(entry.inode_ref, path.empty() ? entry.name : path + "/" + entry.name, depth + 1);
        }
        open_directories_.erase(walked.record_offset);
    }

  private:
    WalkedInode read_inode(uint64_t ref, const std::string& path) {
        WalkedInode walked;
        walked.path = path;
        auto offset = inodes_.content_offset(ref);
        if (!offset)
            corrupt("inode of '" + display(path) + "' points outside the inode table");
        auto inode = decode_inode(inodes_.content, *offset, block_size_, walked.record_size);
        if (!inode)
            corrupt("inode of '" + display(path) + "' is malformed");
        walked.inode = std::move(*inode);
        walked.record_offset = *offset;
        return walked;
    }

    static std::string display(const std::string& path) { return path.empty() ? "/" : path; }

    [[noreturn]] void corrupt(const std::string& what) const {
        throw Error(image_path_, "corrupt image: " + what);
    }

    const StoredTable& inodes_;
    const StoredTable& directories_;
    uint32_t block_size_;
    const std::string& image_path_;
    const std::function<void(const WalkedInode&)>& visit_;
    std::set<uint64_t> open_directories_;
    uint64_t visits_ = 0;
};

} // namespace

void walk_inode_tree(const StoredTable& inodes, const StoredTable& directories, uint64_t root_ref,
                     uint32_t block_size, const std::string& image_path,
                     const std::function<void(const WalkedInode&)>& visit) {
    TreeWalker(inodes, directories, block_size, image_path, visit).walk(root_ref, "", 0);
}

} // namespace squashpub::generator
