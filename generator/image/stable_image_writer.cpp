#include "generator/image/stable_image_writer.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/parallel.hpp"
#include "core/sha256.hpp"
#include "generator/image/fragment_packer.hpp"
#include "generator/squashfs/image_frame.hpp"
#include "generator/squashfs/metadata_table_writer.hpp"
#include "generator/squashfs/sqfs_fd_file.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <sqfs/compressor.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/io.h>
#include <sqfs/super.h>
#include <unordered_map>

namespace squashpub::generator {
namespace {

constexpr uint32_t kUncompressedDataBit = 1u << 24;
constexpr uint64_t kRegionSlackEighths = 1;       // room for new directories: 1/8 of the region
constexpr size_t kHotListingBytes = 2048;         // listings this large are rewritten, not logged
constexpr uint64_t kSmallestDirectoryRecord = 32; // a basic directory inode

// One inode of the new image (hard links share one).
struct Item {
    // Kept small: a Gentoo-size tree has 150,000 of them (path_of()
    // rebuilds the path for messages).
    const Node* node = nullptr;
    size_t parent = 0;
    uint32_t links = 0;
    const WalkedInode* before = nullptr; // same path and kind in the previous image
    uint32_t number = 0;
    bool unchanged = false; // files and symlinks: same content as before
    // Files: the size of the part that goes into a fragment. Only that and
    // its digest (tail_digests_) stay in memory, as tails are nearly all of
    // a tree's bytes; the content is read again from the source when its
    // fragment block is written.
    uint32_t tail_size = 0;
    InodeRecord record;
    std::string encoded;
    uint64_t record_offset = 0;
    uint64_t ref = 0;
    std::vector<std::pair<std::string, size_t>> children; // directories: name, item
    std::string listing;
    uint64_t listing_offset = 0;
};

// SquashFS keeps only the permission bits in an inode's mode; the type is
// the inode's. (Linux 6.18 refuses inodes whose mode carries type bits.)
uint16_t mode_bits(const Node& node) {
    return node.permissions & 07777;
}

uint16_t basic_type(NodeKind kind) {
    return kind == NodeKind::directory ? 1 : kind == NodeKind::file ? 2 : 3;
}

bool same_kind(const InodeRecord& record, NodeKind kind) {
    return kind == NodeKind::directory ? record.is_directory()
           : kind == NodeKind::file    ? record.is_file()
                                       : record.is_symlink();
}

void check(int rc, const std::string& subject, const std::string& action) {
    check_sqfs(rc, subject, action);
}

class StableImageBuilder {
  public:
    StableImageBuilder(const TreeSource& source, const config::ImageOptions& options,
                       uint32_t mtime, PreviousImage* previous, int fd,
                       const std::string& output_path)
        : source_(source), options_(options), mtime_(mtime), previous_(previous),
          output_path_(output_path), file_(make_sqfs_fd_file(fd)),
          compressor_(make_sqfs_compressor(options, false)) {}

    ImageStats build() {
        Stopwatch clock;
        collect(source_.root(), "", 0);
        std::unordered_map<const Node*, size_t>().swap(item_of_); // hard links are found
        assign_numbers();
        start_super_block();
        write_file_data();
        log_verbose(output_path_ + ": file data written in " + clock.lap());
        build_leaf_records();
        const size_t raw_blocks = lay_out_inode_table();
        lay_out_directory_table();
        finish_directory_records(raw_blocks);
        write_tables();
        finish_super_block();
        log_verbose(output_path_ + ": tables written in " + clock.lap());
        return stats_;
    }

  private:
    // ---- the tree -------------------------------------------------------

    size_t collect(const Node& node, const std::string& path, size_t parent) {
        if (auto it = item_of_.find(&node); it != item_of_.end()) {
            ++items_[it->second].links; // another name for a file seen before
            return it->second;
        }
        const size_t index = items_.size();
        items_.emplace_back();
        item_of_[&node] = index;
        Item& item = items_.back();
        item.node = &node;
        item.parent = node.kind == NodeKind::directory && path.empty() ? index : parent;
        item.links = 1;
        if (previous_)
            if (const WalkedInode* before = previous_->find(path);
                before && same_kind(before->inode, node.kind))
                item.before = before;
        for (const Entry& child : node.children) {
            const size_t child_index =
                collect(*child.node, path.empty() ? child.name : path + "/" + child.name, index);
            items_[index].children.emplace_back(child.name, child_index);
        }
        return index;
    }

