#pragma once
// Reads and checks a .sqdelta file as a client would, independently of the
// generator (spec §2, §8 items 1-4 and 7-8). Every violation is an Error
// naming the file and what was expected.

#include "core/block_codec.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace squashpub::verifier {

inline constexpr uint32_t kDeltaMagic = 0x5371CEB4;
inline constexpr uint64_t kHeaderBytes = 16;
inline constexpr uint64_t kRecordBytes = 12;
// SquashFS blocks decompress to at most 1 MiB; anything far beyond that is
// not a block, and would make the applier allocate it before decompressing.
inline constexpr uint32_t kMaxUncompressedBlock = 16u << 20;

struct DeltaRecord {
    uint32_t offset;
    uint32_t length;
    uint32_t uncompressed_length;
};

struct DeltaHeader {
    uint32_t compression_value = 0;
    CompressionSpec compression;
    uint32_t block_count = 0;
};

// Parses a 16-byte header (delta start or expanded-target trailer).
DeltaHeader parse_header(const uint8_t* bytes, const std::string& subject);

// Parses count records and checks they are strictly ascending,
// non-overlapping, non-empty, inside [0, limit) and of a plausible
// decompressed size.
std::vector<DeltaRecord> parse_records(const uint8_t* bytes, uint32_t count, uint64_t limit,
                                       const std::string& subject, const std::string& which);

struct DeltaFile {
    DeltaHeader header;
    std::vector<DeltaRecord> source_blocks;
    std::vector<uint8_t> raw_prefix; // bytes [0, 16 + 12·Ns): header and source list
    uint64_t vcdiff_offset = 0;
    uint64_t size = 0;
};

// Reads header and source list, checks them against the source image size
// and checks the VCDIFF magic that must follow.
DeltaFile read_delta_file(int fd, const std::string& path, uint64_t source_size);

} // namespace squashpub::verifier
