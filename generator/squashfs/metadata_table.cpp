#include "generator/squashfs/metadata_table.hpp"

#include "core/byte_order.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "generator/squashfs/squashfs_super.hpp"

#include <algorithm>

namespace squashpub::generator {
namespace {

constexpr uint16_t kUncompressedBit = 0x8000;

} // namespace

std::optional<uint64_t> StoredTable::content_offset(uint64_t ref) const {
    const uint64_t start = ref >> 16;
    const uint64_t offset = ref & 0xFFFF;
    auto it = std::lower_bound(block_starts.begin(), block_starts.end(), start);
    if (it == block_starts.end() || *it != start || offset >= kMetadataBlockSize)
        return std::nullopt;
    return static_cast<uint64_t>(it - block_starts.begin()) * kMetadataBlockSize + offset;
}

size_t StoredTable::leading_raw_blocks() const {
    size_t count = 0;
    while (count < block_compressed.size() && !block_compressed[count])
        ++count;
    return count;
}

namespace {

// Reads the block at offset, which must end by end, into table (whose
// block starts count from base); returns the offset after it.
uint64_t read_block_into(StoredTable& table, int fd, const std::string& path, uint64_t base,
                         uint64_t offset, uint64_t end, const Decompress& decompress,
                         const std::string& what) {
    uint8_t word_raw[2];
    if (offset > end || end - offset < 2)
        throw Error(path, "corrupt image: " + what + " ends inside a block header");
    read_exact_at(fd, word_raw, 2, offset, path);
    const uint16_t word = load_le16(word_raw);
    const size_t size = word & ~kUncompressedBit;
    if (size == 0 || size > kMetadataBlockSize || size > end - offset - 2)
        throw Error(path, "corrupt image: " + what + " block at offset " + std::to_string(offset) +
                              " has a bad size");
    std::string stored(size, '\0');
    read_exact_at(fd, stored.data(), size, offset + 2, path);
    if (table.content.size() % kMetadataBlockSize != 0)
        throw Error(path, "corrupt image: " + what + " has a short block before its last");
    const bool compressed = !(word & kUncompressedBit);
    table.block_starts.push_back(offset - base);
    table.block_compressed.push_back(compressed);
    table.block_sizes.push_back(static_cast<uint32_t>(size));
    table.stored_size += 2 + size;
    if (!compressed) {
        table.content += stored;
        return offset + 2 + size;
    }
    std::string plain(kMetadataBlockSize, '\0');
    const auto n = decompress(reinterpret_cast<const uint8_t*>(stored.data()), size,
                              reinterpret_cast<uint8_t*>(plain.data()), plain.size());
    if (!n || *n == 0)
        throw Error(path, "corrupt image: " + what + " block at offset " + std::to_string(offset) +
                              " does not decompress");
    table.content.append(plain.data(), *n);
    return offset + 2 + size;
}

} // namespace

StoredTable read_stored_table(int fd, const std::string& path, uint64_t start, uint64_t end,
                              const Decompress& decompress, const std::string& what) {
    StoredTable table;
    for (uint64_t offset = start; offset < end;)
        offset = read_block_into(table, fd, path, start, offset, end, decompress, what);
    return table;
}

StoredTable read_indexed_table(int fd, const std::string& path, const std::vector<uint64_t>& index,
                               uint64_t limit, const Decompress& decompress,
                               const std::string& what) {
    StoredTable table;
    for (uint64_t start : index)
        read_block_into(table, fd, path, 0, start, limit, decompress, what);
    return table;
}

uint64_t table_ref(const StoredTable& table, uint64_t content_offset) {
    const size_t block = content_offset / kMetadataBlockSize;
    // A reference may point at the very end of the table (an empty listing
    // written last); it then names the start of the block that would follow.
    const uint64_t start =
        block < table.block_starts.size() ? table.block_starts[block] : table.stored_size;
    return start << 16 | (content_offset % kMetadataBlockSize);
}

} // namespace squashpub::generator