    // The path an item was first found under ("" for the root), for messages.
    std::string path_of(const Item& item) const {
        const Item& parent = items_[item.parent];
        if (&parent == &item)
            return "";
        std::string name;
        for (const auto& [child_name, child] : parent.children)
            if (&items_[child] == &item)
                name = child_name;
        const std::string above = path_of(parent);
        return above.empty() ? name : above + "/" + name;
    }

    // Unchanged paths keep their numbers; new ones take the free numbers
    // from the lowest up, so numbers stay dense (1..count).
    void assign_numbers() {
        const auto count = static_cast<uint32_t>(items_.size());
        std::vector<bool> taken(count + 1, false);
        for (Item& item : items_) {
            if (!item.before)
                continue;
            const uint32_t number = item.before->inode.inode_number;
            if (number >= 1 && number <= count && !taken[number]) {
                taken[number] = true;
                item.number = number;
            }
        }
        uint32_t next_free = 1;
        for (Item& item : items_) {
            if (item.number)
                continue;
            while (taken[next_free])
                ++next_free;
            taken[next_free] = true;
            item.number = next_free;
        }
        stats_.inodes = count;
    }

    // ---- file data ------------------------------------------------------

    void start_super_block() {
        begin_image(super_, options_, mtime_, file_.get(), compressor_.get(), output_path_);
        cursor_ = file_->get_size(file_.get());
    }

    std::string read_content(const Node& node) {
        std::string content;
        content.reserve(node.size);
        source_.read_content(node, [&](const uint8_t* data, size_t size) {
            content.append(reinterpret_cast<const char*>(data), size);
        });
        return content;
    }

    size_t full_blocks(uint64_t size) const { return size / options_.block_size; }

    bool same_as_before(const Item& item, const std::string& content) const {
        const InodeRecord& old = item.before->inode;
        if (old.file_size != content.size() ||
            old.block_sizes.size() != full_blocks(content.size()))
            return false;
        const uint32_t bs = options_.block_size;
        for (size_t i = 0; i < old.block_sizes.size(); ++i)
            if (previous_->block_content(old, i) != std::string_view(content).substr(i * bs, bs))
                return false;
        return previous_->tail(old) ==
               std::string_view(content).substr(old.block_sizes.size() * bs);
    }

    // Large files' blocks first (unchanged ones copied in their previous
    // order, then the rest), then the fragment blocks: a change in the
    // fragments never moves a large file.
    void write_file_data() {
        std::vector<size_t> files;
        uint64_t total = 0;
        for (size_t i = 0; i < items_.size(); ++i)
            if (items_[i].node->kind == NodeKind::file) {
                files.push_back(i);
                total += items_[i].node->size;
            }
        Progress progress("writing file data", total / 1024, "KiB");
        std::vector<size_t> carried_large, new_large;
        std::unordered_map<size_t, std::string> large_digests; // SHA-256 of the content
        tail_digests_.resize(items_.size());
        for (size_t i : files) {
            Item& item = items_[i];
            std::string content = read_content(*item.node);
            ++stats_.files;
            stats_.input_bytes += content.size();
            item.unchanged = item.before && same_as_before(item, content);
            const std::string_view tail =
                std::string_view(content).substr(full_blocks(content.size()) * options_.block_size);
            item.tail_size = static_cast<uint32_t>(tail.size());
            if (!tail.empty()) {
                const std::string digest = sha256_digest(tail.data(), tail.size());
                std::copy(digest.begin(), digest.end(), tail_digests_[i].begin());
            }
            if (full_blocks(content.size()) > 0) {
                large_digests[i] = sha256_digest(content.data(), content.size());
                (item.unchanged ? carried_large : new_large).push_back(i);
            }
            progress.advance(content.size() / 1024);
        }
        std::sort(carried_large.begin(), carried_large.end(), [&](size_t a, size_t b) {
            return items_[a].before->inode.blocks_start < items_[b].before->inode.blocks_start;
        });
        std::unordered_map<std::string, const Item*> large_by_digest;
        for (size_t i : carried_large)
            if (!reuse_identical_blocks(items_[i], large_digests[i], large_by_digest))
                copy_large_file(items_[i]);
        for (size_t i : new_large)
            if (!reuse_identical_blocks(items_[i], large_digests[i], large_by_digest))
                write_large_file(items_[i]);
        pack_and_write_fragments(files);
        std::vector<TailDigest>().swap(tail_digests_); // placed: not needed any more
        progress.finish();
    }

