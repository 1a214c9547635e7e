#pragma once
// How an image is built: the `image` section of a config file, which the
// command line may override key by key.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::config {

enum class Compressor { lzo, lz4, gzip, xz, zstd };

// How entries are placed in the image (docs/architecture.md, "Stable layout").
enum class Layout {
    stable,  // positions carried over from --layout-from; changes go to free space
    classic, // mksquashfs's order: everything laid out afresh every time
};

// What timestamp each inode gets.
enum class Timestamps {
    carry,    // unchanged entries keep the previous image's; changed ones get the image time
    revision, // every inode gets the image time
};

struct ImageOptions {
    Compressor compressor = Compressor::lzo;
    std::optional<int> level; // unset: the compressor's default (lzo: 4)
    uint32_t block_size = 128 * 1024;
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::optional<uint32_t> mtime; // unset: committer time of the revision
    std::vector<std::string> exclude;
    unsigned jobs = 0; // 0: one per core
    Layout layout = Layout::stable;
    Timestamps timestamps = Timestamps::carry;
    // A stable-layout metadata log is rewritten compactly once its dead
    // bytes exceed this percentage of its live bytes.
    unsigned compact_percent = 50;
};

Layout parse_layout(const std::string& name, const std::string& subject);
Timestamps parse_timestamps(const std::string& name, const std::string& subject);

Compressor parse_compressor(const std::string& name, const std::string& subject);
std::string compressor_name(Compressor compressor);

// The valid level range and default of each compressor; lz4 has none.
struct LevelRange {
    int min, max, fallback;
};
std::optional<LevelRange> level_range(Compressor compressor);

// Checks level against the compressor and block_size (power of two, 4 KiB
// to 1 MiB); subject names where the values came from.
void validate_image_options(const ImageOptions& options, const std::string& subject);

// Reads the optional `image` object of a config file.
ImageOptions load_image_options(const std::string& config_path);

class JsonObject;
// Reads an `image` object (shared by the image and publisher configs).
ImageOptions read_image_options(JsonObject& image, const std::string& config_path);

} // namespace squashpub::config
