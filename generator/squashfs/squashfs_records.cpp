#include "generator/squashfs/squashfs_records.hpp"

#include "core/byte_order.hpp"

#include <algorithm>
#include <cstdlib>

namespace squashpub::generator {
namespace {

constexpr size_t kMaxRun = 256;            // entries under one listing header
constexpr int32_t kMaxNumberDelta = 32767; // entry numbers are 16-bit offsets from the header's

class Encoder {
  public:
    void u16(uint64_t value) { put(value, 2); }
    void u32(uint64_t value) { put(value, 4); }
    void u64(uint64_t value) { put(value, 8); }
    void bytes(const std::string& text) { out_ += text; }
    std::string take() { return std::move(out_); }

  private:
    void put(uint64_t value, int width) {
        for (int i = 0; i < width; ++i)
            out_.push_back(static_cast<char>(value >> (8 * i)));
    }
    std::string out_;
};

class Decoder {
  public:
    Decoder(const std::string& table, size_t pos) : table_(table), pos_(pos) {}
    bool ok() const { return ok_; }
    size_t pos() const { return pos_; }
    uint16_t u16() { return static_cast<uint16_t>(get(2)); }
    uint32_t u32() { return static_cast<uint32_t>(get(4)); }
    uint64_t u64() { return get(8); }
    std::string bytes(size_t n) {
        if (!have(n))
            return {};
        std::string text = table_.substr(pos_, n);
        pos_ += n;
        return text;
    }