    // Identical large files share their blocks, as mksquashfs stores them.
    static bool reuse_identical_blocks(Item& item, const std::string& digest,
                                       std::unordered_map<std::string, const Item*>& by_digest) {
        auto [it, inserted] = by_digest.try_emplace(digest, &item);
        if (inserted)
            return false;
        item.record.blocks_start = it->second->record.blocks_start;
        item.record.block_sizes = it->second->record.block_sizes;
        return true;
    }

    void copy_large_file(Item& item) {
        const std::string stored = previous_->stored_blocks(item.before->inode);
        item.record.blocks_start = cursor_;
        item.record.block_sizes = item.before->inode.block_sizes;
        append(stored);
    }

    void write_large_file(Item& item) {
        const std::string content = read_content(*item.node);
        const size_t count = full_blocks(content.size());
        const uint32_t bs = options_.block_size;
        std::vector<std::string> stored(count);
        std::vector<uint32_t> words(count);
        compress_all(count, [&](size_t k, sqfs_compressor_t* cmp, unsigned) {
            words[k] = compress_block(cmp, std::string_view(content).substr(k * bs, bs), stored[k]);
        });
        item.record.blocks_start = cursor_;
        item.record.block_sizes = words;
        for (const std::string& block : stored)
            append(block);
    }

    // Stores a data or fragment block compressed, or as it is if that is
    // not smaller; returns its on-disk size word.
    static uint32_t compress_block(sqfs_compressor_t* cmp, std::string_view data,
                                   std::string& stored) {
        stored.resize(data.size());
        const sqfs_s32 n = cmp->do_block(
            cmp, reinterpret_cast<const sqfs_u8*>(data.data()), static_cast<sqfs_u32>(data.size()),
            reinterpret_cast<sqfs_u8*>(stored.data()), static_cast<sqfs_u32>(stored.size()));
        if (n < 0)
            throw Error("image", "block compression failed");
        if (n > 0 && static_cast<size_t>(n) < data.size()) {
            stored.resize(static_cast<size_t>(n));
            return static_cast<uint32_t>(n);
        }
        stored.assign(data);
        return static_cast<uint32_t>(data.size()) | kUncompressedDataBit;
    }

    void compress_all(size_t count,
                      const std::function<void(size_t, sqfs_compressor_t*, unsigned)>& body) {
        const unsigned workers =
            std::max(1u, std::min<unsigned>(effective_jobs(options_.jobs), count));
        while (compressors_.size() < workers)
            compressors_.emplace_back(
                static_cast<sqfs_compressor_t*>(sqfs_copy(compressor_.get())));
        parallel_for(count, workers, [&](size_t k, unsigned worker) {
            body(k, compressors_[worker].get(), worker);
        });
    }

    void pack_and_write_fragments(const std::vector<size_t>& files) {
        std::vector<FragmentBlockPlan> blocks = pack_tails(files, previous_);
        uint64_t total = 0, live = 0;
        for (const FragmentBlockPlan& block : blocks)
            total += block.size;
        std::set<std::pair<uint32_t, uint32_t>> places;
        for (size_t i : files)
            if (items_[i].tail_size > 0 &&
                places.emplace(items_[i].record.fragment_index, items_[i].record.fragment_offset)
                    .second)
                live += items_[i].tail_size;
        // Gaps compress to almost nothing, but new tails placed away from
        // their siblings compress worse (on the GURU data, gaps of 6.5% of
        // the live bytes came with 0.8% more stored bytes): repack once the
        // gaps grow.
        if (previous_ &&
            !within_compaction_limit(total, live, "fragment", options_.compact_percent / 4))
            blocks = pack_tails(files, nullptr);
        write_fragment_blocks(blocks);
    }

    // A written fragment block: its on-disk size word and stored bytes.
    struct StoredFragment {
        uint32_t word = 0;
        std::string bytes;
        bool changed = true;
        size_t content_size = 0;
    };

