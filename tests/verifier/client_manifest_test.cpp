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

// Spec §7.4: any line containing "current:" matches, a digest line too
// (the name is then both a listed name and a Current: source).
TEST(ClientManifest, CurrentInsideADigestLineCounts) {
    ClientView view = parse_as_client(kA + "  x.sqfs Current: gentoo-0\n" + kB + "  y.sqfs\n");
    EXPECT_EQ(view.digests.at("x.sqfs Current: gentoo-0"), kA);
    EXPECT_EQ(view.current_tokens, std::vector<std::string>{"gentoo-0"});
    EXPECT_EQ(current_version(view, "gentoo"), "0");
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

// RFC 3629, as Python's strict decoder (the client) reads it.
TEST(ClientManifest, Utf8IsStrict) {
    const struct {
        std::string bytes;
        bool valid;
    } table[] = {
        {"\x7f", true},
        {"\xc2\x80", true},
        {"\xdf\xbf", true},
        {"\xe0\xa0\x80", true},
        {"\xed\x9f\xbf", true},      // U+D7FF
        {"\xee\x80\x80", true},      // U+E000
        {"\xef\xbf\xbf", true},      // U+FFFF
        {"\xf0\x90\x80\x80", true},  // U+10000
        {"\xf4\x8f\xbf\xbf", true},  // U+10FFFF
        {"\xc0\x80", false},         // overlong NUL
        {"\xc1\xbf", false},         // overlong
        {"\xe0\x80\x80", false},     // overlong
        {"\xe0\x9f\xbf", false},     // overlong
        {"\xed\xa0\x80", false},     // surrogate U+D800
        {"\xed\xbf\xbf", false},     // surrogate U+DFFF
        {"\xf0\x80\x80\x80", false}, // overlong
        {"\xf0\x8f\xbf\xbf", false}, // overlong
        {"\xf4\x90\x80\x80", false}, // above U+10FFFF
        {"\xf5\x80\x80\x80", false}, // lead above F4
        {"\xf7\xbf\xbf\xbf", false},
        {"\xf8\x88\x80\x80\x80", false},
        {"\x80", false},     // lone continuation
        {"\xe0\xa0", false}, // truncated
        {"\xf0\x90\x80", false},
    };
    for (const auto& row : table)
        EXPECT_EQ(is_valid_utf8("a" + row.bytes + "b"), row.valid)
            << "bytes of length " << row.bytes.size() << " starting " << std::hex
            << static_cast<int>(static_cast<unsigned char>(row.bytes[0]));
}

} // namespace
} // namespace squashpub::verifier
