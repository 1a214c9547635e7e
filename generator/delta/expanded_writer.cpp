#include "generator/delta/expanded_writer.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/parallel.hpp"

#include <memory>

namespace squashpub::generator {
namespace {

constexpr size_t kBatchBytes = 32 << 20; // compressed input read per batch

struct Slot {
    std::vector<uint8_t> compressed;
    std::vector<uint8_t> plain;
    bool listed = false;
};

} // namespace

std::optional<bool> RecompressionCache::find(uint64_t offset, uint32_t length) const {
    std::lock_guard lock(mutex_);
    auto it = results_.find({offset, length});
    if (it == results_.end())
        return std::nullopt;
    return it->second;
}

void RecompressionCache::store(uint64_t offset, uint32_t length, bool reproduces) {
    std::lock_guard lock(mutex_);
    results_[{offset, length}] = reproduces;
}

namespace {

class ExpandedWriter {
  public:
    ExpandedWriter(const ExpansionInput& input, int out_fd, const std::string& out_path,
                   Progress* progress)
        : in_(input), out_fd_(out_fd), out_path_(out_path), progress_(progress) {
        for (unsigned w = 0; w < effective_jobs(in_.jobs); ++w)
            codecs_.push_back(std::make_unique<BlockCodec>(in_.compression));
    }

    ExpandedFile write() {
        data_end_ = in_.image_size;
        size_t first = 0;
        while (first < in_.candidates.size()) {
            size_t last = first;
            size_t bytes = 0;
            while (last < in_.candidates.size() && (last == first || bytes < kBatchBytes))
                bytes += in_.candidates[last++].length;
            expand_batch(first, last);
            first = last;
        }
        copy_image_around_listed_blocks();
        write_list_and_header();
        return std::move(result_);
    }

  private:
    void expand_batch(size_t first, size_t last) {
        std::vector<Slot> slots(last - first);
        for (size_t i = first; i < last; ++i) {
            const CompressedRegion& region = in_.candidates[i];
            slots[i - first].compressed.resize(region.length);
            read_exact_at(in_.image_fd, slots[i - first].compressed.data(), region.length,
                          region.offset, in_.image_path);
        }
        parallel_for(slots.size(), in_.jobs, [&](size_t k, unsigned worker) {
            expand_one(in_.candidates[first + k], slots[k], *codecs_[worker]);
        });
        for (size_t k = 0; k < slots.size(); ++k) {
            const CompressedRegion& region = in_.candidates[first + k];
            Slot& slot = slots[k];
            if (progress_)
                progress_->advance(1);
            if (!slot.listed) {
                ++result_.not_reproducible;
                continue;
            }
            write_all_at(out_fd_, slot.plain.data(), slot.plain.size(), data_end_, out_path_);
            data_end_ += slot.plain.size();
            result_.uncompressed_bytes += slot.plain.size();
            result_.records.push_back({static_cast<uint32_t>(region.offset), region.length,
                                       static_cast<uint32_t>(slot.plain.size())});
        }
    }

    void expand_one(const CompressedRegion& region, Slot& slot, BlockCodec& codec) const {
        slot.plain.resize(in_.max_uncompressed);
        auto size = codec.decompress(slot.compressed.data(), slot.compressed.size(),
                                     slot.plain.data(), slot.plain.size());
        if (!size)
            throw Error(in_.image_path, "corrupt image: compressed block at offset " +
                                            std::to_string(region.offset) + " does not decompress");
        slot.plain.resize(*size);
        slot.listed = !in_.require_exact_recompression || reproduces(region, slot, codec);
    }

    // The exact-recompression check, answered from the cache when a run
    // has already checked this block of the same target.
    bool reproduces(const CompressedRegion& region, const Slot& slot, BlockCodec& codec) const {
        if (in_.cache)
            if (std::optional<bool> known = in_.cache->find(region.offset, region.length))
                return *known;
        const bool exact = codec.reproduces(slot.plain.data(), slot.plain.size(),
                                            slot.compressed.data(), slot.compressed.size());
        if (in_.cache)
            in_.cache->store(region.offset, region.length, exact);
        return exact;
    }

    // The listed ranges stay holes, which read as the zeros §2.5 requires.
    void copy_image_around_listed_blocks() {
        uint64_t position = 0;
        for (const BlockRecord& record : result_.records) {
            copy_range(in_.image_fd, in_.image_path, out_fd_, out_path_, position,
                       record.offset - position);
            position = uint64_t{record.offset} + record.length;
        }
        copy_range(in_.image_fd, in_.image_path, out_fd_, out_path_, position,
                   in_.image_size - position);
    }

    void write_list_and_header() {
        std::vector<uint8_t> tail = encode_records(result_.records);
        std::vector<uint8_t> header =
            encode_header(in_.compression.encode(), static_cast<uint32_t>(result_.records.size()));
        tail.insert(tail.end(), header.begin(), header.end());
        write_all_at(out_fd_, tail.data(), tail.size(), data_end_, out_path_);
        result_.size = data_end_ + tail.size();
    }

    const ExpansionInput& in_;
    int out_fd_;
    std::string out_path_;
    Progress* progress_;
    std::vector<std::unique_ptr<BlockCodec>> codecs_;
    uint64_t data_end_ = 0;
    ExpandedFile result_;
};

} // namespace

ExpandedFile write_expanded_file(const ExpansionInput& input, int out_fd,
                                 const std::string& out_path, Progress* progress) {
    return ExpandedWriter(input, out_fd, out_path, progress).write();
}

} // namespace squashpub::generator