    // Materialises, compresses and writes the blocks in index order, a
    // batch at a time, so that only a batch's content is ever in memory.
    void write_fragment_blocks(const std::vector<FragmentBlockPlan>& blocks) {
        fragments_.reset(sqfs_frag_table_create(0));
        if (!fragments_)
            throw Error(output_path_, "cannot create the fragment table");
        const unsigned workers = std::max(1u, effective_jobs(options_.jobs));
        while (previous_ && decompressors_.size() < workers)
            decompressors_.push_back(previous_->make_decompressor());
        const size_t batch = size_t{workers} * 8;
        size_t changed = 0;
        uint64_t content_bytes = 0, stored_bytes = 0;
        for (size_t first = 0; first < blocks.size(); first += batch) {
            const size_t count = std::min(batch, blocks.size() - first);
            // Tails are read on this thread: sources need not be thread-safe.
            std::vector<std::vector<std::string>> added(count);
            for (size_t k = 0; k < count; ++k)
                for (const AddedTail& tail : blocks[first + k].added)
                    added[k].push_back(read_tail(items_[tail.owner]));
            std::vector<StoredFragment> stored(count);
            compress_all(count, [&](size_t k, sqfs_compressor_t* cmp, unsigned worker) {
                stored[k] =
                    store_fragment_block(blocks[first + k], added[k], cmp,
                                         previous_ ? decompressors_[worker].get() : nullptr);
            });
            for (const StoredFragment& block : stored) {
                sqfs_u32 index = 0;
                check(sqfs_frag_table_append(fragments_.get(), cursor_, block.word, &index),
                      output_path_, "fragment table");
                append(block.bytes);
                changed += block.changed;
                content_bytes += block.content_size;
                stored_bytes += block.bytes.size();
            }
        }
        log_verbose(output_path_ + ": " + std::to_string(changed) + " of " +
                    std::to_string(blocks.size()) + " fragment blocks written anew; " +
                    std::to_string(content_bytes) + " bytes in them, " +
                    std::to_string(stored_bytes) + " stored");
    }

    // A block whose content is the previous image's (nothing added, and
    // nothing but zeros released) keeps its stored bytes; any other is
    // compressed.
    StoredFragment store_fragment_block(const FragmentBlockPlan& plan,
                                        const std::vector<std::string>& added,
                                        sqfs_compressor_t* cmp,
                                        sqfs_compressor_t* decompressor) const {
        std::string before;
        if (plan.carried_from >= 0 && !plan.kept.empty())
            before =
                previous_->fragment_content(static_cast<uint32_t>(plan.carried_from), decompressor);
        const std::string content = materialise_fragment_block(plan, before, added);
        StoredFragment stored;
        stored.content_size = content.size();
        stored.changed = plan.carried_from < 0 || !plan.added.empty() || content != before;
        if (stored.changed) {
            stored.word = compress_block(cmp, content, stored.bytes);
        } else {
            const auto index = static_cast<uint32_t>(plan.carried_from);
            stored.word = previous_->fragments()[index].size_word;
            stored.bytes = previous_->stored_fragment(index);
        }
        return stored;
    }

    // A file's tail, read again from the source.
    std::string read_tail(const Item& item) const {
        const uint64_t start = item.node->size - item.tail_size;
        uint64_t offset = 0;
        std::string tail;
        tail.reserve(item.tail_size);
        source_.read_content(*item.node, [&](const uint8_t* data, size_t size) {
            if (offset + size > start) {
                const uint64_t skip = start > offset ? start - offset : 0;
                tail.append(reinterpret_cast<const char*>(data) + skip, size - skip);
            }
            offset += size;
        });
        if (tail.size() != item.tail_size)
            throw Error(source_.describe(), path_of(item) + " changed while the image was built");
        return tail;
    }

