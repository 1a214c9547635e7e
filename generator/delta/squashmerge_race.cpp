#include "generator/delta/squashmerge_race.hpp"

#include <algorithm>

namespace squashpub::generator {
namespace {

bool by_offset(const BlockRecord& a, const BlockRecord& b) {
    return a.offset < b.offset;
}

void insert_sorted(std::vector<BlockRecord>& list, const BlockRecord& record) {
    list.insert(std::upper_bound(list.begin(), list.end(), record, by_offset), record);
}

} // namespace

uint64_t first_worker_decompress_bytes(const std::vector<BlockRecord>& source, unsigned threads) {
    uint64_t bytes = 0;
    for (size_t i = 0; i < source.size(); i += threads)
        bytes += source[i].uncompressed_length;
    return bytes;
}

uint64_t first_worker_compress_bytes(const std::vector<BlockRecord>& target, unsigned threads) {
    uint64_t bytes = 0;
    for (size_t k = threads - 1; k < target.size(); k += threads)
        bytes += target[k].uncompressed_length;
    return bytes;
}

bool immune_to_race(const std::vector<BlockRecord>& source,
                    const std::vector<BlockRecord>& target) {
    return source.size() <= 1 && target.empty();
}

bool outlasts_start_up(const std::vector<BlockRecord>& source,
                       const std::vector<BlockRecord>& target, const RaceMargin& margin) {
    if (margin.disabled() || immune_to_race(source, target))
        return true;
    for (unsigned threads = kClientThreadsMin; threads <= kClientThreadsMax; ++threads) {
        // A phase whose list gives no worker but 0 a block is safe as it is.
        if (source.size() > 1 &&
            first_worker_decompress_bytes(source, threads) < margin.decompress_bytes)
            return false;
        if (!target.empty() && first_worker_compress_bytes(target, threads) < margin.compress_bytes)
            return false;
    }
    return true;
}

std::vector<PaddingBlock> pad_until_safe(std::vector<BlockRecord>& source,
                                         std::vector<BlockRecord>& target,
                                         const PaddingSource& next, const RaceMargin& margin) {
    std::vector<PaddingBlock> added;
    while (!outlasts_start_up(source, target, margin)) {
        std::optional<PaddingBlock> block = next();
        if (!block)
            break;
        insert_sorted(source, block->source);
        insert_sorted(target, block->target);
        added.push_back(*block);
    }
    return added;
}

} // namespace squashpub::generator
