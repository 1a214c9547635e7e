// `squashpub verify` on freshness, rollback and signatures: Date: and
// Valid-Until: read from the signed body only, --max-age, --state against
// replayed and older manifests (from a directory and over HTTP), and
// manifests signed by several keys. The publisher of this branch writes no
// Date: yet, so the tests sign bodies with the fixture's key themselves,
// in the agreed format: "Date: <UTC>" and "Valid-Until: <UTC>" first.

#include "core/utc_time.hpp"
#include "support/http_server.hpp"
#include "support/publisher_fixture.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace squashpub::test {
namespace {

using namespace std::chrono_literals;

std::string utc(std::chrono::seconds from_now) {
    return format_utc(utc_now() + from_now);
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
}

class DatedMirror : public ::testing::Test {
  protected:
    explicit DatedMirror(int days) : days_(days), f_(days) {}

    // Days 1-N published; a copy of the mirror after each, and their signed
    // bodies without any freshness lines.
    void SetUp() override {
        for (int day = 1; day <= days_; ++day) {
            ASSERT_EQ(f_.publish(day).exit_code, 0);
            fs::copy(f_.path("mirror"), copy(day), fs::copy_options::recursive);
        }
        ASSERT_EQ(f_.keyring().gpg("--armor --export > '" + keyring() + "'"), 0);
        for (int day = 1; day <= days_; ++day) {
            MirrorExpectations expect = f_.expect();
            expect.mirror_dir = copy(day);
            body_[day] = undated(manifest_body(expect));
            ASSERT_NE(body_[day].find("Current: test-"), std::string::npos);
        }
        fs::create_directory(live());
    }

    std::string copy(int day) const { return f_.path("day" + std::to_string(day)); }
    std::string live() const { return f_.path("live"); }
    std::string keyring() const { return f_.path("keyring.asc"); }
    std::string state() const { return f_.path("state.json"); }

    // The body as the publisher of a later branch may write it, without its
    // own Date:/Valid-Until:, so that the test sets them.
    static std::string undated(const std::string& body) {
        std::string out;
        std::istringstream lines(body);
        for (std::string line; std::getline(lines, line);)
            if (line.rfind("Date: ", 0) != 0 && line.rfind("Valid-Until: ", 0) != 0)
                out += line + "\n";
        return out;
    }

    static std::string dated(const std::string& body, const std::string& date,
                             const std::string& valid_until = "") {
        return "Date: " + date + "\n" +
               (valid_until.empty() ? "" : "Valid-Until: " + valid_until + "\n") + body;
    }

    // body clearsigned by `key` (default: the publisher's).
    std::string sign(const std::string& body, const GpgKeyring* key = nullptr,
                     const std::string& options = "") {
        key = key ? key : &f_.keyring();
        write_file(f_.path("body.txt"), body);
        EXPECT_EQ(key->gpg("--batch --yes --pinentry-mode loopback --passphrase-file '" +
                           key->passphrase_file() + "' " + options + " --clearsign --output '" +
                           f_.path("signed.asc") + "' '" + f_.path("body.txt") + "'"),
                  0);
        return read_file(f_.path("signed.asc"));
    }

    // The live mirror serves day `day`'s files with this manifest.
    void serve(int day, const std::string& manifest) {
        for (const auto& entry : fs::directory_iterator(live()))
            fs::remove_all(entry.path());
        fs::copy(copy(day), live(), fs::copy_options::recursive);
        write_file(live() + "/sha512sum.txt", manifest);
    }

    // Without --archive: the deltas' sources are not listed, so they are
    // not applied (skipped), which keeps the many runs here short; the
    // freshness checks do not depend on them.
    CommandResult verify(const std::string& source, std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"verify", source,     "--repo",
                                         "test",   "--report", f_.path("report.json")};
        args.insert(args.end(), extra.begin(), extra.end());
        fs::remove(f_.path("report.json"));
        return squashpub(args);
    }
    CommandResult verify_signed(const std::string& source, std::vector<std::string> extra = {}) {
        extra.insert(extra.begin(), {"--keyring", keyring()});
        return verify(source, extra);
    }

