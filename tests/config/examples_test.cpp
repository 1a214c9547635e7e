// The example configs that `cmake --install` ships must load as they are:
// an operator copies one to /etc/squashpub and edits paths and the key.
#include "config/publisher_config.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace squashpub::config {
namespace {

std::vector<std::string> example_files() {
    std::vector<std::string> files;
    for (const auto& entry : std::filesystem::directory_iterator(SQUASHPUB_EXAMPLES_DIR))
        if (entry.path().extension() == ".json")
            files.push_back(entry.path().string());
    return files;
}

TEST(ExampleConfigs, EveryExampleLoads) {
    const std::vector<std::string> files = example_files();
    ASSERT_GE(files.size(), 2u) << SQUASHPUB_EXAMPLES_DIR;
    for (const std::string& file : files)
        EXPECT_NO_THROW(load_publisher_config(file)) << file;
}

TEST(ExampleConfigs, GentooExampleKeepsGentooNames) {
    // Gentoo's snapshot directory: gentoo-YYYYMMDD.* names, images owned by
    // portage (250:250), signed with Current: also in the armor header.
    const PublisherConfig config =
        load_publisher_config(std::string(SQUASHPUB_EXAMPLES_DIR) + "/gentoo.json");
    EXPECT_EQ(config.repo, "gentoo");
    EXPECT_EQ(config.version, VersionScheme::date);
    EXPECT_EQ(config.image.uid, 250u);
    EXPECT_EQ(config.image.gid, 250u);
    ASSERT_TRUE(config.signing);
    EXPECT_TRUE(config.signing->current_in_comment);
    // Gentoo's client-facing names: gentoo-YYYYMMDD.xz.sqfs,
    // gentoo-current.xz.sqfs and gentoo-current.lzo.sqfs (the main lzo
    // chain, whose dated name gentoo-YYYYMMDD.sqfs the delta client needs).
    ASSERT_EQ(config.flavors.size(), 1u);
    EXPECT_EQ(config.flavors[0].name, "xz");
    EXPECT_EQ(config.flavors[0].image.compressor, Compressor::xz);
    EXPECT_EQ(config.image.compressor, Compressor::lzo);
    ASSERT_TRUE(config.current_aliases);
    EXPECT_EQ(config.current_aliases->mode, AliasMode::symlink);
    EXPECT_EQ(config.current_aliases->main_infix, "lzo");
}

} // namespace
} // namespace squashpub::config
