#include "generator/delta/image_scan.hpp"

#include "core/byte_order.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "generator/squashfs/inode_tree.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace squashpub::generator {
namespace {

constexpr uint32_t kDataUncompressedBit = 1u << 24;

// Reads the image's structures, checking every position against its size.
class Scanner {
  public:
    Scanner(int fd, const std::string& path)
        : fd_(fd), path_(path), scan_{read_image_header(fd, path), {}},
          codec_(scan_.header.compression) {}

    ImageScan run() {
        const SquashfsSuper& s = super();
        const std::vector<uint64_t> fragment_index =
            read_index(s.fragment_table_start, uint64_t{s.fragment_count} * 16, "fragment");
        const std::vector<uint64_t> export_index =
            read_index(s.export_table_start, uint64_t{s.inode_count} * 8, "export");
        const std::vector<uint64_t> id_index =
            read_index(s.id_table_start, uint64_t{s.id_count} * 4, "id");
        uint64_t xattr_kv_start = kNoTable;
        std::vector<uint64_t> xattr_index = read_xattr_index(xattr_kv_start);

        // The inode table runs up to the directory table; the directory
        // table up to whatever structure comes next.
        const StoredTable inodes =
            read_table(s.inode_table_start, s.directory_table_start, "inode table");
        std::set<uint64_t> later_starts = {s.bytes_used};
        for (const std::vector<uint64_t>* index :
             {&fragment_index, &export_index, &id_index, &std::as_const(xattr_index)})
            later_starts.insert(index->begin(), index->end());
        for (uint64_t start : {s.fragment_table_start, s.export_table_start, s.id_table_start,
                               s.xattr_id_table_start, xattr_kv_start})
            if (start != kNoTable)
                later_starts.insert(start);
        const uint64_t directory_end = *later_starts.upper_bound(s.directory_table_start);
        const StoredTable directories =
            read_table(s.directory_table_start, directory_end, "directory table");

        const std::string fragment_entries = read_indexed(fragment_index, "fragment table").content;
        read_indexed(export_index, "export table");
        read_indexed(id_index, "id table");
        if (xattr_kv_start != kNoTable) {
            read_table(xattr_kv_start,
                       xattr_index.empty() ? s.xattr_id_table_start : xattr_index.front(),
                       "xattr table");
            read_indexed(xattr_index, "xattr id table");
        }

        add_fragment_blocks(fragment_entries);
        add_file_blocks(inodes, directories);
        finish_regions();
        return std::move(scan_);
    }

  private:
    const SquashfsSuper& super() const { return scan_.header.super; }

    [[noreturn]] void corrupt(const std::string& what, uint64_t offset) const {
        throw Error(path_, "corrupt image: " + what + " at offset " + std::to_string(offset));
    }

    void check_range(uint64_t offset, uint64_t length, const std::string& what) const {
        if (offset > super().bytes_used || length > super().bytes_used - offset)
            throw Error(path_, "truncated or corrupt image: " + what + " at offset " +
                                   std::to_string(offset) + " extends past the end of the image");
    }

    // The u64 block locations of a table of entry_bytes bytes at start.
    std::vector<uint64_t> read_index(uint64_t start, uint64_t entry_bytes,
                                     const std::string& what) {
        if (start == kNoTable || entry_bytes == 0)
            return {};
        const uint64_t count = (entry_bytes + kMetadataBlockSize - 1) / kMetadataBlockSize;
        check_range(start, count * 8, what + " table index");
        std::vector<uint8_t> raw(count * 8);
        read_exact_at(fd_, raw.data(), raw.size(), start, path_);
        std::vector<uint64_t> index(count);
        for (uint64_t i = 0; i < count; ++i)
            index[i] = load_le64(raw.data() + 8 * i);
        return index;
    }

    std::vector<uint64_t> read_xattr_index(uint64_t& kv_start) {
        const uint64_t start = super().xattr_id_table_start;
        if (start == kNoTable)
            return {};
        check_range(start, 16, "xattr id table");
        uint8_t raw[16];
        read_exact_at(fd_, raw, 16, start, path_);
        kv_start = load_le64(raw);
        const uint32_t count = load_le32(raw + 8);
        std::vector<uint8_t> index_raw;
        const uint64_t blocks =
            (uint64_t{count} * 16 + kMetadataBlockSize - 1) / kMetadataBlockSize;
        check_range(start + 16, blocks * 8, "xattr id index");
        index_raw.resize(blocks * 8);
        read_exact_at(fd_, index_raw.data(), index_raw.size(), start + 16, path_);
        std::vector<uint64_t> index(blocks);
        for (uint64_t i = 0; i < blocks; ++i)
            index[i] = load_le64(index_raw.data() + 8 * i);
        return index;
    }