    std::string status(const std::string& id, const std::string& file = "") {
        return report_check(f_.path("report.json"), id, file);
    }
    bool has(const std::string& id, const std::string& status_and_words) {
        const std::string s = status(id);
        const size_t colon = status_and_words.find(':');
        return s.rfind(status_and_words.substr(0, colon), 0) == 0 &&
               s.find(status_and_words.substr(colon + 1)) != std::string::npos;
    }

    nlohmann::json state_entry() {
        const nlohmann::json json = nlohmann::json::parse(read_file(state()));
        EXPECT_EQ(json["mirrors"].size(), 1u) << json.dump(2);
        return json["mirrors"].begin().value()["test"];
    }

    int days_;
    PublisherFixture f_;
    std::map<int, std::string> body_;
};

// One day published: the freshness lines on their own.
class VerifyFreshness : public DatedMirror {
  protected:
    VerifyFreshness() : DatedMirror(1) {}
};

// Three days: the state against older manifests and snapshots.
class VerifyState : public DatedMirror {
  protected:
    VerifyState() : DatedMirror(3) {}
};

TEST_F(VerifyFreshness, DateAndValidUntilAreReadFromTheSignedBodyOnly) {
    // An old, undated manifest, correctly signed: whatever is added around
    // the signed message does not make it fresh.
    const std::string old = sign(body_[1]);
    const std::string now = "Date: " + utc(0s) + "\nValid-Until: " + utc(24h) + "\n";
    std::string armor_date = old, armor_comment = old;
    replace_all(armor_date, "-----BEGIN PGP SIGNATURE-----\n",
                "-----BEGIN PGP SIGNATURE-----\nDate: " + utc(0s) + "\n");
    replace_all(armor_comment, "-----BEGIN PGP SIGNATURE-----\n",
                "-----BEGIN PGP SIGNATURE-----\nComment: Date: " + utc(0s) + "\n");
    const struct {
        const char* what;
        std::string manifest;
    } cases[] = {{"prepended", now + old},
                 {"appended", old + now},
                 {"armor Date: header", armor_date},
                 {"armor Comment: header", armor_comment}};
    for (const auto& c : cases) {
        serve(1, c.manifest);
        const CommandResult result = verify_signed(live(), {"--max-age", "1d"});
        EXPECT_EQ(result.exit_code, 1) << c.what << "\n" << result.output;
        EXPECT_EQ(status("signature.valid").rfind("pass", 0), 0u) << c.what;
        EXPECT_TRUE(has("manifest.fresh", "fail:no Date: line in the signed body"))
            << c.what << ": " << status("manifest.fresh");
    }

    // Signed and expired: an unsigned Valid-Until in the future changes nothing.
    serve(1, "Valid-Until: " + utc(24h) + "\n" + sign(dated(body_[1], utc(-2h), utc(-1h))));
    EXPECT_EQ(verify_signed(live()).exit_code, 1);
    EXPECT_TRUE(has("manifest.fresh", "fail:expired")) << status("manifest.fresh");

    // Repeated or malformed lines in the signed body fail.
    serve(1, sign(dated(body_[1], utc(-1h)) + "Date: " + utc(0s) + "\n"));
    EXPECT_EQ(verify_signed(live()).exit_code, 1);
    EXPECT_TRUE(has("manifest.fresh", "fail:a second Date: line")) << status("manifest.fresh");
    serve(1, sign("Date: today\n" + body_[1]));
    EXPECT_EQ(verify_signed(live()).exit_code, 1);
    EXPECT_TRUE(has("manifest.fresh", "fail:is not 'Date: YYYY-MM-DDTHH:MM:SSZ'"))
        << status("manifest.fresh");

    // Undated, without --max-age: an older publisher's manifest still passes.
    serve(1, old);
    EXPECT_EQ(verify_signed(live()).exit_code, 0);
    EXPECT_TRUE(has("manifest.fresh", "skip:no Date: or Valid-Until:")) << status("manifest.fresh");
}