  private:
    bool have(size_t n) {
        if (pos_ > table_.size() || n > table_.size() - pos_)
            ok_ = false;
        return ok_;
    }
    uint64_t get(int width) {
        if (!have(static_cast<size_t>(width)))
            return 0;
        uint64_t value = 0;
        for (int i = 0; i < width; ++i)
            value |= uint64_t{static_cast<uint8_t>(table_[pos_ + i])} << (8 * i);
        pos_ += width;
        return value;
    }
    const std::string& table_;
    size_t pos_;
    bool ok_ = true;
};

size_t block_count(const InodeRecord& inode, uint32_t block_size) {
    const uint64_t full = inode.file_size / block_size;
    const bool partial = inode.file_size % block_size != 0;
    return static_cast<size_t>(full + (partial && inode.fragment_index == kNoFragment));
}

uint64_t inode_block(uint64_t ref) {
    return ref >> 16;
}

} // namespace

bool InodeRecord::is_directory() const {
    return type == InodeType::directory || type == InodeType::extended_directory;
}
bool InodeRecord::is_file() const {
    return type == InodeType::file || type == InodeType::extended_file;
}
bool InodeRecord::is_symlink() const {
    return type == InodeType::symlink || type == InodeType::extended_symlink;
}

std::string encode_inode(const InodeRecord& inode) {
    Encoder out;
    out.u16(static_cast<uint16_t>(inode.type));
    out.u16(inode.mode);
    out.u16(inode.uid_index);
    out.u16(inode.gid_index);
    out.u32(inode.mtime);
    out.u32(inode.inode_number);
    switch (inode.type) {
    case InodeType::directory:
        out.u32(inode.listing_block);
        out.u32(inode.nlink);
        out.u16(inode.listing_size);
        out.u16(inode.listing_offset);
        out.u32(inode.parent_inode);
        break;
    case InodeType::extended_directory:
        out.u32(inode.nlink);
        out.u32(inode.listing_size);
        out.u32(inode.listing_block);
        out.u32(inode.parent_inode);
        out.u16(0); // no directory index: readers scan the listing instead
        out.u16(inode.listing_offset);
        out.u32(kNoXattr);
        break;
    case InodeType::file:
        out.u32(inode.blocks_start);
        out.u32(inode.fragment_index);
        out.u32(inode.fragment_offset);
        out.u32(inode.file_size);
        break;
    case InodeType::extended_file:
        out.u64(inode.blocks_start);
        out.u64(inode.file_size);
        out.u64(0); // sparse bytes
        out.u32(inode.nlink);
        out.u32(inode.fragment_index);
        out.u32(inode.fragment_offset);
        out.u32(kNoXattr);
        break;
    case InodeType::special:
        break; // never written
    case InodeType::symlink:
    case InodeType::extended_symlink:
        out.u32(inode.nlink);
        out.u32(inode.symlink_target.size());
        out.bytes(inode.symlink_target);
        if (inode.type == InodeType::extended_symlink)
            out.u32(kNoXattr);
        break;
    }
    if (inode.is_file())
        for (uint32_t word : inode.block_sizes)
            out.u32(word);
    return out.take();
}

std::optional<InodeRecord> decode_inode(const std::string& table, size_t pos, uint32_t block_size,
                                        size_t& size) {
    Decoder in(table, pos);
    InodeRecord inode;
    const uint16_t type = in.u16();
    inode.mode = in.u16();
    inode.uid_index = in.u16();
    inode.gid_index = in.u16();
    inode.mtime = in.u32();
    inode.inode_number = in.u32();
    switch (type) {
    case 1:
        inode.type = InodeType::directory;
        inode.listing_block = in.u32();
        inode.nlink = in.u32();
        inode.listing_size = in.u16();
        inode.listing_offset = in.u16();
        inode.parent_inode = in.u32();
        break;
    case 8: {
        inode.type = InodeType::extended_directory;
        inode.nlink = in.u32();
        inode.listing_size = in.u32();
        inode.listing_block = in.u32();
        inode.parent_inode = in.u32();
        const uint16_t index_count = in.u16();
        inode.listing_offset = in.u16();
        in.u32(); // xattr index
        for (uint16_t k = 0; k < index_count && in.ok(); ++k) {
            in.u32(), in.u32(); // listing offset, directory table block
            in.bytes(size_t{in.u32()} + 1);
        }
        break;
    }
    case 2:
        inode.type = InodeType::file;
        inode.blocks_start = in.u32();
        inode.fragment_index = in.u32();
        inode.fragment_offset = in.u32();
        inode.file_size = in.u32();
        break;
    case 9:
        inode.type = InodeType::extended_file;
        inode.blocks_start = in.u64();
        inode.file_size = in.u64();
        in.u64(); // sparse bytes
        inode.nlink = in.u32();
        inode.fragment_index = in.u32();
        inode.fragment_offset = in.u32();
        in.u32(); // xattr index
        break;
    case 3:
    case 10: {
        inode.type = type == 3 ? InodeType::symlink : InodeType::extended_symlink;
        inode.nlink = in.u32();
        const uint32_t target_size = in.u32();
        if (target_size > 4096)
            return std::nullopt;
        inode.symlink_target = in.bytes(target_size);
        if (type == 10)
            in.u32(); // xattr index
        break;
    }
    case 4:
    case 5: // block and character devices: nlink, rdev
    case 11:
    case 12: // the same with an xattr index
        inode.type = InodeType::special;
        inode.nlink = in.u32();
        in.bytes(type < 11 ? 4 : 8);
        break;
    case 6:
    case 7: // fifos and sockets: nlink
    case 13:
    case 14:
        inode.type = InodeType::special;
        inode.nlink = in.u32();
        in.bytes(type < 13 ? 0 : 4);
        break;
    default:
        return std::nullopt;
    }
    if (inode.is_file()) {
        const size_t count = block_count(inode, block_size);
        if (count > (table.size() - std::min(table.size(), in.pos())) / 4)
            return std::nullopt;
        inode.block_sizes.resize(count);
        for (uint32_t& word : inode.block_sizes)
            word = in.u32();
    }
    if (!in.ok())
        return std::nullopt;
    size = in.pos() - pos;
    return inode;
}

std::string encode_listing(const std::vector<ListingEntry>& entries) {
    Encoder out;
    size_t i = 0;
    while (i < entries.size()) {
        const ListingEntry& first = entries[i];
        size_t end = i + 1;
        while (end < entries.size() && end - i < kMaxRun &&
               inode_block(entries[end].inode_ref) == inode_block(first.inode_ref) &&
               std::abs(static_cast<int64_t>(entries[end].inode_number) -
                        static_cast<int64_t>(first.inode_number)) <= kMaxNumberDelta)
            ++end;
        out.u32(end - i - 1);
        out.u32(inode_block(first.inode_ref));
        out.u32(first.inode_number);
        for (size_t k = i; k < end; ++k) {
            const ListingEntry& entry = entries[k];
            out.u16(entry.inode_ref & 0xFFFF);
            out.u16(static_cast<uint16_t>(static_cast<int16_t>(
                static_cast<int64_t>(entry.inode_number) - first.inode_number)));
            out.u16(entry.basic_type);
            out.u16(entry.name.size() - 1);
            out.bytes(entry.name);
        }
        i = end;
    }
    return out.take();
}

uint64_t listing_size_bound(const std::vector<ListingEntry>& entries) {
    uint64_t bound = 0;
    for (const ListingEntry& entry : entries)
        bound += 12 + 8 + entry.name.size(); // as if every entry needed its own header
    return bound;
}

std::optional<std::vector<ListingEntry>> decode_listing(const std::string& table, size_t pos,
                                                        size_t size) {
    if (pos > table.size() || size > table.size() - pos)
        return std::nullopt;
    Decoder in(table, pos);
    std::vector<ListingEntry> entries;
    while (in.ok() && in.pos() < pos + size) {
        const uint32_t count = in.u32() + 1;
        const uint64_t block = in.u32();
        const uint32_t base = in.u32();
        if (count > kMaxRun)
            return std::nullopt;
        for (uint32_t k = 0; k < count && in.ok(); ++k) {
            ListingEntry entry;
            const uint16_t offset = in.u16();
            const auto delta = static_cast<int16_t>(in.u16());
            entry.basic_type = in.u16();
            const size_t name_size = size_t{in.u16()} + 1;
            entry.name = in.bytes(name_size);
            entry.inode_ref = block << 16 | offset;
            entry.inode_number = static_cast<uint32_t>(static_cast<int64_t>(base) + delta);
            entries.push_back(std::move(entry));
        }
    }
    if (!in.ok() || in.pos() != pos + size)
        return std::nullopt;
    return entries;
}

} // namespace squashpub::generator