    // Packs every file's tail, keeping unchanged ones where previous had
    // them (previous may be null: a fresh packing in tree order).
    std::vector<FragmentBlockPlan> pack_tails(const std::vector<size_t>& files,
                                              PreviousImage* previous) {
        FragmentPacker packer(options_.block_size, previous ? previous->fragments().size() : 0);
        for (size_t i : files) {
            Item& item = items_[i];
            item.record.fragment_index = kNoFragment;
            item.record.fragment_offset = 0;
            if (previous && item.unchanged && item.tail_size > 0) {
                item.record.fragment_index = item.before->inode.fragment_index;
                item.record.fragment_offset = item.before->inode.fragment_offset;
                packer.keep({item.record.fragment_index, item.record.fragment_offset},
                            item.tail_size, tail_digests_[i]);
            }
        }
        packer.release_unkept();
        for (size_t i : files) {
            Item& item = items_[i];
            if (item.tail_size == 0 || item.record.fragment_index != kNoFragment)
                continue;
            const FragmentPlace place =
                packer.place(item.tail_size, tail_digests_[i], i, blocks_near(i));
            item.record.fragment_index = place.index;
            item.record.fragment_offset = place.offset;
        }
        return packer.take_blocks();
    }

    // Fragment blocks worth trying for a new tail: its previous version's,
    // then its siblings', nearest first.
    std::vector<uint32_t> blocks_near(size_t index) const {
        std::vector<uint32_t> near;
        auto consider = [&](const Item& item) {
            const uint32_t block = item.record.fragment_index;
            if (block != kNoFragment && std::find(near.begin(), near.end(), block) == near.end())
                near.push_back(block);
        };
        const Item& item = items_[index];
        if (item.before && item.before->inode.fragment_index != kNoFragment)
            near.push_back(item.before->inode.fragment_index);
        const auto& siblings = items_[item.parent].children;
        auto self = std::find_if(siblings.begin(), siblings.end(),
                                 [&](const auto& child) { return child.second == index; });
        const auto position = static_cast<size_t>(self - siblings.begin());
        for (size_t distance = 1; distance < siblings.size() && near.size() < 4; ++distance) {
            if (position >= distance)
                consider(items_[siblings[position - distance].second]);
            if (position + distance < siblings.size())
                consider(items_[siblings[position + distance].second]);
        }
        return near;
    }

    void append(const std::string& bytes) {
        check(file_->write_at(file_.get(), cursor_, bytes.data(), bytes.size()), output_path_,
              "writing file data");
        cursor_ += bytes.size();
    }

    // ---- inode records --------------------------------------------------

    uint32_t timestamp_of(const Item& item, bool unchanged) const {
        if (options_.timestamps == config::Timestamps::carry && item.before && unchanged)
            return item.before->inode.mtime;
        return mtime_;
    }

    void fill_common(Item& item, InodeType type, bool unchanged) {
        InodeRecord& r = item.record;
        r.type = type;
        r.mode = mode_bits(*item.node);
        r.uid_index = uid_index_;
        r.gid_index = gid_index_;
        r.mtime = timestamp_of(item, unchanged);
        r.inode_number = item.number;
        r.nlink = item.links;
    }

    void build_leaf_records() {
        ids_.reset(sqfs_id_table_create(0));
        if (!ids_)
            throw Error(output_path_, "cannot create the id table");
        check(sqfs_id_table_id_to_index(ids_.get(), options_.uid, &uid_index_), output_path_,
              "uid table");
        check(sqfs_id_table_id_to_index(ids_.get(), options_.gid, &gid_index_), output_path_,
              "gid table");
        for (Item& item : items_) {
            const Node& node = *item.node;
            if (node.kind == NodeKind::file) {
                InodeRecord& r = item.record;
                r.file_size = node.size;
                const bool extended = item.links > 1 || r.blocks_start >> 32 || node.size >> 32;
                fill_common(item, extended ? InodeType::extended_file : InodeType::file,
                            item.unchanged);
            } else if (node.kind == NodeKind::symlink) {
                item.unchanged =
                    item.before && item.before->inode.symlink_target == node.symlink_target;
                item.record.symlink_target = node.symlink_target;
                fill_common(item, InodeType::symlink, item.unchanged);
            } else {
                continue;
            }
            item.encoded = encode_inode(item.record);
        }
    }

    // ---- the inode table: directory region, then the log ---------------

    uint64_t directory_record_size(const Item& item) const {
        std::vector<ListingEntry> entries;
        for (const auto& [name, child] : item.children)
            entries.push_back({name, 0, 0, 0});
        return listing_size_bound(entries) + 3 > 0xFFFF ? 40 : 32;
    }

    bool is_directory(const Item& item) const { return item.node->kind == NodeKind::directory; }

