#pragma once
// The previous day's image, read for `--layout-from`: every entry by path
// with its inode record and where that record and its listing sit, the
// decompressed tables, and where every fragment block is stored. The stable
// layout writer carries all of that over for what did not change. Data and
// fragment blocks are read when asked for, never all at once: they are most
// of the image.

#include "config/image_config.hpp"
#include "core/files.hpp"
#include "generator/squashfs/inode_tree.hpp"
#include "generator/squashfs/sqfs_codec_adapter.hpp"
#include "generator/squashfs/squashfs_super.hpp"

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
    // The part of a file kept in a fragment (empty if none). The last few
    // fragment blocks read are kept decompressed: files are asked for in
    // tree order, and their tails mostly sit in tree order too.
    std::string tail(const InodeRecord& file) const;
    // Fragment block index's content, decompressed with decompressor (one
    // per thread: a libsquashfs compressor object is not thread-safe).
    std::string fragment_content(uint32_t index, sqfs_compressor_t* decompressor) const;
    // A decompressor for fragment_content on another thread.
    SqfsCompressorPtr make_decompressor() const;

  private:
    const std::string& recent_fragment(uint32_t index) const;
    void read_fragment_table(
        const std::function<std::optional<size_t>(const uint8_t*, size_t, uint8_t*, size_t)>&
            decompress);

    std::string path_;
    UniqueFd fd_;
    SquashfsSuper super_;
    StoredTable inodes_;
    StoredTable directories_;
    std::vector<PreviousFragment> fragments_;
    std::unordered_map<std::string, WalkedInode> entries_;
    config::ImageOptions options_;
    SqfsCompressorPtr decompressor_;
    // tail()'s recently read fragment blocks, most recent first.
    mutable std::vector<std::pair<uint32_t, std::string>> recent_fragments_;
};

// The previous image if its settings allow carrying its layout over (same
// compressor, level and block size); otherwise a warning and nullopt.
std::unique_ptr<PreviousImage> load_previous_image(const std::string& path,
                                                   const config::ImageOptions& options);

} // namespace squashpub::generator
