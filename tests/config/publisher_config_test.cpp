#include "config/publisher_config.hpp"

#include "core/names.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "support/test_support.hpp"

#include <algorithm>
#include <filesystem>
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
    EXPECT_FALSE(config.valid_for);
    EXPECT_FALSE(config.resign_after);
    EXPECT_EQ(config.warn_key_expiry_days, 30u);
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
    EXPECT_EQ(config.signing->keys, std::vector<std::string>{"ABCD"});
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
                          Case{"repo", "gen.too", "repo: 'gen.too' contains ."},
                          Case{"delta_window", "30", "delta_window: expected an integer"},
                          Case{"delta_window", -1, "delta_window: expected an integer"},
                          Case{"max_delta_ratio", 1.5, "max_delta_ratio: expected a number"},
                          Case{"max_delta_ratio", "0.9", "max_delta_ratio: expected a number"},
                          Case{"version", "weekly", "version: expected \"date\" or \"commit\""},
                          Case{"archive", "tape", "archive: expected \"full\""},
                          Case{"jobs", 0, "jobs: expected an integer from 1"},
                          Case{"signing", "yes", "signing: expected a JSON object"},
                          Case{"signing", nlohmann::json::object(), "signing.key: required"},
                          Case{"image", {{"level", 99}}, "image.level"},
                          Case{"archive_keep",
                               {{"policy", "keep"}},
                               "archive_keep.policy: expected \"reverse-deltas\" or \"drop\""},
                          Case{"archive_keep", {{"max_versions", 0}}, "archive_keep.max_versions"},
                          Case{"archive_keep", {{"full", 3}}, "archive_keep.full: unknown key"},
                          Case{"metrics_file", 1, "metrics_file: expected a string"},
                          Case{"metrics_file", "/srv/m/metrics.prom",
                               "metrics_file: '/srv/m/metrics.prom' is inside mirror_dir"}}) {
        nlohmann::json json = minimal();
        json[c.key] = c.value;
        EXPECT_NE(error_for(json).find(c.expected), std::string::npos)
            << c.key << ": " << error_for(json);
    }
}

// A careless metrics_file replaces whatever it names after every run: the
// publisher's own state, the private archive, the source tree (a new image
// every night) or the config itself (the next night cannot start).
TEST(PublisherConfig, MetricsFileMustNotReplaceThePublishersOwnFiles) {
    for (const char* inside : {"/var/lib/s/last-success", "/var/lib/s/x.prom", "/srv/a/m.prom",
                               "/srv/gentoo/metrics.prom", "/var/lib/s"}) {
        nlohmann::json json = minimal();
        json["metrics_file"] = inside;
        EXPECT_NE(error_for(json).find("metrics_file: '" + std::string(inside) + "' is "),
                  std::string::npos)
            << inside << ": " << error_for(json);
    }
    TempDir dir;
    nlohmann::json json = minimal();
    json["metrics_file"] = dir.file("p.json");
    test::write_file(dir.file("p.json"), json.dump());
    try {
        load_publisher_config(dir.file("p.json"));
        ADD_FAILURE() << "a metrics_file naming the config file itself was accepted";
    } catch (const UsageError& e) {
        EXPECT_NE(e.problem().find("is this configuration file"), std::string::npos) << e.problem();
    }
}

TEST(PublisherConfig, ArchiveKeepAndMetricsFile) {
    TempDir dir;
    nlohmann::json json = minimal();
    EXPECT_EQ(error_for(json), "");
    json["archive_keep"] = {{"policy", "drop"}, {"max_versions", 90}};
    json["metrics_file"] = "/var/lib/node-exporter/squashpub.prom";
    test::write_file(dir.file("p.json"), json.dump());
    const PublisherConfig config = load_publisher_config(dir.file("p.json"));
    ASSERT_TRUE(config.archive_keep);
    EXPECT_EQ(config.archive_keep->policy, ArchiveKeep::Policy::drop);
    EXPECT_EQ(config.archive_keep->max_versions, 90u);
    EXPECT_EQ(config.metrics_file, "/var/lib/node-exporter/squashpub.prom");
    json["archive_keep"] = nlohmann::json::object(); // the defaults
    test::write_file(dir.file("p.json"), json.dump());
    const PublisherConfig defaults = load_publisher_config(dir.file("p.json"));
    ASSERT_TRUE(defaults.archive_keep);
    EXPECT_EQ(defaults.archive_keep->policy, ArchiveKeep::Policy::reverse_deltas);
    EXPECT_FALSE(defaults.archive_keep->max_versions);
}

