#pragma once
// The previous day's image, read for `--layout-from`: every entry by path
// with its inode record and where that record and its listing sit, the
// decompressed tables, and every fragment block's content. The stable
// layout writer carries all of that over for what did not change.

#include "config/image_config.hpp"
#include "core/files.hpp"
#include "generator/inode_tree.hpp"
#include "generator/sqfs_codec_adapter.hpp"
#include "generator/squashfs_super.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace squashpub::generator {

struct PreviousFragment {
    uint64_t start = 0;
    uint32_t size_word = 0; // on-disk size, bit 24 set when stored uncompressed
    std::string content;    // decompressed
};

class PreviousImage {
  public:
    // Reads the whole image; corrupt structures are Errors naming path.
    PreviousImage(const std::string& path, const config::ImageOptions& options);

    const std::string& path() const { return path_; }
    const SquashfsSuper& super() const { return super_; }
    const StoredTable& inodes() const { return inodes_; }
    const StoredTable& directories() const { return directories_; }
    const std::vector<PreviousFragment>& fragments() const { return fragments_; }
    // By path: "" is the root, "dir/name" below it.
    const WalkedInode* find(const std::string& path) const;
    const std::unordered_map<std::string, WalkedInode>& entries() const { return entries_; }

    // The stored (compressed) bytes of a file's full blocks, back to back.
    std::string stored_blocks(const InodeRecord& file) const;
    // The stored bytes of fragment block index.
    std::string stored_fragment(uint32_t index) const;
    // The content of a file's full block number index.
    std::string block_content(const InodeRecord& file, size_t index) const;
    // The part of a file kept in a fragment (empty if none).
    std::string_view tail(const InodeRecord& file) const;
    // Hands fragment block index's content over (to the packer, which
    // keeps what did not change): tail() cannot read that block afterwards.
    std::string take_fragment_content(uint32_t index);

  private:
    void read_fragments(const std::function<std::optional<size_t>(const uint8_t*, size_t, uint8_t*,
                                                                  size_t)>& decompress);

    std::string path_;
    UniqueFd fd_;
    SquashfsSuper super_;
    StoredTable inodes_;
    StoredTable directories_;
    std::vector<PreviousFragment> fragments_;
    std::unordered_map<std::string, WalkedInode> entries_;
    std::unique_ptr<sqfs_compressor_t, SqfsObjectDeleter> decompressor_;
};

// The previous image if its settings allow carrying its layout over (same
// compressor, level and block size); otherwise a warning and nullopt.
std::unique_ptr<PreviousImage> load_previous_image(const std::string& path,
                                                   const config::ImageOptions& options);

} // namespace squashpub::generator
