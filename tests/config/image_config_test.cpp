#include "config/image_config.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

namespace squashpub::config {
namespace {

std::string load_error(const std::string& json) {
    TempDir dir;
    test::write_file(dir.file("c.json"), json);
    try {
        load_image_options(dir.file("c.json"));
    } catch (const UsageError& e) {
        std::string message = e.what();
        EXPECT_NE(message.find(dir.file("c.json")), std::string::npos) << message;
        return message.substr(message.find("c.json") + 8);
    }
    ADD_FAILURE() << "no error for " << json;
    return "";
}

TEST(ImageConfig, ReadsEveryKey) {
    TempDir dir;
    test::write_file(dir.file("c.json"), R"({"repo": "gentoo", "image": {
        "compressor": "lz4", "block_size": 65536, "uid": 250, "gid": 250,
        "mtime": 1700000000, "exclude": ["*.pyc", "distfiles/"]}})");
    ImageOptions options = load_image_options(dir.file("c.json"));
    EXPECT_EQ(options.compressor, Compressor::lz4);
    EXPECT_EQ(options.block_size, 65536u);
    EXPECT_EQ(options.uid, 250u);
    EXPECT_EQ(options.gid, 250u);
    EXPECT_EQ(options.mtime, 1700000000u);
    EXPECT_EQ(options.exclude, (std::vector<std::string>{"*.pyc", "distfiles/"}));
}

TEST(ImageConfig, DefaultsWithoutImageSection) {
    TempDir dir;
    test::write_file(dir.file("c.json"), R"({"repo": "gentoo"})");
    ImageOptions options = load_image_options(dir.file("c.json"));
    EXPECT_EQ(options.compressor, Compressor::lzo);
    EXPECT_FALSE(options.level);
    EXPECT_EQ(level_range(Compressor::lzo)->fallback, 4);
    EXPECT_EQ(options.block_size, 131072u);
}

TEST(ImageConfig, ErrorsNameFileAndKey) {
    EXPECT_NE(load_error("{").find("invalid JSON"), std::string::npos);
    EXPECT_NE(load_error(R"({"image": {"levle": 3}})").find("image.levle: unknown key"),
              std::string::npos);
    EXPECT_NE(
        load_error(R"({"image": {"level": "high"}})").find("image.level: expected an integer"),
        std::string::npos);
    EXPECT_NE(
        load_error(R"({"image": {"compressor": "brotli"}})").find("unknown compressor 'brotli'"),
        std::string::npos);
    EXPECT_NE(
        load_error(R"({"image": {"compressor": "lzo", "level": 12}})").find("level must be 1 to 9"),
        std::string::npos);
    EXPECT_NE(load_error(R"({"image": {"block_size": 100000}})").find("block_size"),
              std::string::npos);
    EXPECT_NE(
        load_error(R"({"image": {"exclude": "*.pyc"}})").find("image.exclude: expected a list"),
        std::string::npos);
    EXPECT_NE(load_error(R"({"image": {"compressor": "lz4", "level": 1}})").find("takes no level"),
              std::string::npos);
    EXPECT_NE(load_error(R"({"image": [1]})").find("image: expected a JSON object"),
              std::string::npos);
}

TEST(ImageConfig, MissingFileIsAUsageError) {
    EXPECT_THROW(load_image_options("/nonexistent/squashpub.json"), UsageError);
}

} // namespace
} // namespace squashpub::config
