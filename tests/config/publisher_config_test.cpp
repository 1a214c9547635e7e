#include "config/publisher_config.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace squashpub::config {
namespace {

nlohmann::json minimal() {
    return {{"repo", "gentoo"},        {"source", "/srv/gentoo"},   {"mirror_dir", "/srv/m"},
            {"archive_dir", "/srv/a"}, {"state_dir", "/var/lib/s"}, {"signing", nullptr}};
}

std::string error_for(const nlohmann::json& json) {
    TempDir dir;
    test::write_file(dir.file("p.json"), json.dump());
    try {
        load_publisher_config(dir.file("p.json"));
    } catch (const UsageError& e) {
        EXPECT_EQ(e.subject(), dir.file("p.json"));
        return e.problem();
    }
    return "";
}

TEST(PublisherConfig, MinimalConfigGetsTheDocumentedDefaults) {
    TempDir dir;
    test::write_file(dir.file("p.json"), minimal().dump());
    PublisherConfig config = load_publisher_config(dir.file("p.json"));
    EXPECT_EQ(config.repo, "gentoo");
    EXPECT_FALSE(config.rev);
    EXPECT_EQ(config.version, VersionScheme::date);
    EXPECT_EQ(config.delta_window, 30u);
    EXPECT_DOUBLE_EQ(config.max_delta_ratio, 0.9);
    EXPECT_EQ(config.keep_snapshots, 0u);
    EXPECT_EQ(config.grace_generations, 1u);
    EXPECT_EQ(config.archive, ArchiveMode::full);
    EXPECT_FALSE(config.signing);
}

TEST(PublisherConfig, ReadsEveryKey) {
    nlohmann::json json = minimal();
    json.update({{"rev", "main"},
                 {"version", "commit"},
                 {"delta_window", 7},
                 {"max_delta_ratio", 0.5},
                 {"keep_snapshots", 2},
                 {"grace_generations", 3},
                 {"archive", "reverse-deltas"},
                 {"jobs", 4},
                 {"image", {{"compressor", "lz4"}, {"uid", 250}}},
                 {"signing",
                  {{"key", "ABCD"},
                   {"gnupg_home", "/h"},
                   {"passphrase_file", "/p"},
                   {"current_in_comment", true}}}});
    TempDir dir;
    test::write_file(dir.file("p.json"), json.dump());
    PublisherConfig config = load_publisher_config(dir.file("p.json"));
    EXPECT_EQ(*config.rev, "main");
    EXPECT_EQ(config.version, VersionScheme::commit);
    EXPECT_EQ(config.delta_window, 7u);
    EXPECT_DOUBLE_EQ(config.max_delta_ratio, 0.5);
    EXPECT_EQ(config.keep_snapshots, 2u);
    EXPECT_EQ(config.grace_generations, 3u);
    EXPECT_EQ(config.archive, ArchiveMode::reverse_deltas);
    EXPECT_EQ(config.jobs, 4u);
    EXPECT_EQ(config.image.compressor, Compressor::lz4);
    EXPECT_EQ(config.image.uid, 250u);
    ASSERT_TRUE(config.signing);
    EXPECT_EQ(config.signing->key, "ABCD");
    EXPECT_TRUE(config.signing->current_in_comment);
}

TEST(PublisherConfig, EachRequiredKeyMissing) {
    for (const char* key : {"repo", "source", "mirror_dir", "archive_dir", "state_dir"}) {
        nlohmann::json json = minimal();
        json.erase(key);
        EXPECT_EQ(error_for(json), std::string(key) + ": required (a non-empty string)") << key;
    }
    nlohmann::json json = minimal();
    json.erase("signing");
    EXPECT_NE(error_for(json).find("signing: required"), std::string::npos);
}

TEST(PublisherConfig, WrongTypesAndValues) {
    struct Case {
        const char* key;
        nlohmann::json value;
        const char* expected;
    };
    for (const Case& c : {Case{"repo", 5, "repo: expected a string"},
                          Case{"repo", "gen.too", "repo: 'gen.too' contains characters"},
                          Case{"delta_window", "30", "delta_window: expected an integer"},
                          Case{"delta_window", -1, "delta_window: expected an integer"},
                          Case{"max_delta_ratio", 1.5, "max_delta_ratio: expected a number"},
                          Case{"max_delta_ratio", "0.9", "max_delta_ratio: expected a number"},
                          Case{"version", "weekly", "version: expected \"date\" or \"commit\""},
                          Case{"archive", "tape", "archive: expected \"full\""},
                          Case{"jobs", 0, "jobs: expected an integer from 1"},
                          Case{"signing", "yes", "signing: expected a JSON object"},
                          Case{"signing", nlohmann::json::object(), "signing.key: required"},
                          Case{"image", {{"level", 99}}, "image.level"}}) {
        nlohmann::json json = minimal();
        json[c.key] = c.value;
        EXPECT_NE(error_for(json).find(c.expected), std::string::npos)
            << c.key << ": " << error_for(json);
    }
}

TEST(PublisherConfig, UnknownKeysAnywhere) {
    nlohmann::json json = minimal();
    json["delta_widnow"] = 3;
    EXPECT_EQ(error_for(json), "delta_widnow: unknown key");
    json = minimal();
    json["signing"] = {{"key", "A"}, {"gnupghome", "/x"}};
    EXPECT_EQ(error_for(json), "signing.gnupghome: unknown key");
}

} // namespace
} // namespace squashpub::config
