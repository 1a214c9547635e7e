#include "verifier/sqdelta_reader.hpp"

#include "core/byte_order.hpp"
#include "core/error.hpp"
#include "core/files.hpp"

#include <sstream>

namespace squashpub::verifier {
namespace {

std::string hex(uint32_t value) {
    std::ostringstream text;
    text << "0x" << std::hex << value;
    return text.str();
}

} // namespace

DeltaHeader parse_header(const uint8_t* bytes, const std::string& subject) {
    const uint32_t magic = load_be32(bytes);
    if (magic != kDeltaMagic)
        throw Error(subject, "bad magic " + hex(magic) + " (expected 0x5371ceb4)");
    const uint32_t flags = load_be32(bytes + 4);
    if (flags != 0)
        throw Error(subject, "flags are " + hex(flags) + " (must be 0)");
    DeltaHeader header;
    header.compression_value = load_be32(bytes + 8);
    header.compression = CompressionSpec::decode(header.compression_value, subject);
    header.block_count = load_be32(bytes + 12);
    return header;
}

std::vector<DeltaRecord> parse_records(const uint8_t* bytes, uint32_t count, uint64_t limit,
                                       const std::string& subject, const std::string& which) {
    std::vector<DeltaRecord> records(count);
    uint64_t previous_end = 0;
    for (uint32_t i = 0; i < count; ++i) {
        const uint8_t* p = bytes + kRecordBytes * i;
        DeltaRecord& r = records[i];
        r = {load_be32(p), load_be32(p + 4), load_be32(p + 8)};
        const std::string where = which + " block " + std::to_string(i) + " (offset " +
                                  std::to_string(r.offset) + ", length " +
                                  std::to_string(r.length) + ")";
        if (r.length == 0)
            throw Error(subject, where + " is empty");
        if (r.uncompressed_length > kMaxUncompressedBlock)
            throw Error(subject, where + " claims " + std::to_string(r.uncompressed_length) +
                                     " decompressed bytes, more than any SquashFS block");
        if (i > 0 && r.offset < previous_end)
            throw Error(subject, where + " is out of order or overlaps the previous block");
        if (uint64_t{r.offset} + r.length > limit)
            throw Error(subject,
                        where + " ends past the image's " + std::to_string(limit) + " bytes");
        previous_end = uint64_t{r.offset} + r.length;
    }
    return records;
}

DeltaFile read_delta_file(int fd, const std::string& path, uint64_t source_size) {
    DeltaFile delta;
    delta.size = file_size_of(fd, path);
    if (delta.size < kHeaderBytes)
        throw Error(path,
                    "too short for a sqdelta header (" + std::to_string(delta.size) + " bytes)");
    uint8_t raw_header[kHeaderBytes];
    read_exact_at(fd, raw_header, kHeaderBytes, 0, path);
    delta.header = parse_header(raw_header, path);
    delta.vcdiff_offset = kHeaderBytes + kRecordBytes * delta.header.block_count;
    if (delta.vcdiff_offset + 4 > delta.size)
        throw Error(path, "truncated: " + std::to_string(delta.header.block_count) +
                              " source blocks and a VCDIFF header need more than " +
                              std::to_string(delta.size) + " bytes");
    delta.raw_prefix.resize(delta.vcdiff_offset);
    read_exact_at(fd, delta.raw_prefix.data(), delta.raw_prefix.size(), 0, path);
    delta.source_blocks = parse_records(delta.raw_prefix.data() + kHeaderBytes,
                                        delta.header.block_count, source_size, path, "source");
    uint8_t vcdiff[4];
    read_exact_at(fd, vcdiff, 4, delta.vcdiff_offset, path);
    if (vcdiff[0] != 0xD6 || vcdiff[1] != 0xC3 || vcdiff[2] != 0xC4 || vcdiff[3] != 0x00)
        throw Error(path, "no VCDIFF stream (D6 C3 C4 00) at offset " +
                              std::to_string(delta.vcdiff_offset));
    return delta;
}

} // namespace squashpub::verifier