    // Places every directory inode in the uncompressed region; returns
    // false if they do not fit in region_blocks.
    bool place_directories(size_t region_blocks, bool carry) {
        const uint64_t capacity = region_blocks * uint64_t{kMetadataBlockSize};
        std::map<uint64_t, uint64_t> used; // offset -> end
        auto overlaps = [&](uint64_t offset, uint64_t end) {
            auto next = used.lower_bound(offset);
            if (next != used.end() && next->first < end)
                return true;
            return next != used.begin() && std::prev(next)->second > offset;
        };
        std::vector<size_t> pending;
        for (size_t i = 0; i < items_.size(); ++i) {
            Item& item = items_[i];
            if (!is_directory(item))
                continue;
            const uint64_t size = directory_record_size(item);
            const WalkedInode* before = item.before;
            if (carry && before && before->record_size == size &&
                before->record_offset + size <= capacity &&
                !overlaps(before->record_offset, before->record_offset + size)) {
                item.record_offset = before->record_offset;
                used[item.record_offset] = item.record_offset + size;
            } else {
                pending.push_back(i);
            }
        }
        // First fit. Gaps smaller than the smallest record can never be
        // used, so the scan starts after the last of them (settled): from
        // the start it would be quadratic in a fresh layout's directories.
        uint64_t settled = 0;
        auto settle = [&] {
            for (auto next = used.lower_bound(settled);
                 next != used.end() && next->first < settled + kSmallestDirectoryRecord; ++next)
                settled = std::max(settled, next->second);
        };
        for (size_t i : pending) {
            const uint64_t size = directory_record_size(items_[i]);
            settle();
            uint64_t gap = settled;
            for (auto next = used.lower_bound(settled); next != used.end(); ++next) {
                if (next->first >= gap + size)
                    break;
                gap = std::max(gap, next->second);
            }
            if (gap + size > capacity)
                return false;
            items_[i].record_offset = gap;
            used[gap] = gap + size;
        }
        return true;
    }

    // Returns the number of uncompressed blocks at the table's start.
    size_t lay_out_inode_table() {
        const size_t previous_region = previous_ ? previous_->inodes().leading_raw_blocks() : 0;
        size_t region = previous_region;
        bool carry = previous_ && region > 0 && place_directories(region, true);
        if (!carry) {
            uint64_t needed = 0;
            for (const Item& item : items_)
                if (is_directory(item))
                    needed += directory_record_size(item);
            needed += needed * kRegionSlackEighths / 8;
            region = std::max<size_t>(1, (needed + kMetadataBlockSize - 1) / kMetadataBlockSize);
            if (!place_directories(region, false))
                throw Error(output_path_, "internal error: directory inodes do not fit");
        }
        const uint64_t log_base = region * uint64_t{kMetadataBlockSize};
        std::string log;
        const bool attempted = carry;
        if (carry)
            carry = carry_log(previous_->inodes().content, log_base, log, "inode");
        if (!carry) {
            log.clear();
            for (size_t i : log_order(false, attempted)) {
                items_[i].record_offset = log_base + log.size();
                log += items_[i].encoded;
            }
        }
        inode_content_ = std::string(log_base, '\0') + log;
        // The records are in the table now; only directories' are encoded again.
        for (Item& item : items_)
            if (!is_directory(item))
                std::string().swap(item.encoded);
        inode_table_ = store_table(inode_content_, region, compressor_.get(), options_.jobs);
        for (Item& item : items_)
            item.ref = table_ref(inode_table_, item.record_offset);
        return region;
    }

    // Keeps the previous log and appends what changed; false when the dead
    // records would exceed compact_percent of the live ones.
    bool carry_log(const std::string& previous_table, uint64_t log_base, std::string& log,
                   const std::string& what) {
        if (previous_table.size() < log_base)
            return false;
        log = previous_table.substr(log_base);
        uint64_t live = 0;
        size_t appended = 0;
        for (Item& item : items_) {
            if (is_directory(item))
                continue;
            const WalkedInode* before = item.before;
            if (before && before->record_offset >= log_base &&
                previous_table.compare(before->record_offset, before->record_size, item.encoded) ==
                    0) {
                item.record_offset = before->record_offset;
            } else {
                item.record_offset = log_base + log.size();
                log += item.encoded;
                ++appended;
            }
            live += item.encoded.size();
        }
        log_verbose(output_path_ + ": " + std::to_string(appended) + " " + what +
                    " records appended to the log");
        return within_compaction_limit(log.size(), live, what);
    }

