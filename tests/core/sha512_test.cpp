#include "core/sha512.hpp"

#include "core/files.hpp"
#include "core/sha256.hpp"
#include "support/test_support.hpp"

#include <gtest/gtest.h>

namespace squashpub {
namespace {

TEST(Sha512, KnownVectors) {
    Sha512 empty;
    EXPECT_EQ(empty.hex_digest(),
              "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce"
              "47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e");
    Sha512 abc;
    abc.update("a", 1);
    abc.update("bc", 2);
    EXPECT_EQ(abc.hex_digest(), "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                                "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(Sha512, FileMatchesStreamedHash) {
    TempDir dir;
    std::string content(3 << 20, 'x');
    content[12345] = 'y';
    test::write_file(dir.file("big"), content);
    Sha512 direct;
    direct.update(content.data(), content.size());
    EXPECT_EQ(sha512_of_file(dir.file("big")), direct.hex_digest());
    EXPECT_EQ(sha512_of_file(dir.file("big")),
              test::shell("sha512sum '" + dir.file("big") + "' | cut -c1-128 | tr -d '\\n'"));
}

TEST(Sha512, MissingFileNamesThePath) {
    try {
        sha512_of_file("/nonexistent/file.sqfs");
        FAIL();
    } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/file.sqfs"), std::string::npos);
    }
}

TEST(Sha256, WholeFileKnownVectors) {
    TempDir dir;
    test::write_file(dir.file("abc"), "abc");
    EXPECT_EQ(sha256_of_file(dir.file("abc")),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    test::write_file(dir.file("empty"), "");
    EXPECT_EQ(sha256_of_file(dir.file("empty")),
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // Across the 1 MiB read chunks: a million 'a's (FIPS 180-2 vector).
    test::write_file(dir.file("million"), std::string(1000000, 'a'));
    EXPECT_EQ(sha256_of_file(dir.file("million")),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

} // namespace
} // namespace squashpub
