#pragma once
// Writes SquashFS metadata tables whose record positions are decided before
// compression, with leading blocks that may be forced uncompressed (their
// on-disk size is then fixed). The stable layout needs both, which
// libsquashfs's meta writer does not offer.

#include "generator/squashfs/metadata_table.hpp"
#include "generator/squashfs/sqfs_codec_adapter.hpp"

namespace squashpub::generator {

// Compresses content into a table: the first raw_blocks blocks are stored
// uncompressed, the rest compressed where that makes them smaller.
StoredTable store_table(std::string content, size_t raw_blocks, sqfs_compressor_t* compressor,
                        unsigned jobs);

// The reference of a content offset in a stored table.
uint64_t table_ref(const StoredTable& table, uint64_t content_offset);

// The on-disk bytes of a table made by store_table.
std::string stored_bytes(const StoredTable& table);

} // namespace squashpub::generator
