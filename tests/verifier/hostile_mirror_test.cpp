// `squashpub verify` and `squashpub apply` against mirrors that attack
// them: traversal names, links and FIFOs, untrusted manifests, oversize,
// endless and trickling downloads, redirect games, delta bombs, Current:
// tokens the signature does not cover, and signals mid-run. Every run
// writes into a sandbox directory of the test's own, checked afterwards.

#include "core/byte_order.hpp"
#include "core/error.hpp"
#include "support/http_server.hpp"
#include "support/publisher_fixture.hpp"
#include "verifier/fetcher.hpp"

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;

namespace squashpub::test {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

void append_varint(std::string& out, uint64_t value) {
    // RFC 3284 §2: base-128, most significant digit first.
    std::string digits(1, static_cast<char>(value & 0x7f));
    for (value >>= 7; value; value >>= 7)
        digits.insert(digits.begin(), static_cast<char>(0x80 | (value & 0x7f)));
    out += digits;
}

// A VCDIFF stream of windows that each RUN one byte for 16 MiB: a few bytes
// per window, `total` bytes of output.
std::string vcdiff_bomb(uint64_t total) {
    std::string out("\xD6\xC3\xC4\x00\x00", 5); // magic, version 0, no header indicator
    const uint64_t window = 16u << 20;
    for (uint64_t done = 0; done < total; done += window) {
        const uint64_t size = std::min(window, total - done);
        std::string inst("\x00", 1); // RUN, size follows
        append_varint(inst, size);
        std::string body;
        append_varint(body, size);        // target window length
        body += '\0';                     // delta indicator
        append_varint(body, 1);           // data section: the run byte
        append_varint(body, inst.size()); // instructions
        append_varint(body, 0);           // addresses
        body += 'A';
        body += inst;
        out += '\0'; // window indicator: no source segment
        append_varint(out, body.size());
        out += body;
    }
    return out;
}

class HostileMirror : public ::testing::Test {
  protected:
    void SetUp() override {
        for (int day = 1; day <= 3; ++day)
            ASSERT_EQ(f_.publish(day).exit_code, 0);
        ASSERT_EQ(f_.keyring().gpg("--armor --export > '" + f_.path("keyring.asc") + "'"), 0);
        fs::create_directories(tmp());
    }

    // The run's --tmpdir, inside the sandbox: nothing may appear outside it,
    // and nothing may stay in it.
    std::string sandbox() const { return f_.path("sandbox"); }
    std::string tmp() const { return sandbox() + "/tmp"; }
    std::string mirror(const std::string& name = "") const {
        return f_.path("mirror") + (name.empty() ? "" : "/" + name);
    }

    CommandResult verify(const std::string& source, std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {
            "verify",           source,     "--repo", "test",     "--archive",
            f_.path("archive"), "--tmpdir", tmp(),    "--report", f_.path("report.json")};
        args.insert(args.end(), extra.begin(), extra.end());
        return squashpub(args);
    }
    CommandResult verify_signed(const std::string& source, std::vector<std::string> extra = {}) {
        extra.insert(extra.end(), {"--keyring", f_.path("keyring.asc")});
        return verify(source, extra);
    }

    // "status: message" of the first check with this id (and file).
    std::string status(const std::string& id, const std::string& file = "") {
        return test::report_check(f_.path("report.json"), id, file);
    }
    bool failed(const std::string& id, const std::string& file, const std::string& words) {
        const std::string s = status(id, file);
        return s.rfind("fail", 0) == 0 && s.find(words) != std::string::npos;
    }

    void expect_sandbox_clean() {
        EXPECT_EQ(list_dir(sandbox()), std::vector<std::string>{"tmp"});
        EXPECT_EQ(list_dir(tmp()), std::vector<std::string>{});
    }

    // Re-signs body as the publisher's key would, into the mirror.
    void sign_manifest(const std::string& body) {
        write_file(f_.path("body.txt"), body);
        ASSERT_EQ(f_.keyring().gpg("--batch --yes --pinentry-mode loopback --passphrase-file '" +
                                   f_.keyring().passphrase_file() + "' --clearsign --output '" +
                                   mirror("sha512sum.txt") + "' '" + f_.path("body.txt") + "'"),
                  0);
    }
    std::string body() { return manifest_body(f_.expect()); }