// Issue #12: freshness durations and several signing keys.
TEST(PublisherConfig, FreshnessAndSigningKeys) {
    nlohmann::json json = minimal();
    json["valid_for"] = "7d";
    json["warn_key_expiry"] = 14;
    json["signing"] = {{"keys", {"OLD", "NEW"}}};
    TempDir dir;
    test::write_file(dir.file("p.json"), json.dump());
    PublisherConfig config = load_publisher_config(dir.file("p.json"));
    EXPECT_EQ(*config.valid_for, std::chrono::hours(7 * 24));
    EXPECT_EQ(*config.resign_after, std::chrono::hours(84)) << "half of valid_for";
    EXPECT_EQ(config.warn_key_expiry_days, 14u);
    EXPECT_EQ(config.signing->keys, (std::vector<std::string>{"OLD", "NEW"}));

    json["resign_after"] = "1d12h";
    test::write_file(dir.file("p.json"), json.dump());
    EXPECT_EQ(*load_publisher_config(dir.file("p.json")).resign_after, std::chrono::hours(36));

    struct Case {
        const char* key;
        nlohmann::json value;
        const char* expected;
    };
    for (const Case& c :
         {Case{"valid_for", "7", "valid_for: '7' is not a duration (missing unit after 7"},
          Case{"valid_for", "0d", "valid_for: '0d' is not a duration (must be longer than zero"},
          Case{"valid_for", 7, "valid_for: expected a string"},
          Case{"resign_after", "7d",
               "resign_after: (1w) must be shorter than valid_for (1w), or the manifest expires"},
          Case{"resign_after", "3x", "resign_after: '3x' is not a duration (unknown unit 'x'"},
          Case{"warn_key_expiry", "30d", "warn_key_expiry: expected an integer"},
          Case{"signing",
               {{"key", "A"}, {"keys", {"B"}}},
               "signing.keys: give either \"key\" (one fingerprint) or \"keys\" (a list), "
               "not both"},
          Case{"signing",
               {{"keys", nlohmann::json::array()}},
               "signing.keys: must list at least one fingerprint"},
          Case{"signing", {{"keys", {"A", "A"}}}, "signing.keys: 'A' is empty or listed twice"},
          Case{"signing", {{"keys", "A"}}, "signing.keys: expected a list of strings"}}) {
        nlohmann::json bad = minimal();
        bad["valid_for"] = "7d";
        bad[c.key] = c.value;
        EXPECT_NE(error_for(bad).find(c.expected), std::string::npos)
            << c.key << ": " << error_for(bad);
    }
    nlohmann::json orphan = minimal();
    orphan["resign_after"] = "1d";
    EXPECT_EQ(error_for(orphan),
              "resign_after: needs valid_for (re-signing refreshes Valid-Until)");
}

TEST(PublisherConfig, UnknownKeysAnywhere) {
    nlohmann::json json = minimal();
    json["delta_widnow"] = 3;
    EXPECT_EQ(error_for(json), "delta_widnow: unknown key");
    json = minimal();
    json["signing"] = {{"key", "A"}, {"gnupghome", "/x"}};
    EXPECT_EQ(error_for(json), "signing.gnupghome: unknown key");
}

// The one name grammar (README, "Names"): what every client can use.
TEST(NameGrammar, Versions) {
    for (const char* good :
         {"20260101", "1.2.3", "a_b", "c++", "v1+git.5", ".hidden", "x.sqfsx", "A9", "currents"})
        EXPECT_EQ(version_problem(good), "") << good;
    struct Case {
        std::string version;
        const char* expected;
    };
    for (const Case& c :
         {Case{"", "is empty"}, Case{".", "not a usable name"}, Case{"..", "not a usable name"},
          Case{"a-b", "contains -"}, Case{"a b", "contains \\x20"}, Case{"a\tb", "contains \\x09"},
          Case{"a\vb", "contains \\x0b"}, Case{"a\fb", "contains \\x0c"},
          Case{"a\nb", "contains \\x0a"}, Case{"a/b", "contains /"}, Case{"a:b", "contains :"},
          Case{"caf\xc3\xa9", "contains \\xc3"}, Case{"bad\xff", "contains \\xff"},
          Case{"x.sqfs", "ends in .sqfs"}, Case{"x.sqdelta", "ends in .sqfs or .sqdelta"},
          Case{"current", "reserved"}, Case{std::string(65, 'a'), "longer than 64"}})
        EXPECT_NE(version_problem(c.version).find(c.expected), std::string::npos)
            << c.version << ": " << version_problem(c.version);
}

TEST(NameGrammar, RepositoryNames) {
    for (const char* good : {"gentoo", "gentoo-kde", "guru_2", "A"})
        EXPECT_EQ(repo_name_problem(good), "") << good;
    for (const char* bad :
         {"", "gen.too", "c++", "a b", "a\vb", "a/b", "-x", "x-", "caf\xc3\xa9", "a*", "a:b"})
        EXPECT_NE(repo_name_problem(bad), "") << bad;
}

