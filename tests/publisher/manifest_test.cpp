#include "publisher/manifest.hpp"

#include "core/error.hpp"
#include "publisher/freshness.hpp"
#include "publisher/shared_manifest.hpp"

#include <gtest/gtest.h>

namespace squashpub::publisher {
namespace {

const std::string kHashA(128, 'a');
const std::string kHashB(128, 'b');

TEST(Manifest, BodyIsGnuTextModeSortedWithCurrentFirst) {
    Manifest manifest;
    manifest.current = "gentoo-20260630";
    manifest.files["gentoo-20260630.sqfs"] = kHashA;
    manifest.files["gentoo-20260629-20260630.sqdelta"] = kHashB;
    EXPECT_EQ(manifest.body(), "Current: gentoo-20260630\n" + kHashB +
                                   "  gentoo-20260629-20260630.sqdelta\n" + kHashA +
                                   "  gentoo-20260630.sqfs\n");
}

TEST(Manifest, ParsesLikeTheClient) {
    const std::string text = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\n"
                             "Current: gentoo-2 gentoo-kde-1\n" +
                             kHashA + "  gentoo-2.sqfs\n" + kHashB + "  gentoo-1-2.sqdelta\n" +
                             "-----BEGIN PGP SIGNATURE-----\n\nxyz\n-----END PGP SIGNATURE-----\n";
    Manifest manifest = Manifest::parse(text, "t");
    EXPECT_EQ(manifest.current, "gentoo-2");
    EXPECT_EQ(manifest.files.size(), 2u);
    EXPECT_EQ(manifest.files["gentoo-1-2.sqdelta"], kHashB);
    EXPECT_EQ(Manifest::parse(manifest.body(), "t").files, manifest.files);
}

TEST(Manifest, NoCurrentLineIsAnError) {
    EXPECT_THROW(Manifest::parse(kHashA + "  x.sqfs\n", "sha512sum.txt"), Error);
}

TEST(Manifest, NamesAreTheListedFiles) {
    Manifest manifest;
    manifest.files = {{"b.sqfs", kHashA}, {"a-b.sqdelta", kHashB}};
    EXPECT_EQ(manifest.names(), (std::set<std::string>{"a-b.sqdelta", "b.sqfs"}));
}

// A shared manifest: our lines and token replaced, every other line kept
// byte for byte (even odd whitespace), a single repository unchanged.
TEST(SharedManifest, MergeReplacesOnlyOurLines) {
    const std::string live = "Current: overlay-7\n"
                             "Current: gentoo-1 gentoo-kde-5\n" +
                             kHashA + "  gentoo-1.sqfs\n" + kHashB + "\tgentoo-kde-5.sqfs\n" +
                             kHashA + "  overlay-7.sqfs\n" + kHashB + "  gentoo-0-1.sqdelta\n" +
                             "# a comment someone added\n";
    Manifest ours;
    ours.current = "gentoo-2";
    ours.files["gentoo-2.sqfs"] = kHashB;
    ours.files["gentoo-1-2.sqdelta"] = kHashA;
    EXPECT_EQ(merged_body(live, ours, "gentoo"),
              "Current: gentoo-2\nCurrent: gentoo-kde-5\nCurrent: overlay-7\n" + kHashA +
                  "  gentoo-1-2.sqdelta\n" + kHashB + "  gentoo-2.sqfs\n" + kHashB +
                  "\tgentoo-kde-5.sqfs\n" + kHashA + "  overlay-7.sqfs\n" +
                  "# a comment someone added\n");
    EXPECT_EQ(merged_body("", ours, "gentoo"), ours.body());
    EXPECT_EQ(merged_body(ours.body(), ours, "gentoo"), ours.body());

    const Manifest part = own_part(live, "gentoo");
    EXPECT_EQ(part.current, "gentoo-1");
    EXPECT_EQ(part.names(), (std::set<std::string>{"gentoo-1.sqfs", "gentoo-0-1.sqdelta"}));
    EXPECT_EQ(own_part(live, "gentoo-kde").current, "gentoo-kde-5");
    EXPECT_EQ(repositories_in(live), (std::set<std::string>{"gentoo", "gentoo-kde", "overlay"}));
}

// Issue #12: a dated manifest parses like an old one, and a merge drops the
// live Date/Valid-Until (the run writes its own above the merged body).
TEST(SharedManifest, FreshnessLinesAreIgnoredAndReplaced) {
    Manifest ours;
    ours.current = "gentoo-2";
    ours.files["gentoo-2.sqfs"] = kHashB;
    const std::string fresh = "Date: 2026-11-30T03:46:43Z\nValid-Until: 2026-12-07T03:46:43Z\n";
    const std::string dated = fresh + ours.body();
    EXPECT_EQ(Manifest::parse(dated, "t").body(), ours.body());
    EXPECT_EQ(own_part(dated, "gentoo").body(), ours.body());
    EXPECT_EQ(merged_body(dated, ours, "gentoo"), ours.body());
    EXPECT_EQ(date_of(dated), parse_utc("2026-11-30T03:46:43Z"));
    EXPECT_EQ(date_of(ours.body()), std::nullopt);
    EXPECT_EQ(
        freshness_lines({*parse_utc("2026-11-30T03:46:43Z"), parse_utc("2026-12-07T03:46:43Z")}),
        fresh);
}

TEST(SharedManifest, SignedPartUndoesDashEscapes) {
    const std::string text = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nCurrent: a-1\n"
                             "- -dashed\n-----BEGIN PGP SIGNATURE-----\n\nxyz\n"
                             "-----END PGP SIGNATURE-----\n";
    EXPECT_TRUE(is_clearsigned(text));
    EXPECT_EQ(signed_part(text), "Current: a-1\n-dashed\n");
    EXPECT_EQ(signed_part("Current: a-1\n"), "Current: a-1\n");
}

TEST(SharedManifest, OwnNamesAreExactParses) {
    EXPECT_TRUE(parse_own_name("gentoo", "gentoo-20260101.sqfs"));
    EXPECT_TRUE(parse_own_name("gentoo", "gentoo-1-2.sqdelta"));
    EXPECT_EQ(parse_own_name("gentoo", "gentoo-1-2.sqdelta")->from, "1");
    EXPECT_FALSE(parse_own_name("gentoo", "gentoo-kde-20260101.sqfs"));
    EXPECT_FALSE(parse_own_name("gentoo", "gentoo-kde-1-2.sqdelta"));
    // The current aliases (issue #13) are gentoo's: pruned when unlisted.
    EXPECT_TRUE(parse_own_name("gentoo", "gentoo-current.sqfs")->is_alias);
    EXPECT_TRUE(parse_own_name("gentoo", "gentoo-current.xz.sqfs")->is_alias);
    EXPECT_FALSE(parse_own_name("gentoo-kde", "gentoo-current.sqfs"));
    // A flavor image parses as a snapshot: kept or pruned by the same rule.
    EXPECT_TRUE(parse_own_name("gentoo", "gentoo-20260101.xz.sqfs"));
    EXPECT_FALSE(parse_own_name("gentoo", "gentoo-1.sqfs.tmp"));
    EXPECT_FALSE(parse_own_name("gentoo", "gentoo-.sqfs"));
}

} // namespace
} // namespace squashpub::publisher
