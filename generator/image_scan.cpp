#include "generator/image_scan.hpp"

#include "core/byte_order.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "generator/inode_tree.hpp"

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

        std::string fragment_entries = read_indexed_blocks(fragment_index, "fragment table");
        read_indexed_blocks(export_index, "export table");
        read_indexed_blocks(id_index, "id table");
        if (xattr_kv_start != kNoTable) {
            read_metadata_run(xattr_kv_start,
                              xattr_index.empty() ? s.xattr_id_table_start : xattr_index.front(),
                              "xattr table");
            read_indexed_blocks(xattr_index, "xattr id table");
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

    // Reads one metadata block at offset, records it if compressed, and
    // returns its decompressed content; next receives the following offset.
    std::string read_metadata_block(uint64_t offset, uint64_t& next, const std::string& what) {
        check_range(offset, 2, what + " block header");
        uint8_t word_raw[2];
        read_exact_at(fd_, word_raw, 2, offset, path_);
        const uint16_t word = load_le16(word_raw);
        const uint32_t size = word & 0x7FFF;
        if (size == 0 || size > kMetadataBlockSize)
            corrupt(what + " block with size " + std::to_string(size), offset);
        check_range(offset + 2, size, what + " block");
        std::string stored(size, '\0');
        read_exact_at(fd_, stored.data(), size, offset + 2, path_);
        next = offset + 2 + size;
        if (word & 0x8000)
            return stored;
        scan_.regions.push_back({offset + 2, size, RegionKind::metadata});
        std::string plain(kMetadataBlockSize, '\0');
        auto n = codec_.decompress(reinterpret_cast<const uint8_t*>(stored.data()), size,
                                   reinterpret_cast<uint8_t*>(plain.data()), plain.size());
        if (!n)
            corrupt(what + " block does not decompress", offset);
        plain.resize(*n);
        return plain;
    }

    std::string read_metadata_run(uint64_t start, uint64_t end, const std::string& what) {
        if (start > end)
            corrupt(what + " ends before it starts", start);
        std::string content;
        uint64_t offset = start;
        while (offset < end) {
            content += read_metadata_block(offset, offset, what);
            if (offset > end)
                corrupt(what + " overruns the next table", offset);
        }
        return content;
    }

    std::string read_indexed_blocks(const std::vector<uint64_t>& index, const std::string& what) {
        std::string content;
        for (uint64_t start : index) {
            uint64_t next = 0;
            content += read_metadata_block(start, next, what);
        }
        return content;
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
        StoredTable table = read_stored_table(
            fd_, path_, start, end,
            [this](const uint8_t* in, size_t size, uint8_t* out, size_t capacity) {
                return codec_.decompress(in, size, out, capacity);
            },
            what);
        for (size_t i = 0; i < table.block_starts.size(); ++i) {
            const uint64_t next =
                i + 1 < table.block_starts.size() ? table.block_starts[i + 1] : table.stored_size;
            if (table.block_compressed[i])
                scan_.regions.push_back({start + table.block_starts[i] + 2,
                                         static_cast<uint32_t>(next - table.block_starts[i] - 2),
                                         RegionKind::metadata});
        }
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