TEST(NameGrammar, ConfigAndFlagErrorsNameWhereAndShowTheBytes) {
    nlohmann::json json = minimal();
    json["repo"] = "gen too";
    EXPECT_NE(error_for(json).find("repo: 'gen too' contains \\x20"), std::string::npos)
        << error_for(json);
    try {
        require_valid_version("a\xff", "--version");
        ADD_FAILURE() << "accepted";
    } catch (const UsageError& e) {
        EXPECT_EQ(e.subject(), "--version");
        EXPECT_NE(e.problem().find("'a\\xff'"), std::string::npos) << e.problem();
    }
}

TEST(NameGrammar, NonUtf8ConfigValueNamesTheFile) {
    TempDir dir;
    test::write_file(dir.file("p.json"), "{\"repo\": \"gen\xfftoo\"}");
    try {
        load_publisher_config(dir.file("p.json"));
        ADD_FAILURE() << "accepted";
    } catch (const UsageError& e) {
        EXPECT_EQ(e.subject(), dir.file("p.json"));
        EXPECT_NE(e.problem().find("invalid JSON"), std::string::npos) << e.problem();
    }
}

// Every pair of the three directories, the same or nested, existing or not.
TEST(PublisherConfig, MirrorArchiveAndStateMustBeApart) {
    TempDir dir;
    const std::string base = dir.path();
    std::filesystem::create_directories(base + "/real");
    std::filesystem::create_symlink(base + "/real", base + "/link");
    const char* keys[] = {"mirror_dir", "archive_dir", "state_dir"};
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            if (i == j)
                continue;
            const std::string first = keys[std::min(i, j)]; // the error names both
            struct Layout {
                std::string a, b;
            };
            for (const Layout& layout :
                 {Layout{base + "/same", base + "/same"}, Layout{base + "/same", base + "/same/"},
                  Layout{base + "/out", base + "/out/in"},
                  Layout{base + "/new/x", base + "/new/x/y/z"},
                  Layout{base + "/real", base + "/link"},
                  Layout{base + "/real/d", base + "/link/d"},
                  Layout{base + "/x", base + "/y/../x"}}) {
                nlohmann::json json = minimal();
                json["mirror_dir"] = base + "/m";
                json["archive_dir"] = base + "/a";
                json["state_dir"] = base + "/s";
                json[keys[i]] = layout.a;
                json[keys[j]] = layout.b;
                const std::string error = error_for(json);
                EXPECT_NE(error.find(first + ": and "), std::string::npos)
                    << keys[i] << "=" << layout.a << " " << keys[j] << "=" << layout.b << ": "
                    << error;
                EXPECT_NE(error.find("must be three separate directories"), std::string::npos)
                    << error;
            }
        }
    // Siblings with a common name prefix are fine.
    nlohmann::json json = minimal();
    json["mirror_dir"] = base + "/pub";
    json["archive_dir"] = base + "/pub-archive";
    json["state_dir"] = base + "/pub-state";
    EXPECT_EQ(error_for(json), "");
}

} // namespace
} // namespace squashpub::config