    static std::string line(const std::string& content, const std::string& name) {
        return sha512_of_text(content) + "  " + name + "\n";
    }
    static std::string sha512_of_text(const std::string& content) {
        TempDir dir;
        write_file(dir.file("x"), content);
        return sha512(dir.file("x"));
    }

    PublisherFixture f_{3};
};

TEST_F(HostileMirror, TraversalNamesOverHttpWriteNothingOutsideTheScratchDirectory) {
    // From tmp/squashpub-verify.XXXXXX/files/, "../../../escaped" is the sandbox.
    const std::string evil = "../../../escaped";
    sign_manifest(body() + line("owned\n", evil) + line("x", "./") + line("y", "a\tb"));
    MirrorServer server(mirror());
    server.set_faults({{evil, {{"body", "owned\n"}}}});
    CommandResult result = verify_signed(server.url());
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_TRUE(failed("manifest.names", evil, "not a plain file name"))
        << status("manifest.names");
    EXPECT_TRUE(failed("manifest.names", "./", "not a plain file name"));
    EXPECT_TRUE(failed("manifest.names", "a\tb", "control character"));
    for (const std::string& name : server.requests())
        EXPECT_EQ(name.find('/'), std::string::npos) << "requested " << name;
    // The rest of the mirror is still checked.
    EXPECT_EQ(status("delta.apply", "test-20260101-20260103.sqdelta").rfind("pass", 0), 0u);
    expect_sandbox_clean();
}

TEST_F(HostileMirror, DirectoryMirrorNeverLeavesItsDirectoryNorFollowsLinksNorHangs) {
    write_file(sandbox() + "/secret", "the secret\n");
    ASSERT_EQ(::symlink((sandbox() + "/secret").c_str(), mirror("link.sqfs").c_str()), 0);
    ASSERT_EQ(::mkfifo(mirror("fifo.sqfs").c_str(), 0644), 0);
    ASSERT_EQ(::mkfifo(mirror("test-20260102-20260103.sqdelta.fifo").c_str(), 0644), 0);
    fs::create_directory(mirror("dir.sqfs"));
    const std::string up = "../sandbox/secret";
    sign_manifest(body() + line("the secret\n", up) + line("the secret\n", "link.sqfs") +
                  line("", "fifo.sqfs") + line("", "dir.sqfs") + line("", "/dev/zero"));
    const auto start = Clock::now();
    CommandResult result = verify_signed(mirror());
    EXPECT_LT(seconds_since(start), 60);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_TRUE(failed("manifest.names", up, "'/'"));
    EXPECT_TRUE(failed("manifest.names", "/dev/zero", "'/'"));
    EXPECT_TRUE(failed("file.present", "link.sqfs", "symbolic link"))
        << status("file.present", "link.sqfs");
    EXPECT_TRUE(failed("file.present", "fifo.sqfs", "FIFO")) << status("file.present", "fifo.sqfs");
    EXPECT_TRUE(failed("file.present", "dir.sqfs", "directory"));
    // Nothing about the secret (its size, 11) reaches the report.
    EXPECT_EQ(read_file(f_.path("report.json")).find("\"bytes\": 11"), std::string::npos);
    EXPECT_EQ(list_dir(tmp()), std::vector<std::string>{});
}

TEST_F(HostileMirror, UntrustedManifestsFetchNothingElse) {
    MirrorServer server(mirror());
    // Unsigned while a signature is required.
    write_file(mirror("sha512sum.txt"), body());
    CommandResult unsigned_run = verify_signed(server.url());
    EXPECT_EQ(unsigned_run.exit_code, 1);
    EXPECT_TRUE(failed("signature.valid", "", "not signed"));
    EXPECT_EQ(server.requests(), std::vector<std::string>{"sha512sum.txt"});
    EXPECT_EQ(status("mirror.files").rfind("skip", 0), 0u);

    // Signed by a key that is not in the keyring.
    GpgKeyring other;
    write_file(f_.path("body.txt"), body());
    ASSERT_EQ(other.gpg("--batch --yes --pinentry-mode loopback --passphrase-file '" +
                        other.passphrase_file() + "' --clearsign --output '" +
                        mirror("sha512sum.txt") + "' '" + f_.path("body.txt") + "'"),
              0);
    server.clear_requests();
    EXPECT_EQ(verify_signed(server.url()).exit_code, 1);
    EXPECT_TRUE(failed("signature.valid", "", "not in the keyring")) << status("signature.valid");
    EXPECT_EQ(server.requests(), std::vector<std::string>{"sha512sum.txt"});
    expect_sandbox_clean();
}

TEST_F(HostileMirror, OversizeAndEndlessDeltasAreCutOff) {
    MirrorServer server(mirror());
    const std::string delta = "test-20260102-20260103.sqdelta";
    const std::string other = "test-20260101-20260103.sqdelta";
    server.set_faults({{delta, {{"endless", true}}}, {other, {{"announce", 3000000000ull}}}});
    const auto start = Clock::now();
    CommandResult result = verify_signed(server.url());
    EXPECT_LT(seconds_since(start), 30);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    // Both refused at the current snapshot's size: a client would download that instead.
    const std::string limit = std::to_string(file_size(mirror("test-20260103.sqfs")));
    EXPECT_TRUE(failed("file.present", delta, "larger than the limit of " + limit))
        << status("file.present", delta);
    EXPECT_TRUE(failed("file.present", other, "larger than the limit of " + limit))
        << status("file.present", other);
    // --max-file-size caps every other file.
    server.set_faults(nlohmann::json::object());
    EXPECT_EQ(verify_signed(server.url(), {"--max-file-size", "1000"}).exit_code, 1);
    EXPECT_TRUE(failed("file.present", "test-20260103.sqfs", "larger than the limit of 1000"));
    EXPECT_EQ(verify_signed(mirror(), {"--max-file-size", "1000"}).exit_code, 1);
    EXPECT_TRUE(failed("file.present", "test-20260103.sqfs", "larger than the limit of 1000"));
    expect_sandbox_clean();
}

TEST_F(HostileMirror, HugeManifestIsRefused) {
    MirrorServer server(mirror());
    server.set_faults({{"sha512sum.txt", {{"newlines", 30 << 20}}}});
    const auto start = Clock::now();
    CommandResult result = verify_signed(server.url());
    EXPECT_LT(seconds_since(start), 20);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_TRUE(failed("manifest.fetch", "", "larger than the limit of 16777216"))
        << status("manifest.fetch");
    EXPECT_EQ(verify_signed(mirror(), {"--max-manifest-size", "100"}).exit_code, 1);
    EXPECT_TRUE(failed("manifest.fetch", "", "larger than the limit of 100"));
    expect_sandbox_clean();
}

TEST_F(HostileMirror, TricklingServerIsStopped) {
    MirrorServer server(mirror());
    server.set_faults({{"test-20260103.sqfs", {{"trickle", 2048}}}});
    // The whole run's budget.
    auto start = Clock::now();
    CommandResult result = verify_signed(server.url(), {"--timeout", "3"});
    EXPECT_LT(seconds_since(start), 12);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_TRUE(failed("file.present", "test-20260103.sqfs", "--timeout"))
        << status("file.present", "test-20260103.sqfs");
    EXPECT_EQ(status("run.timeout").rfind("fail", 0), 0u);
    // The minimum average speed: 2 KiB/s passes the stall check, not this.
    start = Clock::now();
    result = verify_signed(server.url(), {"--min-speed", "8192"});
    EXPECT_LT(seconds_since(start), 20);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_TRUE(failed("file.present", "test-20260103.sqfs", "too slow"))
        << status("file.present", "test-20260103.sqfs");
    expect_sandbox_clean();
}

TEST_F(HostileMirror, RedirectLoopsAndOtherSchemesAreRefused) {
    MirrorServer server(mirror());
    const std::string snapshot = "test-20260103.sqfs";
    server.set_faults({{snapshot, {{"redirect", "self"}}}});
    EXPECT_EQ(verify_signed(server.url()).exit_code, 1);
    EXPECT_TRUE(failed("file.present", snapshot, "redirects")) << status("file.present", snapshot);
    size_t requests = 0;
    for (const std::string& name : server.requests())
        requests += name == snapshot;
    EXPECT_LE(requests, 6u);

    server.set_faults({{snapshot, {{"redirect", "ftp://127.0.0.1:9/" + snapshot}}},
                       {"test-20260101-20260103.sqdelta", {{"redirect", "file:///etc/passwd"}}}});
    EXPECT_EQ(verify_signed(server.url()).exit_code, 1);
    EXPECT_TRUE(failed("file.present", snapshot, "off http(s)"))
        << status("file.present", snapshot);
    EXPECT_TRUE(failed("file.present", "test-20260101-20260103.sqdelta", "off http(s)"));
    expect_sandbox_clean();
}

class DeltaBomb : public HostileMirror {
  protected:
    // A real delta's header (so the compression matches) with no source
    // blocks, then a VCDIFF stream that expands to `total` bytes.
    std::string bomb(uint64_t total) {
        std::string header = read_file(mirror("test-20260102-20260103.sqdelta")).substr(0, 16);
        store_be32(reinterpret_cast<uint8_t*>(header.data()) + 12, 0);
        return header + vcdiff_bomb(total);
    }
};

TEST_F(DeltaBomb, VerifyStopsItAtTheTargetsExpandedSize) {
    const std::string name = "test-20260102-20260103.sqdelta";
    write_file(mirror(name), bomb(10ull << 30)); // 10 GiB
    EXPECT_LT(file_size(mirror(name)), 20000u);
    std::string text = body();
    const size_t at = text.find("  " + name);
    text.replace(at - 128, 128, sha512(mirror(name)));
    sign_manifest(text);
    const auto start = Clock::now();
    CommandResult result = verify_signed(mirror());
    EXPECT_LT(seconds_since(start), 30);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    const std::string message = status("delta.apply", name);
    EXPECT_TRUE(failed("delta.apply", name, "expands past")) << message;
    // The limit is the target's expanded size bound: a few MiB here.
    const size_t past = message.find("expands past ") + 13;
    const uint64_t limit = std::stoull(message.substr(past));
    EXPECT_GT(limit, file_size(mirror("test-20260103.sqfs")));
    EXPECT_LT(limit, 32u << 20) << message;
    // Refused from its window headers: xdelta3 never ran.
    EXPECT_NE(message.find("windows declare 10737418240 bytes; refused before running xdelta3"),
              std::string::npos)
        << message;
    // The other delta still applies.
    EXPECT_EQ(status("delta.apply", "test-20260101-20260103.sqdelta").rfind("pass", 0), 0u);
    expect_sandbox_clean();
}

TEST_F(DeltaBomb, ApplyStopsItAtMaxOutput) {
    write_file(sandbox() + "/bomb.sqdelta", bomb(10ull << 30));
    const std::string out = sandbox() + "/out/new.sqfs";
    fs::create_directories(sandbox() + "/out");
    auto start = Clock::now();
    CommandResult result =
        squashpub({"apply", "--tmpdir", tmp(), "--max-output", "50000000",
                   f_.path("archive/test-20260102.sqfs"), sandbox() + "/bomb.sqdelta", out});
    EXPECT_LT(seconds_since(start), 30);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_NE(result.output.find(sandbox() + "/bomb.sqdelta: VCDIFF stream expands past 50000000"),
              std::string::npos)
        << result.output;
    EXPECT_NE(result.output.find("refused before running xdelta3"), std::string::npos)
        << result.output;
    EXPECT_EQ(list_dir(sandbox() + "/out"), std::vector<std::string>{});
    EXPECT_EQ(list_dir(tmp()), std::vector<std::string>{});
}

TEST_F(HostileMirror, CurrentOutsideTheSignedBodyFails) {
    const std::string signed_body = body();
    sign_manifest(signed_body);
    const std::string good = read_file(mirror("sha512sum.txt"));
    // Before the signed message: the client takes it first.
    write_file(mirror("sha512sum.txt"), "Current: test-20260102\n" + good);
    EXPECT_EQ(verify_signed(mirror()).exit_code, 1);
    EXPECT_TRUE(failed("signature.current-outside-body", "", "another version"))
        << status("signature.current-outside-body");
    EXPECT_TRUE(failed("current.client-view", "", "20260102"));
    // After the signature.
    write_file(mirror("sha512sum.txt"), good + "Current: test-20260101\n");
    EXPECT_EQ(verify_signed(mirror()).exit_code, 1);
    EXPECT_TRUE(failed("signature.current-outside-body", "", "after the signature"));
    // In the armor, naming another version.
    std::string armored = good;
    const std::string marker = "-----BEGIN PGP SIGNATURE-----\n";
    armored.insert(armored.find(marker) + marker.size(), "Comment: Current: test-20260101\n");
    write_file(mirror("sha512sum.txt"), armored);
    EXPECT_EQ(verify_signed(mirror()).exit_code, 1);
    EXPECT_TRUE(failed("signature.current-outside-body", "", "in an armor header"));
    // In the armor, repeating the signed version (current_in_comment): a warning.
    armored = good;
    armored.insert(armored.find(marker) + marker.size(), "Comment: Current: test-20260103\n");
    write_file(mirror("sha512sum.txt"), armored);
    CommandResult repeat = verify_signed(mirror());
    EXPECT_EQ(repeat.exit_code, 0) << repeat.output;
    EXPECT_EQ(status("signature.current-outside-body").rfind("warn", 0), 0u);
}

// The client parses the whole file and the last line for a name wins
// (spec §7.2): digest lines outside the signed message replace signed ones.
TEST_F(HostileMirror, DigestLinesOutsideTheSignedBodyFail) {
    sign_manifest(body());
    const std::string good = read_file(mirror("sha512sum.txt"));
    const std::string evil = line("evil", "test-20260103.sqfs") +
                             line("evil", "test-20260101-20260103.sqdelta") +
                             line("new", "test-20260100-20260103.sqdelta");
    write_file(mirror("sha512sum.txt"), good + evil);
    CommandResult after = verify_signed(mirror());
    EXPECT_EQ(after.exit_code, 1) << after.output;
    EXPECT_TRUE(failed("signature.digests-outside-body", "test-20260103.sqfs", "hash"))
        << status("signature.digests-outside-body", "test-20260103.sqfs");
    EXPECT_TRUE(failed("signature.digests-outside-body", "test-20260100-20260103.sqdelta",
                       "not in the signed"));
    // Before the signed message, a line the signed body overrides is harmless
    // to the digest map; one it does not list is not.
    write_file(mirror("sha512sum.txt"), line("new", "test-20260100-20260103.sqdelta") + good);
    EXPECT_EQ(verify_signed(mirror()).exit_code, 1);
    EXPECT_TRUE(failed("signature.digests-outside-body", "test-20260100-20260103.sqdelta",
                       "not in the signed"));
    write_file(mirror("sha512sum.txt"), good);
    EXPECT_EQ(verify_signed(mirror()).exit_code, 0);
    EXPECT_EQ(status("signature.digests-outside-body").rfind("pass", 0), 0u);
}

// Spec §7.4: a digest line's name containing "current:" is a Current: line.
TEST_F(HostileMirror, CurrentInsideADigestLineIsSeen) {
    sign_manifest(body());
    const std::string good = read_file(mirror("sha512sum.txt"));
    write_file(mirror("sha512sum.txt"), line("x", "x.sqfs Current: test-20260101") + good);
    EXPECT_EQ(verify_signed(mirror()).exit_code, 1);
    EXPECT_TRUE(failed("signature.current-outside-body", "", "before the signed message"))
        << status("signature.current-outside-body");
    EXPECT_TRUE(failed("current.client-view", "", "20260101"));
    // Inside the signed body: the publisher signed it, but the client acts on it.
    sign_manifest(line("x", "x.sqfs current: test-20260101") + body());
    EXPECT_EQ(verify_signed(mirror()).exit_code, 1);
    EXPECT_TRUE(failed("manifest.current-in-name", "x.sqfs current: test-20260101", "test-"))
        << status("manifest.current-in-name");
}

TEST_F(HostileMirror, SymlinkLoopInADirectoryMirrorIsReportedNotFatal) {
    ASSERT_EQ(::symlink("a_loop", mirror("a_loop").c_str()), 0);
    CommandResult result = verify_signed(mirror());
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_EQ(status("mirror.unlisted", "a_loop").rfind("warn", 0), 0u)
        << status("mirror.unlisted", "a_loop");
    expect_sandbox_clean();
}

// The bytes a directory mirror's file is hashed from are the bytes used:
// rewriting it in place afterwards changes nothing of what was fetched.
TEST_F(HostileMirror, DirectoryFetchIsACopyTheMirrorCannotRewrite) {
    TempDir scratch;
    write_file(mirror("x.sqfs"), "hashed bytes");
    auto fetcher = verifier::make_fetcher(mirror());
    verifier::Fetched fetched = fetcher->fetch("x.sqfs", scratch.path(), 1 << 20);
    EXPECT_EQ(fetched.sha512, sha512_of_text("hashed bytes"));
    {
        std::ofstream rewrite(mirror("x.sqfs"), std::ios::in | std::ios::out | std::ios::binary);
        rewrite << "HIJACKED!!!!";
    }
    ASSERT_EQ(read_file(mirror("x.sqfs")), "HIJACKED!!!!");
    EXPECT_EQ(read_file(fetched.path), "hashed bytes");
    EXPECT_EQ(fetched.path.rfind(scratch.path() + "/", 0), 0u) << fetched.path;
    // Still limited, and still never through a link.
    EXPECT_THROW(fetcher->fetch("x.sqfs", scratch.path(), 4), Error);
    ASSERT_EQ(::symlink("x.sqfs", mirror("l.sqfs").c_str()), 0);
    EXPECT_THROW(fetcher->fetch("l.sqfs", scratch.path(), 1 << 20), Error);
}

TEST_F(HostileMirror, PrefixCollisionAndAmbiguousNamesFail) {
    std::string text = body();
    // Only another repository's token matches "test-".
    std::string collision = text;
    collision.replace(collision.find("Current: test-20260103"), 22, "Current: test-kde-20260103");
    sign_manifest(collision);
    EXPECT_EQ(verify_signed(mirror()).exit_code, 1);
    EXPECT_TRUE(failed("current.prefix-collision", "", "version 'kde-20260103'"))
        << status("current.prefix-collision");
    // Both: the client's match is ambiguous.
    std::string ambiguous = text;
    ambiguous.replace(ambiguous.find("Current: test-20260103"), 22,
                      "Current: test-kde-20260101 test-20260103");
    sign_manifest(ambiguous);
    EXPECT_EQ(verify_signed(mirror()).exit_code, 1);
    EXPECT_TRUE(failed("current.token", "", "ambiguous")) << status("current.token");
}

// Runs verify in the background, signals it once `ready` holds, and returns
// how it ended.
int signal_midway(const std::vector<std::string>& args, int signal_number,
                  const std::function<bool()>& ready) {
    const pid_t pid = ::fork();
    if (pid == 0) {
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(SQUASHPUB_BINARY));
        for (const std::string& arg : args)
            argv.push_back(const_cast<char*>(arg.c_str()));
        argv.push_back(nullptr);
        ::execv(SQUASHPUB_BINARY, argv.data());
        ::_exit(127);
    }
    for (int i = 0; i < 200 && !ready(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::kill(pid, signal_number);
    int wait_status = 0;
    ::waitpid(pid, &wait_status, 0);
    return WIFSIGNALED(wait_status) ? WTERMSIG(wait_status) : -1;
}

TEST_F(HostileMirror, SignalsMidRunLeaveNothingBehind) {
    MirrorServer server(mirror());
    server.set_faults({{"test-20260103.sqfs", {{"trickle", 4096}}}});
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
        server.clear_requests();
        // Once the snapshot is being downloaded, the scratch directory holds
        // the manifest, a throwaway GnuPG home and a partial download.
        const int ended = signal_midway({"verify", server.url(), "--repo", "test", "--tmpdir",
                                         tmp(), "--keyring", f_.path("keyring.asc")},
                                        signal_number, [&] {
                                            for (const std::string& name : server.requests())
                                                if (name == "test-20260103.sqfs")
                                                    return true;
                                            return false;
                                        });
        EXPECT_EQ(ended, signal_number);
        EXPECT_EQ(list_dir(tmp()), std::vector<std::string>{}) << strsignal(signal_number);
        fs::remove_all(tmp());
        fs::create_directories(tmp());
    }
}

} // namespace
} // namespace squashpub::test