TEST_F(VerifyFreshness, ExpiredValidUntilAndFutureDateFail) {
    serve(1, sign(dated(body_[1], utc(-1h), utc(6 * 24h))));
    CommandResult result = verify_signed(live());
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_TRUE(has("manifest.fresh", "pass:signed Date")) << status("manifest.fresh");

    serve(1, sign(dated(body_[1], utc(-8 * 24h), utc(-24h))));
    result = verify_signed(live());
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("fail manifest.fresh sha512sum.txt: expired: Valid-Until"),
              std::string::npos)
        << result.output;

    serve(1, sign(dated(body_[1], utc(1h))));
    EXPECT_EQ(verify_signed(live()).exit_code, 1);
    EXPECT_TRUE(has("manifest.fresh", "fail:in the future")) << status("manifest.fresh");
}

TEST_F(VerifyFreshness, MaxAge) {
    serve(1, sign(dated(body_[1], utc(-3 * 24h))));
    EXPECT_EQ(verify_signed(live(), {"--max-age", "2d"}).exit_code, 1);
    EXPECT_TRUE(has("manifest.fresh", "fail:older than --max-age 2d: the mirror is stale"))
        << status("manifest.fresh");
    const CommandResult fresh = verify_signed(live(), {"--max-age", "4d"});
    EXPECT_EQ(fresh.exit_code, 0) << fresh.output;
    EXPECT_TRUE(has("manifest.fresh", "pass:signed Date")) << status("manifest.fresh");

    const CommandResult bare = verify_signed(live(), {"--max-age", "7"});
    EXPECT_EQ(bare.exit_code, 2);
    EXPECT_NE(bare.output.find("--max-age: '7' is not a duration"), std::string::npos)
        << bare.output;
    // An unsigned Date proves nothing: freshness needs the signature.
    const CommandResult unsigned_run = verify(live(), {"--max-age", "4d"});
    EXPECT_EQ(unsigned_run.exit_code, 2);
    EXPECT_NE(unsigned_run.output.find("need --keyring"), std::string::npos) << unsigned_run.output;
    serve(1, dated(body_[1], utc(0s)));
    EXPECT_EQ(verify_signed(live(), {"--openpgp", "yes", "--max-age", "4d"}).exit_code, 1);
    EXPECT_TRUE(has("manifest.fresh", "fail:no verified signature")) << status("manifest.fresh");
}

TEST_F(VerifyState, StateRefusesReplayedAndOlderManifestsOverHttp) {
    MirrorServer server(live());
    const std::string url = server.url();
    const std::string day2 = sign(dated(body_[2], utc(-3h)));
    const std::string day3 = sign(dated(body_[3], utc(-2h)));

    serve(2, day2);
    CommandResult result = verify_signed(url, {"--state", state()});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_TRUE(has("state.current", "pass:first run")) << status("state.current");
    EXPECT_TRUE(has("state.update", "pass:recorded")) << status("state.update");
    serve(3, day3);
    result = verify_signed(url, {"--state", state()});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_TRUE(has("state.current", "pass:Current: 20260103 after 20260102"));
    EXPECT_EQ(state_entry()["current"], "20260103");
    EXPECT_EQ(state_entry()["replaced"], nlohmann::json::array({"20260102"}));
    // A mirror that has not changed passes again.
    result = verify_signed(url, {"--state", state()});
    ASSERT_EQ(result.exit_code, 0) << result.output;
    EXPECT_TRUE(has("state.current", "pass:Current: 20260103 unchanged"));
    const std::string accepted = read_file(state());

    // The day-2 manifest replayed, as it was: its Date goes backwards. The
    // URL is spelled differently but names the same mirror.
    const std::string same_mirror = url.substr(0, url.size() - 1);
    serve(2, day2);
    result = verify_signed(same_mirror, {"--state", state()});
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_TRUE(has("state.date", "fail:older than the Date")) << status("state.date");
    EXPECT_TRUE(has("state.current", "fail:accepted before and has since been replaced"))
        << status("state.current");
    EXPECT_TRUE(has("state.update", "skip:not updated")) << status("state.update");
    EXPECT_EQ(read_file(state()), accepted);

    // Day 2 re-signed with a newer Date: the Date passes, Current: does not.
    serve(2, sign(dated(body_[2], utc(-1h))));
    EXPECT_EQ(verify_signed(url, {"--state", state()}).exit_code, 1);
    EXPECT_EQ(status("state.date").rfind("pass", 0), 0u) << status("state.date");
    EXPECT_TRUE(has("state.current", "fail:a rollback")) << status("state.current");
    EXPECT_EQ(read_file(state()), accepted);

    // Undated after dated: an older publisher's manifest replayed.
    serve(3, sign(body_[3]));
    EXPECT_EQ(verify_signed(url, {"--state", state()}).exit_code, 1);
    EXPECT_TRUE(has("state.date", "fail:has no Date:")) << status("state.date");
    EXPECT_EQ(read_file(state()), accepted);

    // A fresh one (re-signed, same Current:) passes and the state advances.
    const std::string now = utc(0s);
    serve(3, sign(dated(body_[3], now)));
    result = verify_signed(url, {"--state", state()});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(state_entry()["date"], now);
    EXPECT_EQ(state_entry()["current"], "20260103");
}