namespace squashpub::config {
namespace {

nlohmann::json with(const nlohmann::json& extra) {
    nlohmann::json json = {{"repo", "gentoo"},          {"source", "/srv/gentoo"},
                           {"mirror_dir", "/srv/m"},    {"archive_dir", "/srv/a"},
                           {"state_dir", "/var/lib/s"}, {"signing", nullptr}};
    json.update(extra);
    return json;
}

PublisherConfig load(const nlohmann::json& json) {
    TempDir dir;
    test::write_file(dir.file("p.json"), json.dump());
    return load_publisher_config(dir.file("p.json"));
}

std::string problem(const nlohmann::json& json) {
    try {
        load(json);
    } catch (const UsageError& e) {
        return e.problem();
    }
    return "";
}

TEST(FlavorConfig, FlavorsDeriveFromTheMainImageOptions) {
    const PublisherConfig config =
        load(with({{"image", {{"compressor", "lzo"}, {"uid", 250}, {"block_size", 65536}}},
                   {"flavors",
                    {{{"name", "xz"}, {"compressor", "xz"}, {"level", 9}},
                     {{"name", "zst"}, {"compressor", "zstd"}, {"block_size", 1048576}}}}}));
    ASSERT_EQ(config.flavors.size(), 2u);
    EXPECT_EQ(config.flavors[0].name, "xz");
    EXPECT_EQ(config.flavors[0].image.compressor, Compressor::xz);
    EXPECT_EQ(config.flavors[0].image.level, 9);
    EXPECT_EQ(config.flavors[0].image.uid, 250u);
    EXPECT_EQ(config.flavors[0].image.block_size, 65536u);
    EXPECT_EQ(config.flavors[0].image.layout, Layout::classic);
    EXPECT_EQ(config.flavors[1].image.block_size, 1048576u);
    EXPECT_FALSE(config.flavors[1].image.level); // not the main image's lzo level
    EXPECT_FALSE(config.current_aliases);
}

TEST(FlavorConfig, BadFlavorsAreRefusedWithTheKey) {
    auto flavor = [](const nlohmann::json& entry) {
        return problem(with({{"flavors", nlohmann::json::array({entry})}}));
    };
    EXPECT_NE(flavor({{"name", "sqfs"}, {"compressor", "xz"}})
                  .find("flavors[0].name: 'sqfs' is reserved"),
              std::string::npos);
    EXPECT_NE(flavor({{"name", "sqdelta"}, {"compressor", "xz"}}).find("reserved"),
              std::string::npos);
    EXPECT_NE(flavor({{"name", "current"}, {"compressor", "xz"}}).find("reserved"),
              std::string::npos);
    EXPECT_NE(flavor({{"name", "x.z"}, {"compressor", "xz"}}).find("contains ."),
              std::string::npos);
    EXPECT_NE(flavor({{"name", "x-z"}, {"compressor", "xz"}}).find("contains -"),
              std::string::npos);
    EXPECT_NE(flavor({{"name", "9xz"}, {"compressor", "xz"}}).find("start with a letter"),
              std::string::npos);
    EXPECT_NE(flavor({{"name", "abcdefghijklmnopq"}, {"compressor", "xz"}}).find("longer than 16"),
              std::string::npos);
    EXPECT_NE(flavor({{"name", "xz"}}).find("flavors[0].compressor: required"), std::string::npos);
    EXPECT_NE(flavor({{"name", "xz"}, {"compressor", "xz"}, {"level", 12}}).find("level must be"),
              std::string::npos);
    EXPECT_NE(flavor({{"name", "xz"}, {"compressor", "xz"}, {"layout", "stable"}})
                  .find("flavors[0].layout: unknown key"),
              std::string::npos);
    EXPECT_NE(problem(with({{"flavors",
                             {{{"name", "xz"}, {"compressor", "xz"}},
                              {{"name", "xz"}, {"compressor", "gzip"}}}}}))
                  .find("used by two flavors"),
              std::string::npos);
    EXPECT_NE(problem(with({{"flavors", "xz"}})).find("flavors: expected a list"),
              std::string::npos);
}

TEST(FlavorConfig, CurrentAliasesForms) {
    EXPECT_FALSE(load(with({{"current_aliases", false}})).current_aliases);
    const PublisherConfig on = load(with({{"current_aliases", true}}));
    ASSERT_TRUE(on.current_aliases);
    EXPECT_EQ(on.current_aliases->mode, AliasMode::symlink);
    EXPECT_EQ(on.current_aliases->main_infix, "");
    const PublisherConfig copy =
        load(with({{"current_aliases", {{"mode", "copy"}, {"main_infix", "lzo"}}}}));
    EXPECT_EQ(copy.current_aliases->mode, AliasMode::copy);
    EXPECT_EQ(copy.current_aliases->main_infix, "lzo");
    EXPECT_NE(
        problem(with({{"current_aliases", {{"mode", "hardlink"}}}})).find("current_aliases.mode"),
        std::string::npos);
    EXPECT_NE(problem(with({{"current_aliases", "yes"}})).find("current_aliases: expected true"),
              std::string::npos);
    EXPECT_NE(problem(with({{"flavors", {{{"name", "lzo"}, {"compressor", "lzo"}}}},
                            {"current_aliases", {{"main_infix", "lzo"}}}}))
                  .find("also a flavor's name"),
              std::string::npos);
}

TEST(FlavorConfig, AliasNamesAndReservedVersions) {
    EXPECT_EQ(current_alias_name("gentoo"), "gentoo-current.sqfs");
    EXPECT_EQ(current_alias_name("gentoo", "xz"), "gentoo-current.xz.sqfs");
    EXPECT_EQ(current_alias_infix("gentoo", "gentoo-current.sqfs"), "");
    EXPECT_EQ(current_alias_infix("gentoo", "gentoo-current.lzo.sqfs"), "lzo");
    EXPECT_FALSE(current_alias_infix("gentoo", "gentoo-20260101.sqfs"));
    EXPECT_FALSE(current_alias_infix("gentoo", "gentoo-current.a.b.sqfs"));
    EXPECT_FALSE(current_alias_infix("gentoo", "gentoo-currentx.sqfs"));
    EXPECT_FALSE(current_alias_infix("gentoo-kde", "gentoo-current.sqfs"));
    EXPECT_NE(version_problem("current.xz"), "");
    EXPECT_EQ(version_problem("currentx"), "");
    EXPECT_EQ(version_problem("1.0"), "");
}

} // namespace
} // namespace squashpub::config
