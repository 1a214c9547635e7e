#include "config/image_config.hpp"

#include "config/json_fields.hpp"
#include "core/error.hpp"

namespace squashpub::config {

Compressor parse_compressor(const std::string& name, const std::string& subject) {
    if (name == "lzo")
        return Compressor::lzo;
    if (name == "lz4")
        return Compressor::lz4;
    if (name == "gzip")
        return Compressor::gzip;
    if (name == "xz")
        return Compressor::xz;
    if (name == "zstd")
        return Compressor::zstd;
    throw UsageError(subject,
                     "unknown compressor '" + name + "' (expected lzo, lz4, gzip, xz or zstd)");
}

std::string compressor_name(Compressor compressor) {
    switch (compressor) {
    case Compressor::lzo:
        return "lzo";
    case Compressor::lz4:
        return "lz4";
    case Compressor::gzip:
        return "gzip";
    case Compressor::xz:
        return "xz";
    case Compressor::zstd:
        return "zstd";
    }
    return "?";
}

std::optional<LevelRange> level_range(Compressor compressor) {
    switch (compressor) {
    case Compressor::lzo:
        return LevelRange{1, 9, 4}; // 4: the historic Gentoo setting
    case Compressor::gzip:
        return LevelRange{1, 9, 9};
    case Compressor::xz:
        return LevelRange{0, 9, 6};
    case Compressor::zstd:
        return LevelRange{1, 22, 15};
    case Compressor::lz4:
        return std::nullopt;
    }
    return std::nullopt;
}

void validate_image_options(const ImageOptions& options, const std::string& subject) {
    if (options.level) {
        auto range = level_range(options.compressor);
        if (!range)
            throw UsageError(subject, compressor_name(options.compressor) +
                                          " takes no level (only fast LZ4 is client-compatible)");
        if (*options.level < range->min || *options.level > range->max)
            throw UsageError(subject, compressor_name(options.compressor) + " level must be " +
                                          std::to_string(range->min) + " to " +
                                          std::to_string(range->max) + ", got " +
                                          std::to_string(*options.level));
    }
    const uint32_t bs = options.block_size;
    if (bs < 4096 || bs > (1u << 20) || (bs & (bs - 1)) != 0)
        throw UsageError(subject, "block_size must be a power of two from 4096 to 1048576, got " +
                                      std::to_string(bs));
}

Layout parse_layout(const std::string& name, const std::string& subject) {
    if (name == "stable")
        return Layout::stable;
    if (name == "classic")
        return Layout::classic;
    throw UsageError(subject, "unknown layout '" + name + "' (expected stable or classic)");
}

Timestamps parse_timestamps(const std::string& name, const std::string& subject) {
    if (name == "carry")
        return Timestamps::carry;
    if (name == "revision")
        return Timestamps::revision;
    throw UsageError(subject,
                     "unknown timestamps policy '" + name + "' (expected carry or revision)");
}

ImageOptions read_image_options(JsonObject& image, const std::string& config_path) {
    ImageOptions options;
    if (auto name = image.string("compressor"))
        options.compressor = parse_compressor(*name, config_path + ": image.compressor");
    if (auto level = image.unsigned_integer("level", 0, 22))
        options.level = static_cast<int>(*level);
    if (auto block_size = image.unsigned_integer("block_size", 4096, 1 << 20))
        options.block_size = static_cast<uint32_t>(*block_size);
    if (auto uid = image.unsigned_integer("uid", 0, UINT32_MAX))
        options.uid = static_cast<uint32_t>(*uid);
    if (auto gid = image.unsigned_integer("gid", 0, UINT32_MAX))
        options.gid = static_cast<uint32_t>(*gid);
    if (auto mtime = image.unsigned_integer("mtime", 0, UINT32_MAX))
        options.mtime = static_cast<uint32_t>(*mtime);
    if (auto exclude = image.string_list("exclude"))
        options.exclude = *exclude;
    if (auto layout = image.string("layout"))
        options.layout = parse_layout(*layout, config_path + ": image.layout");
    if (auto timestamps = image.string("timestamps"))
        options.timestamps = parse_timestamps(*timestamps, config_path + ": image.timestamps");
    if (auto percent = image.unsigned_integer("compact_percent", 1, 1000))
        options.compact_percent = static_cast<unsigned>(*percent);
    image.reject_unknown_keys();
    validate_image_options(options, config_path + ": image");
    return options;
}

ImageOptions load_image_options(const std::string& config_path) {
    nlohmann::json document = parse_json_file(config_path);
    JsonObject top(document, config_path, "");
    std::optional<JsonObject> image = top.object("image");
    return image ? read_image_options(*image, config_path) : ImageOptions{};
}

} // namespace squashpub::config