    void add_fragment_blocks(const std::string& entries) {
        const auto* p = reinterpret_cast<const uint8_t*>(entries.data());
        if (entries.size() < uint64_t{super().fragment_count} * 16)
            throw Error(path_, "corrupt image: fragment table shorter than its entry count");
        for (uint32_t i = 0; i < super().fragment_count; ++i) {
            const uint64_t start = load_le64(p + 16 * i);
            const uint32_t word = load_le32(p + 16 * i + 8);
            const uint32_t size = word & ~kDataUncompressedBit;
            if (size > super().block_size)
                corrupt("fragment block " + std::to_string(i) + " too large", start);
            check_range(start, size, "fragment block " + std::to_string(i));
            if (size != 0 && !(word & kDataUncompressedBit))
                scan_.regions.push_back({start, size, RegionKind::fragment});
        }
    }

    // A table read whole, its compressed blocks recorded as regions.
    StoredTable read_table(uint64_t start, uint64_t end, const std::string& what) {
        if (start > end)
            corrupt(what + " ends before it starts", start);
        check_range(start, end - start, what);
        return record_regions(read_stored_table(fd_, path_, start, end, decompress(), what), start);
    }

    // The blocks an index points at, their compressed ones recorded.
    StoredTable read_indexed(const std::vector<uint64_t>& index, const std::string& what) {
        return record_regions(
            read_indexed_table(fd_, path_, index, super().bytes_used, decompress(), what), 0);
    }

    Decompress decompress() {
        return [this](const uint8_t* in, size_t size, uint8_t* out, size_t capacity) {
            return codec_.decompress(in, size, out, capacity);
        };
    }

    StoredTable record_regions(StoredTable table, uint64_t base) {
        for (size_t i = 0; i < table.block_starts.size(); ++i)
            if (table.block_compressed[i])
                scan_.regions.push_back(
                    {base + table.block_starts[i] + 2, table.block_sizes[i], RegionKind::metadata});
        return table;
    }

    // Follows the directory tree (not the inode table from start to end:
    // tables may hold records no entry references) to every regular file.
    void add_file_blocks(const StoredTable& inodes, const StoredTable& directories) {
        walk_inode_tree(inodes, directories, super().root_inode_ref, super().block_size, path_,
                        [this](const WalkedInode& walked) {
                            if (walked.inode.is_file())
                                add_blocks_of_file(walked.inode, walked.path);
                        });
    }

    void add_blocks_of_file(const InodeRecord& inode, const std::string& name) {
        const uint64_t bs = super().block_size;
        uint64_t offset = inode.blocks_start;
        for (const uint32_t word : inode.block_sizes) {
            const uint32_t size = word & ~kDataUncompressedBit;
            if (size > bs)
                corrupt("data block of '" + name + "' larger than a block", offset);
            check_range(offset, size, "data block of '" + name + "'");
            if (size != 0 && !(word & kDataUncompressedBit))
                scan_.regions.push_back({offset, size, RegionKind::data});
            offset += size;
        }
    }

    // Sort, drop duplicates (shared blocks) and anything overlapping an
    // earlier region: an overlapped region cannot be restored on its own.
    void finish_regions() {
        auto& regions = scan_.regions;
        std::sort(regions.begin(), regions.end(),
                  [](const CompressedRegion& a, const CompressedRegion& b) {
                      return a.offset != b.offset ? a.offset < b.offset : a.length < b.length;
                  });
        std::vector<CompressedRegion> kept;
        uint64_t end = 0;
        for (const CompressedRegion& region : regions) {
            if (region.offset < end)
                continue;
            kept.push_back(region);
            end = region.offset + region.length;
        }
        regions = std::move(kept);
    }

    int fd_;
    std::string path_;
    ImageScan scan_;
    BlockCodec codec_;
};

} // namespace

uint32_t ImageScan::max_uncompressed() const {
    return std::max(header.super.block_size, kMetadataBlockSize);
}

ImageScan scan_image(int fd, const std::string& path) {
    return Scanner(fd, path).run();
}

} // namespace squashpub::generator
