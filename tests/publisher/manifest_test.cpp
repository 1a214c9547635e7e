#include "publisher/manifest.hpp"

#include "core/error.hpp"

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

} // namespace
} // namespace squashpub::publisher