TEST_F(VerifyState, StateOrdersDateLikeVersionsAndRefusesCorruptFiles) {
    serve(3, sign(dated(body_[3], utc(-2h))));
    ASSERT_EQ(verify_signed(live(), {"--state", state()}).exit_code, 0);
    // Never accepted before, but older than the version accepted last.
    serve(2, sign(dated(body_[2], utc(-1h))));
    EXPECT_EQ(verify_signed(live(), {"--state", state()}).exit_code, 1);
    EXPECT_TRUE(has("state.current", "fail:is older than 20260103")) << status("state.current");
    // Another mirror has its own state.
    EXPECT_EQ(verify_signed(copy(2), {"--state", state()}).exit_code, 0);
    EXPECT_EQ(nlohmann::json::parse(read_file(state()))["mirrors"].size(), 2u);

    write_file(state(), "{\"format\": \"squashpub-verify-state\",");
    const CommandResult corrupt = verify_signed(live(), {"--state", state()});
    EXPECT_EQ(corrupt.exit_code, 1);
    EXPECT_NE(corrupt.output.find(state() + ": not a valid squashpub verify state"),
              std::string::npos)
        << corrupt.output;
    EXPECT_EQ(read_file(state()), "{\"format\": \"squashpub-verify-state\",");
    const CommandResult nowhere =
        verify_signed(live(), {"--state", f_.path("no/such/dir/state.json")});
    EXPECT_EQ(nowhere.exit_code, 1);
    EXPECT_NE(nowhere.output.find("its directory does not exist"), std::string::npos)
        << nowhere.output;
}

// The closing note's freeze and rollback attempt, on the publisher's own
// files: a copy of the mirror taken before the last publish.
TEST_F(VerifyState, OldCopyOfThePublishedMirrorFailsWithState) {
    EXPECT_EQ(verify_signed(copy(2)).exit_code, 0); // the rollback passes without --state
    fs::remove_all(live());
    fs::create_directory_symlink(copy(3), live());
    ASSERT_EQ(verify_signed(live(), {"--state", state()}).exit_code, 0);
    fs::remove(live());
    fs::create_directory_symlink(copy(2), live());
    const CommandResult rollback = verify_signed(live(), {"--state", state()});
    EXPECT_EQ(rollback.exit_code, 1) << rollback.output;
    EXPECT_TRUE(has("state.current", "fail:is older than 20260103")) << status("state.current");
}

// Several signatures: a key rotation, and a bad signature beside a good one.
class VerifySignatures : public DatedMirror {
  protected:
    VerifySignatures() : DatedMirror(1) {}

    // The first file's clearsigned message carrying the signature packets
    // of every file in `signed_files` (each clearsigned), in order.
    std::string combine(const std::vector<std::string>& signed_files) {
        std::string packets = f_.path("packets.bin");
        write_file(packets, "");
        for (const std::string& file : signed_files)
            shell("sed -n '/^-----BEGIN PGP SIGNATURE-----$/,/^-----END PGP SIGNATURE-----$/p' '" +
                  file + "' | GNUPGHOME='" + f_.keyring().home() + "' gpg --dearmor >> '" +
                  packets + "'");
        const std::string armor =
            shell("GNUPGHOME='" + f_.keyring().home() + "' gpg --enarmor < '" + packets +
                  "' | sed -e 's/ARMORED FILE/SIGNATURE/' -e '/^Comment: /d'");
        const std::string first = read_file(signed_files.front());
        return first.substr(0, first.find("-----BEGIN PGP SIGNATURE-----")) + armor;
    }

