#pragma once
// Walks an image's directory tree through its decompressed inode and
// directory tables, from the root inode down. Only what the tree reaches
// counts: the stable layout leaves dead records in its tables, so walking
// the inode table from start to end would be wrong.

#include "generator/squashfs/metadata_table.hpp"
#include "generator/squashfs/squashfs_records.hpp"

#include <functional>
#include <string>

namespace squashpub::generator {

struct WalkedInode {
    std::string path; // "" for the root, "dir/name" below it
    InodeRecord inode;
    uint64_t record_offset = 0; // in the inode table's content
    size_t record_size = 0;
    uint64_t listing_offset = 0; // directories: in the directory table's content
};

// Calls visit for every entry, directories before their children, names in
// listing order. Corrupt references, listings or cycles are Errors naming
// image_path.
void walk_inode_tree(const StoredTable& inodes, const StoredTable& directories, uint64_t root_ref,
                     uint32_t block_size, const std::string& image_path,
                     const std::function<void(const WalkedInode&)>& visit);

} // namespace squashpub::generator
