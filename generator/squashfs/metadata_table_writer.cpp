#include "generator/squashfs/metadata_table_writer.hpp"

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "generator/squashfs/squashfs_super.hpp"

#include <algorithm>
#include <memory>
#include <sqfs/compressor.h>

namespace squashpub::generator {
namespace {

constexpr uint16_t kUncompressedBit = 0x8000;

std::string length_word(size_t size, bool compressed) {
    const auto word = static_cast<uint16_t>(size | (compressed ? 0 : kUncompressedBit));
    return std::string{static_cast<char>(word & 0xFF), static_cast<char>(word >> 8)};
}

} // namespace

StoredTable store_table(std::string content, size_t raw_blocks, sqfs_compressor_t* compressor,
                        unsigned jobs) {
    StoredTable table;
    const size_t count = (content.size() + kMetadataBlockSize - 1) / kMetadataBlockSize;
    table.stored_blocks.resize(count);
    table.block_compressed.resize(count);
    const unsigned workers = std::max(1u, std::min<unsigned>(effective_jobs(jobs), count));
    std::vector<std::unique_ptr<sqfs_compressor_t, SqfsObjectDeleter>> copies;
    for (unsigned w = 0; w < workers; ++w)
        copies.emplace_back(static_cast<sqfs_compressor_t*>(sqfs_copy(compressor)));
    parallel_for(count, workers, [&](size_t i, unsigned worker) {
        const size_t begin = i * kMetadataBlockSize;
        const size_t size = std::min<size_t>(kMetadataBlockSize, content.size() - begin);
        const auto* in = reinterpret_cast<const sqfs_u8*>(content.data() + begin);
        if (i >= raw_blocks) {
            std::string out(size, '\0');
            sqfs_compressor_t* cmp = copies[worker].get();
            const sqfs_s32 n =
                cmp->do_block(cmp, in, static_cast<sqfs_u32>(size),
                              reinterpret_cast<sqfs_u8*>(out.data()), static_cast<sqfs_u32>(size));
            if (n < 0)
                throw Error("metadata table", "compression failed");
            if (n > 0 && static_cast<size_t>(n) < size) {
                out.resize(static_cast<size_t>(n));
                table.stored_blocks[i] = length_word(out.size(), true) + out;
                table.block_compressed[i] = true;
                return;
            }
        }
        table.stored_blocks[i] = length_word(size, false) + content.substr(begin, size);
    });
    for (const std::string& block : table.stored_blocks) {
        table.block_starts.push_back(table.stored_size);
        table.block_sizes.push_back(static_cast<uint32_t>(block.size() - 2));
        table.stored_size += block.size();
    }
    table.content = std::move(content);
    return table;
}

std::string stored_bytes(const StoredTable& table) {
    std::string bytes;
    bytes.reserve(table.stored_size);
    for (const std::string& block : table.stored_blocks)
        bytes += block;
    return bytes;
}

} // namespace squashpub::generator
