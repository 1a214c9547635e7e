// Every delta source is checked against the archive's record before a
// delta is built from it: by SHA-256 where the index holds one, by SHA-512
// for entries archived before SHA-256 was recorded.

#include "support/publisher_fixture.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace squashpub::test {
namespace {

void flip_byte(const std::string& path, std::streamoff at) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(at);
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x20);
    file.seekp(at);
    file.write(&byte, 1);
}

nlohmann::json read_index(const PublisherFixture& f) {
    return nlohmann::json::parse(read_file(f.path("archive/index.json")));
}

TEST(ArchiveCheck, IndexRecordsSha256AndADamagedSourceStopsTheRun) {
    PublisherFixture f(3);
    f.config();
    ASSERT_EQ(f.publish(1).exit_code, 0);
    ASSERT_EQ(f.publish(2).exit_code, 0);
    for (const auto& entry : read_index(f).at("versions"))
        EXPECT_EQ(entry.at("sha256").get<std::string>().size(), 64u) << entry.dump();

    const std::string old = f.path("archive/test-20260101.sqfs");
    flip_byte(old, 100);
    CommandResult damaged = f.publish(3);
    EXPECT_NE(damaged.exit_code, 0);
    EXPECT_NE(damaged.output.find(old), std::string::npos) << damaged.output;
    EXPECT_NE(damaged.output.find("does not match its recorded SHA-256"), std::string::npos)
        << damaged.output;
    EXPECT_FALSE(exists(f.path("mirror/test-20260101-20260103.sqdelta")));
}

TEST(ArchiveCheck, IndexWithoutSha256IsCheckedBySha512) {
    PublisherFixture f(4);
    f.config();
    ASSERT_EQ(f.publish(1).exit_code, 0);
    ASSERT_EQ(f.publish(2).exit_code, 0);
    // As an index written before SHA-256 was recorded.
    nlohmann::json index = read_index(f);
    for (auto& entry : index.at("versions"))
        entry.erase("sha256");
    write_file(f.path("archive/index.json"), index.dump(2));

    CommandResult next = f.publish(3);
    ASSERT_EQ(next.exit_code, 0) << next.output;
    EXPECT_TRUE(exists(f.path("mirror/test-20260101-20260103.sqdelta")));

    flip_byte(f.path("archive/test-20260101.sqfs"), 100);
    CommandResult damaged = f.publish(4);
    EXPECT_NE(damaged.exit_code, 0);
    EXPECT_NE(damaged.output.find("does not match its recorded SHA-512"), std::string::npos)
        << damaged.output;
}

} // namespace
} // namespace squashpub::test