    // The records a log is rewritten with: file and symlink inodes, or
    // directory listings. A compaction keeps the order they had in the log
    // (by_offset), so that long runs stay together and copy cheaply.
    std::vector<size_t> log_order(bool listings, bool by_offset) const {
        std::vector<size_t> order;
        for (size_t i = 0; i < items_.size(); ++i) {
            const Item& item = items_[i];
            if (listings ? is_directory(item) && !item.listing.empty() : !is_directory(item))
                order.push_back(i);
        }
        if (by_offset)
            std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
                return listings ? items_[a].listing_offset < items_[b].listing_offset
                                : items_[a].record_offset < items_[b].record_offset;
            });
        return order;
    }

    // percent: the fragments use a quarter of compact_percent, because
    // what they lose grows faster than their gaps (see pack_and_write_fragments).
    bool within_compaction_limit(uint64_t total, uint64_t live, const std::string& what,
                                 std::optional<unsigned> percent = std::nullopt) const {
        const uint64_t dead = total - std::min(total, live);
        log_verbose(output_path_ + ": " + what + " log: " + std::to_string(live) + " live bytes, " +
                    std::to_string(dead) + " dead");
        if (dead * 100 <= live * percent.value_or(options_.compact_percent))
            return true;
        log_info(output_path_ + ": " + what + " log has " + std::to_string(dead) +
                 " dead bytes for " + std::to_string(live) + " live; rewriting it compactly");
        return false;
    }

    // ---- the directory table --------------------------------------------

    void lay_out_directory_table() {
        for (Item& item : items_) {
            if (!is_directory(item))
                continue;
            std::vector<ListingEntry> entries;
            for (const auto& [name, child] : item.children)
                entries.push_back({name, items_[child].ref, items_[child].number,
                                   basic_type(items_[child].node->kind)});
            item.listing = encode_listing(entries);
        }
        // Small listings form a log; large ones (categories, the root) change
        // whenever an entry comes or goes, so they are rewritten after it
        // every time instead of leaving dead copies behind.
        std::string content;
        bool carry = previous_ != nullptr;
        if (carry) {
            const std::string& old = previous_->directories().content;
            content = old.substr(0, previous_cold_log_end());
            uint64_t live = 0;
            for (Item& item : items_) {
                if (!is_directory(item) || item.listing.empty() || is_hot(item.listing.size()))
                    continue;
                const WalkedInode* before = item.before;
                if (before && before->inode.listing_size > 3 &&
                    before->listing_offset + item.listing.size() <= content.size() &&
                    old.compare(before->listing_offset, before->inode.listing_size - 3,
                                item.listing) == 0) {
                    item.listing_offset = before->listing_offset;
                } else {
                    item.listing_offset = content.size();
                    content += item.listing;
                }
                live += item.listing.size();
            }
            carry = within_compaction_limit(content.size(), live, "directory");
        }
        if (!carry) {
            content.clear();
            for (size_t i : log_order(true, previous_ != nullptr)) {
                if (is_hot(items_[i].listing.size()))
                    continue;
                items_[i].listing_offset = content.size();
                content += items_[i].listing;
            }
        }
        for (Item& item : items_) {
            if (is_directory(item) && is_hot(item.listing.size())) {
                item.listing_offset = content.size();
                content += item.listing;
            }
        }
        directory_table_ = store_table(std::move(content), 0, compressor_.get(), options_.jobs);
    }

    static bool is_hot(size_t listing_bytes) { return listing_bytes >= kHotListingBytes; }

    // Where the previous image's listing log ends: its large listings come
    // after it.
    uint64_t previous_cold_log_end() const {
        uint64_t end = previous_->directories().content.size();
        for (const auto& [path, walked] : previous_->entries())
            if (walked.inode.is_directory() && is_hot(walked.inode.listing_size - 3))
                end = std::min(end, walked.listing_offset);
        return end;
    }

