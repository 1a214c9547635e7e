// `squashpub verify` against mirrors written by the publisher, served from
// a directory and by a real HTTP server on 127.0.0.1, broken on purpose.

#include "support/http_server.hpp"
#include "support/publisher_fixture.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace squashpub::test {
namespace {

class Verify : public ::testing::Test {
  protected:
    // Three days published; signed unless told otherwise.
    void publish(bool signed_manifest = true) {
        if (!signed_manifest)
            f_.config({{"signing", nullptr}});
        for (int day = 1; day <= 3; ++day)
            ASSERT_EQ(f_.publish(day).exit_code, 0);
        ASSERT_EQ(f_.keyring().gpg("--armor --export > '" + f_.path("keyring.asc") + "'"), 0);
    }

    CommandResult verify(const std::string& source, std::vector<std::string> extra = {}) {
        // The archive stands in for the old images clients hold.
        std::vector<std::string> args = {"verify",    source,
                                         "--repo",    "test",
                                         "--archive", f_.path("archive"),
                                         "--report",  f_.path("report.json"),
                                         "--junit",   f_.path("junit.xml")};
        args.insert(args.end(), extra.begin(), extra.end());
        return squashpub(args);
    }

    CommandResult verify_signed(const std::string& source) {
        return verify(source, {"--keyring", f_.path("keyring.asc")});
    }

    // Status of the first check with this id (and file, if given).
    std::string status(const std::string& id, const std::string& file = "") {
        return test::report_check(f_.path("report.json"), id, file);
    }

    std::string mirror(const std::string& name = "") const {
        return f_.path("mirror") + (name.empty() ? "" : "/" + name);
    }

    void flip_byte(const std::string& name) {
        std::string bytes = read_file(mirror(name));
        bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
        write_file(mirror(name), bytes);
    }

    // Rewrites the (unsigned) manifest's body.
    void edit_manifest(const std::function<std::string(std::string)>& edit) {
        write_file(mirror("sha512sum.txt"), edit(read_file(mirror("sha512sum.txt"))));
    }

    static void replace_all(std::string& text, const std::string& from, const std::string& to) {
        for (size_t at = text.find(from); at != std::string::npos;
             at = text.find(from, at + to.size()))
            text.replace(at, from.size(), to);
    }