    std::string signed_file(const std::string& body, const GpgKeyring& key,
                            const std::string& name) {
        write_file(f_.path(name), sign(body, &key));
        return f_.path(name);
    }

    GpgKeyring new_key_;
};

TEST_F(VerifySignatures, OneKnownKeyIsEnoughAndTheOthersAreReported) {
    const std::string body = dated(body_[1], utc(-1h));
    // Signed by the new key, then the old one: the verifier has only the old.
    serve(1, combine({signed_file(body, new_key_, "new.asc"),
                      signed_file(body, f_.keyring(), "old.asc")}));
    CommandResult result = verify_signed(live());
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_TRUE(has("signature.valid", "pass:good signature by " + f_.keyring().fingerprint()))
        << status("signature.valid");
    EXPECT_TRUE(has("signature.others", "pass:1 of 2 signatures good"));
    EXPECT_TRUE(has("signature.others",
                    "pass:by keys not in the keyring (not checked): " + new_key_.fingerprint()))
        << status("signature.others");
    const nlohmann::json report = nlohmann::json::parse(read_file(f_.path("report.json")));
    nlohmann::json signatures;
    for (const auto& check : report["checks"])
        if (check["id"] == "signature.valid")
            signatures = check["details"]["signatures"];
    ASSERT_EQ(signatures.size(), 2u) << report.dump(2);
    EXPECT_FALSE(signatures[0]["good"].get<bool>());
    EXPECT_FALSE(signatures[0]["key_in_keyring"].get<bool>());
    EXPECT_TRUE(signatures[1]["good"].get<bool>());
    EXPECT_EQ(signatures[1]["digest"], "SHA512");

    // Only the new key known to another verifier: it passes too.
    ASSERT_EQ(new_key_.gpg("--armor --export > '" + f_.path("new-key.asc") + "'"), 0);
    result = verify(live(), {"--keyring", f_.path("new-key.asc")});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_TRUE(has("signature.valid", "pass:good signature by " + new_key_.fingerprint()));
}

TEST_F(VerifySignatures, ABadSignatureBesideAGoodOneWarnsAndNoGoodOneFails) {
    const std::string body = dated(body_[1], utc(-1h));
    // The new key's signature is over other text: bad, though its key is known.
    const std::string bad = signed_file(body + "\n", new_key_, "bad.asc");
    const std::string good = signed_file(body, f_.keyring(), "good.asc");
    shell("cat '" + keyring() + "' > '" + f_.path("both.asc") + "' && GNUPGHOME='" +
          new_key_.home() + "' gpg --armor --export >> '" + f_.path("both.asc") + "'");
    serve(1, combine({good, bad}));
    CommandResult result = verify(live(), {"--keyring", f_.path("both.asc")});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    // A bad signature names its key by ID, the fingerprint's last 16 digits.
    EXPECT_TRUE(has("signature.others", "warn:by keys of the keyring, not good: " +
                                            new_key_.fingerprint().substr(24) + ": bad signature"))
        << status("signature.others");
    // With only the new key's, nothing good is left.
    ASSERT_EQ(new_key_.gpg("--armor --export > '" + f_.path("new-key.asc") + "'"), 0);
    result = verify(live(), {"--keyring", f_.path("new-key.asc")});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_TRUE(has("signature.valid", "fail:none of the 2 signatures is good"))
        << status("signature.valid");
    EXPECT_EQ(status("mirror.files").rfind("skip", 0), 0u);
}

TEST_F(VerifySignatures, Sha256IsAcceptedWeakDigestsAreRefused) {
    const std::string body = dated(body_[1], utc(-1h));
    serve(1, sign(body, nullptr, "--digest-algo SHA256"));
    CommandResult result = verify_signed(live());
    EXPECT_EQ(result.exit_code, 0) << result.output;
    serve(1, sign(body, nullptr, "--digest-algo SHA1"));
    result = verify_signed(live());
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_TRUE(has("signature.valid", "fail:signed with a SHA1 digest, which is too weak"))
        << status("signature.valid");
    EXPECT_EQ(status("mirror.files").rfind("skip", 0), 0u);
}

} // namespace
} // namespace squashpub::test
