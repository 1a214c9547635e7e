#pragma once
// The on-disk records of the SquashFS 4.0 inode and directory tables, as
// plain structs with an exact little-endian encoding and decoding. The
// stable-layout writer places these bytes itself (libsquashfs's writers
// decide positions on their own), and reads them back from the previous
// image to carry its layout over.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::generator {

inline constexpr uint32_t kNoFragment = 0xFFFFFFFF;
inline constexpr uint32_t kNoXattr = 0xFFFFFFFF;

enum class InodeType : uint16_t {
    directory = 1,
    file = 2,
    symlink = 3,
    extended_directory = 8,
    extended_file = 9,
    extended_symlink = 10,
    special = 0xFFFF, // devices, fifos, sockets: read from other images, never written
};

// One inode, whatever its type; fields a type lacks stay at their defaults.
struct InodeRecord {
    InodeType type = InodeType::file;
    uint16_t mode = 0;
    uint16_t uid_index = 0;
    uint16_t gid_index = 0;
    uint32_t mtime = 0;
    uint32_t inode_number = 0;
    uint32_t nlink = 1;
    // directories: listing position in the directory table, size + 3
    uint32_t listing_block = 0;
    uint16_t listing_offset = 0;
    uint32_t listing_size = 3;
    uint32_t parent_inode = 0;
    // regular files
    uint64_t blocks_start = 0;
    uint64_t file_size = 0;
    uint32_t fragment_index = kNoFragment;
    uint32_t fragment_offset = 0;
    std::vector<uint32_t> block_sizes; // on-disk size words
    // symlinks
    std::string symlink_target;

    bool is_directory() const;
    bool is_file() const;
    bool is_symlink() const;
};

std::string encode_inode(const InodeRecord& inode);

// Decodes the record at table[pos]; nullopt if it is truncated or of an
// unknown type. Directory indexes and xattr references are skipped (a
// re-encoded record has neither). size receives the record's length.
std::optional<InodeRecord> decode_inode(const std::string& table, size_t pos, uint32_t block_size,
                                        size_t& size);

// A directory entry as the listing stores it, with the child's inode
// reference (metadata block start << 16 | offset) and number.
struct ListingEntry {
    std::string name;
    uint64_t inode_ref = 0;
    uint32_t inode_number = 0;
    uint16_t basic_type = 0; // 1 directory, 2 file, 3 symlink
};

// Encodes a directory listing: runs of at most 256 entries that share one
// inode metadata block and whose numbers stay within 16 bits of the run's.
std::string encode_listing(const std::vector<ListingEntry>& entries);

// An upper bound of encode_listing's size, known before inode positions are.
uint64_t listing_size_bound(const std::vector<ListingEntry>& entries);

// Decodes size bytes of listing at table[pos]; nullopt if malformed.
std::optional<std::vector<ListingEntry>> decode_listing(const std::string& table, size_t pos,
                                                        size_t size);

} // namespace squashpub::generator