    PublisherFixture f_{3};
};

TEST_F(Verify, GoodMirrorPassesFromADirectoryAndOverHttp) {
    publish();
    CommandResult local = verify_signed(mirror());
    EXPECT_EQ(local.exit_code, 0) << local.output;
    EXPECT_EQ(status("signature.valid").rfind("pass", 0), 0u);
    EXPECT_EQ(status("delta.apply", "test-20260101-20260103.sqdelta").rfind("pass", 0), 0u);
    EXPECT_EQ(status("snapshot.walk").rfind("pass", 0), 0u);
    EXPECT_NE(read_file(f_.path("junit.xml")).find("<testsuite name=\"squashpub verify\""),
              std::string::npos);

    MirrorServer server(mirror());
    CommandResult remote = verify_signed(server.url());
    EXPECT_EQ(remote.exit_code, 0) << remote.output;
    nlohmann::json report = nlohmann::json::parse(read_file(f_.path("report.json")));
    EXPECT_GT(report["bytes_downloaded"].get<uint64_t>(), 10000u);
    EXPECT_TRUE(report["ok"].get<bool>());
    EXPECT_EQ(status("mirror.unlisted").rfind("skip", 0), 0u);
}

TEST_F(Verify, TamperedSnapshotAndDelta) {
    publish();
    flip_byte("test-20260103.sqfs");
    flip_byte("test-20260102-20260103.sqdelta");
    EXPECT_EQ(verify_signed(mirror()).exit_code, 1);
    EXPECT_EQ(status("file.hash", "test-20260103.sqfs").rfind("fail", 0), 0u);
    EXPECT_EQ(status("file.hash", "test-20260102-20260103.sqdelta").rfind("fail", 0), 0u);
}

TEST_F(Verify, DeltaThatAppliesToTheWrongImage) {
    publish(false);
    // A valid delta, listed with its true hash, that rebuilds day 2, not day 3.
    ASSERT_EQ(
        squashpub({"delta", "--quiet", f_.path("archive/test-20260101.sqfs"),
                   f_.path("archive/test-20260102.sqfs"), mirror("test-20260101-20260103.sqdelta")})
            .exit_code,
        0);
    const std::string hash = sha512(mirror("test-20260101-20260103.sqdelta"));
    edit_manifest([&](std::string text) {
        const size_t at = text.find("  test-20260101-20260103.sqdelta");
        text.replace(at - 128, 128, hash);
        return text;
    });
    CommandResult result = verify(mirror());
    EXPECT_EQ(result.exit_code, 1) << result.output << read_file(f_.path("report.json"));
    EXPECT_NE(status("delta.apply", "test-20260101-20260103.sqdelta").find("does not match"),
              std::string::npos);
}

TEST_F(Verify, MissingListedAndUnlistedFiles) {
    publish();
    fs::remove(mirror("test-20260101-20260103.sqdelta"));
    write_file(mirror("stray.txt"), "x");
    EXPECT_EQ(verify_signed(mirror()).exit_code, 1);
    EXPECT_EQ(status("file.present", "test-20260101-20260103.sqdelta").rfind("fail", 0), 0u);
    EXPECT_EQ(status("mirror.unlisted", "stray.txt").rfind("warn", 0), 0u);
}

TEST_F(Verify, ManifestFormsTheClientMisreads) {
    publish(false);
    const std::string original = read_file(mirror("sha512sum.txt"));
    struct Case {
        std::function<std::string(std::string)> edit;
        const char* check;
    };
    for (const Case& c : std::vector<Case>{
             {[](std::string t) {
                  replace_all(t, "\n", "\r\n");
                  return t;
              },
              "manifest.line-endings"},
             {[](std::string t) {
                  replace_all(t, "  test", " *test");
                  return t;
              },
              "manifest.binary-markers"},
             {[](std::string t) { return t + std::string(128, '0') + "  test-20260103.sqfs\n"; },
              "manifest.duplicates"},
             {[](std::string t) {
                  replace_all(t, "Current: test-20260103", "Current: test-19990101");
                  return t;
              },
              "current.listed"},
             {[](std::string t) {
                  replace_all(t, "Current: test-20260103\n", "");
                  return t;
              },
              "current.token"},
             {[](std::string t) { return t + "caf\xe9\n"; }, "manifest.utf8"},
             {[](std::string t) { return t + "\\" + std::string(128, '0') + "  odd\\\\name\n"; },
              "manifest.escaped-names"}}) {
        write_file(mirror("sha512sum.txt"), c.edit(original));
        CommandResult result = verify(mirror());
        EXPECT_EQ(result.exit_code, 1) << c.check << "\n" << result.output;
        EXPECT_EQ(status(c.check).rfind("fail", 0), 0u) << c.check << ": " << status(c.check);
    }
}

TEST_F(Verify, SignatureProblems) {
    publish();
    // Another key.
    GpgKeyring other;
    ASSERT_EQ(other.gpg("--armor --export > '" + f_.path("other.asc") + "'"), 0);
    EXPECT_EQ(verify(mirror(), {"--keyring", f_.path("other.asc")}).exit_code, 1);
    EXPECT_NE(status("signature.valid").find("not in the keyring"), std::string::npos);
    // The signed text changed.
    std::string text = read_file(mirror("sha512sum.txt"));
    std::string tampered = text;
    replace_all(tampered, "Current: test-20260103", "Current: test-20260102");
    write_file(mirror("sha512sum.txt"), tampered);
    EXPECT_EQ(verify_signed(mirror()).exit_code, 1);
    EXPECT_NE(status("signature.valid").find("bad signature"), std::string::npos);
    // Current: only in the armor header, which the signature does not cover.
    std::string body = manifest_body(f_.expect());
    write_file(mirror("sha512sum.txt"), text);
    body = body.substr(body.find('\n') + 1); // drop the Current: line
    write_file(f_.path("body.txt"), body);
    ASSERT_EQ(f_.keyring().gpg("--batch --yes --pinentry-mode loopback --passphrase-file '" +
                               f_.keyring().passphrase_file() + "' --clearsign --output '" +
                               mirror("sha512sum.txt") + "' '" + f_.path("body.txt") + "'"),
              0);
    std::string signed_text = read_file(mirror("sha512sum.txt"));
    replace_all(signed_text, "-----BEGIN PGP SIGNATURE-----\n",
                "-----BEGIN PGP SIGNATURE-----\nComment: Current: test-20260103\n");
    write_file(mirror("sha512sum.txt"), signed_text);
    EXPECT_EQ(verify_signed(mirror()).exit_code, 1);
    EXPECT_EQ(status("signature.valid").rfind("pass", 0), 0u);
    EXPECT_EQ(status("signature.current-outside-body").rfind("fail", 0), 0u);
    EXPECT_EQ(status("current.token").rfind("fail", 0), 0u);
}

TEST_F(Verify, RevokedAndExpiredSigningKeys) {
    publish();
    // Revoked: the keyring carries the key's revocation certificate.
    const std::string fpr = f_.keyring().fingerprint();
    std::string revocation = read_file(f_.keyring().home() + "/openpgp-revocs.d/" + fpr + ".rev");
    replace_all(revocation, ":-----BEGIN", "-----BEGIN"); // gpg guards it against accidents
    write_file(f_.path("revocation.asc"), revocation);
    ASSERT_EQ(f_.keyring().gpg("--batch --import '" + f_.path("revocation.asc") + "'"), 0);
    ASSERT_EQ(f_.keyring().gpg("--armor --export > '" + f_.path("revoked.asc") + "'"), 0);
    EXPECT_EQ(verify(mirror(), {"--keyring", f_.path("revoked.asc")}).exit_code, 1);
    EXPECT_NE(status("signature.valid").find("revoked"), std::string::npos)
        << status("signature.valid");

    // Expired: a key that lived one day in 2020 signed the manifest then.
    GpgKeyring old(GpgKeyring::KeyState::expired);
    write_file(f_.path("body.txt"), manifest_body(f_.expect()));
    ASSERT_EQ(old.gpg("--batch --yes --faked-system-time 20200101T000100 --pinentry-mode loopback "
                      "--passphrase-file '" +
                      old.passphrase_file() + "' --clearsign --output '" + mirror("sha512sum.txt") +
                      "' '" + f_.path("body.txt") + "'"),
              0);
    ASSERT_EQ(old.gpg("--armor --export > '" + f_.path("expired.asc") + "'"), 0);
    EXPECT_EQ(verify(mirror(), {"--keyring", f_.path("expired.asc")}).exit_code, 1);
    EXPECT_NE(status("signature.valid").find("expired"), std::string::npos)
        << status("signature.valid");
}

TEST_F(Verify, UnsignedManifestWhenASignatureIsRequired) {
    publish(false);
    ASSERT_EQ(f_.keyring().gpg("--armor --export > '" + f_.path("keyring.asc") + "'"), 0);
    EXPECT_EQ(verify_signed(mirror()).exit_code, 1);
    EXPECT_NE(status("signature.valid").find("not signed"), std::string::npos);
    EXPECT_EQ(verify(mirror(), {"--keyring", f_.path("keyring.asc"), "--openpgp", "yes"}).exit_code,
              0);
}

TEST_F(Verify, HttpFaults) {
    publish();
    MirrorServer server(mirror());
    const std::string delta = "test-20260102-20260103.sqdelta";
    // Transient: a 500 and a connection closed mid-file are retried, the
    // partial download resumed.
    server.set_faults({{delta, {{"status", 500}, {"count", 1}}},
                       {"test-20260103.sqfs", {{"truncate", 5000}, {"count", 2}}}});
    CommandResult transient = verify_signed(server.url());
    EXPECT_EQ(transient.exit_code, 0) << transient.output;
    // Persistent: each is reported with its cause.
    server.set_faults({{delta, {{"status", 500}}},
                       {"test-20260101-20260103.sqdelta", {{"status", 404}}},
                       {"test-20260103.sqfs", {{"truncate", 5000}}}});
    EXPECT_EQ(verify_signed(server.url()).exit_code, 1);
    EXPECT_NE(status("file.present", delta).find("HTTP 500"), std::string::npos);
    EXPECT_NE(status("file.present", "test-20260101-20260103.sqdelta").find("HTTP 404"),
              std::string::npos);
    EXPECT_NE(status("file.present", "test-20260103.sqfs").find("truncated"), std::string::npos);
    // A server that ignores range requests: the download restarts cleanly.
    server.set_faults({{"test-20260103.sqfs", {{"truncate", 5000}, {"count", 1}}},
                       {"ignore", {{"ignore_range", true}}}});
    EXPECT_EQ(verify_signed(server.url()).exit_code, 0);
}

TEST_F(Verify, ExitCodesForUsageAndUnreachableMirrors) {
    EXPECT_EQ(squashpub({"verify", mirror(), "--repo", ""}).exit_code, 2); // empty name
    EXPECT_EQ(squashpub({"verify", mirror(), "--repo", "test", "--openpgp", "required"}).exit_code,
              2);
    CommandResult closed = squashpub({"verify", "http://127.0.0.1:9/", "--repo", "test"});
    EXPECT_EQ(closed.exit_code, 3) << closed.output;
    EXPECT_EQ(squashpub({"verify", f_.path("no-such-dir"), "--repo", "test"}).exit_code, 3);
}

} // namespace
} // namespace squashpub::test
