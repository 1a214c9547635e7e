#include "verifier/client_manifest.hpp"

#include <gtest/gtest.h>

namespace squashpub::verifier {
namespace {

const std::string kA(128, 'a');
const std::string kB(128, 'B');

TEST(ClientManifest, ParsesLikeThePortageModule) {
    ClientView view =
        parse_as_client("Current: gentoo-kde-1 gentoo-2\n" + kA + "  gentoo-2.sqfs\n" + kB +
                        " *gentoo-1.sqfs\n" + kA + "  dup\n" + kB + "  dup\n");
    EXPECT_EQ(view.digests.at("gentoo-2.sqfs"), kA);
    EXPECT_EQ(view.digests.count("*gentoo-1.sqfs"), 1u);      // the '*' stays in the name
    EXPECT_EQ(view.digests.at("dup"), std::string(128, 'b')); // last wins, hex folded
    // The prefix collision the spec warns about: gentoo-kde-1 matches first.
    EXPECT_EQ(current_version(view, "gentoo"), "kde-1");
    EXPECT_FALSE(view.has_crlf);
}

TEST(ClientManifest, CrlfLeavesCarriageReturnsInNames) {
    ClientView view = parse_as_client(kA + "  x.sqfs\r\nCURRENT: x-1\r\n");
    EXPECT_TRUE(view.has_crlf);
    EXPECT_EQ(view.digests.count("x.sqfs\r"), 1u);
    EXPECT_EQ(current_version(view, "x"), "1");
}

TEST(ClientManifest, SplitsClearsignedMessages) {
    const std::string text = "junk before\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
                             "Current: r-1\n- -dash escaped\n" +
                             kA +
                             "  r-1.sqfs\n-----BEGIN PGP SIGNATURE-----\n"
                             "Comment: Current: r-0\n\nAAAA\n-----END PGP SIGNATURE-----\n"
                             "after\n";
    ClearsignedParts parts = split_clearsigned(text);
    EXPECT_TRUE(parts.is_signed);
    EXPECT_EQ(parts.before, "junk before\n");
    EXPECT_EQ(parts.body, "Current: r-1\n-dash escaped\n" + kA + "  r-1.sqfs\n");
    EXPECT_EQ(parts.armor_headers, std::vector<std::string>{"Comment: Current: r-0"});
    EXPECT_EQ(parts.after, "after\n");
    EXPECT_FALSE(split_clearsigned("plain\n").is_signed);
}

TEST(ClientManifest, Utf8) {
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("\xce\xb4 \xe3\x83\x95"));
    EXPECT_FALSE(is_valid_utf8("\xff"));
    EXPECT_FALSE(is_valid_utf8("\xce"));
}

} // namespace
} // namespace squashpub::verifier