    void finish_directory_records(size_t raw_blocks) {
        const auto count = static_cast<uint32_t>(items_.size());
        for (Item& item : items_) {
            if (!is_directory(item))
                continue;
            const Item& parent = items_[item.parent];
            size_t subdirectories = 0;
            for (const auto& [name, child] : item.children)
                subdirectories += is_directory(items_[child]);
            const uint64_t size = directory_record_size(item);
            // An empty listing points at the table's first byte: readers
            // look its block up even though they read nothing from it.
            const uint64_t ref =
                item.listing.empty() ? 0 : table_ref(directory_table_, item.listing_offset);
            bool same_entries = false;
            if (item.before) {
                // Timestamps move only when names come or go.
                const auto& old = previous_->directories().content;
                const uint32_t old_size = item.before->inode.listing_size;
                auto old_entries =
                    old_size > 3
                        ? decode_listing(old, item.before->listing_offset, old_size - 3)
                        : std::optional<std::vector<ListingEntry>>(std::vector<ListingEntry>{});
                if (old_entries && old_entries->size() == item.children.size()) {
                    same_entries = true;
                    for (size_t k = 0; k < item.children.size() && same_entries; ++k)
                        same_entries = (*old_entries)[k].name == item.children[k].first &&
                                       (*old_entries)[k].basic_type ==
                                           basic_type(items_[item.children[k].second].node->kind);
                }
            }
            fill_common(item, size == 32 ? InodeType::directory : InodeType::extended_directory,
                        same_entries);
            InodeRecord& r = item.record;
            r.nlink = static_cast<uint32_t>(2 + subdirectories);
            r.listing_block = static_cast<uint32_t>(ref >> 16);
            r.listing_offset = static_cast<uint16_t>(ref & 0xFFFF);
            r.listing_size = static_cast<uint32_t>(item.listing.size() + 3);
            r.parent_inode = &parent == &item ? count + 1 : parent.number;
            item.encoded = encode_inode(r);
            if (item.encoded.size() != size)
                throw Error(output_path_, "internal error: directory inode size changed");
            std::copy(item.encoded.begin(), item.encoded.end(),
                      inode_content_.begin() + static_cast<std::ptrdiff_t>(item.record_offset));
        }
        inode_table_ = store_table(inode_content_, raw_blocks, compressor_.get(), options_.jobs);
    }

    // ---- tables and superblock -----------------------------------------

    void write_tables() {
        super_.inode_table_start = cursor_;
        append(stored_bytes(inode_table_));
        super_.directory_table_start = cursor_;
        append(stored_bytes(directory_table_));
        check(sqfs_frag_table_write(fragments_.get(), file_.get(), &super_, compressor_.get()),
              output_path_, "fragment table");
        check(sqfs_id_table_write(ids_.get(), file_.get(), &super_, compressor_.get()),
              output_path_, "id table");
        super_.root_inode_ref = items_.front().ref;
        super_.inode_count = static_cast<uint32_t>(items_.size());
    }

    void finish_super_block() {
        stats_.image_bytes = finish_image(super_, mtime_, file_.get(), output_path_);
    }

    const TreeSource& source_;
    const config::ImageOptions& options_;
    uint32_t mtime_;
    PreviousImage* previous_;
    std::string output_path_;
    SqfsFilePtr file_;
    SqfsCompressorPtr compressor_;
    std::vector<SqfsCompressorPtr> compressors_;
    std::vector<SqfsCompressorPtr> decompressors_; // the previous image's, one per worker
    sqfs_super_t super_ = {};
    uint64_t cursor_ = 0;
    std::vector<Item> items_;
    std::unordered_map<const Node*, size_t> item_of_;
    std::vector<TailDigest> tail_digests_; // by item, while the tails are placed
    std::unique_ptr<sqfs_frag_table_t, SqfsObjectDeleter> fragments_;
    std::unique_ptr<sqfs_id_table_t, SqfsObjectDeleter> ids_;
    sqfs_u16 uid_index_ = 0, gid_index_ = 0;
    std::string inode_content_;
    StoredTable inode_table_;
    StoredTable directory_table_;
    ImageStats stats_;
};

} // namespace

ImageStats write_stable_image(const TreeSource& source, const config::ImageOptions& options,
                              uint32_t mtime, PreviousImage* previous, int fd,
                              const std::string& output_path) {
    return StableImageBuilder(source, options, mtime, previous, fd, output_path).build();
}

} // namespace squashpub::generator
