// The VCDIFF window walker against streams from the real xdelta3 (every
// option the generator or a third party might use), a hand-made delta bomb
// and malformed streams built byte by byte.

#include "verifier/vcdiff_windows.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "support/test_support.hpp"
#include "verifier/applier.hpp"

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <random>

namespace squashpub::verifier {
namespace {

void append_varint(std::string& out, uint64_t value) {
    // RFC 3284 §2: base-128, most significant digit first.
    std::string digits(1, static_cast<char>(value & 0x7f));
    for (value >>= 7; value; value >>= 7)
        digits.insert(digits.begin(), static_cast<char>(0x80 | (value & 0x7f)));
    out += digits;
}

const std::string kMagic("\xD6\xC3\xC4\x00\x00", 5); // version 0, no header indicator

// One window with no source segment whose target is `size` copies of one
// byte: a RUN instruction (code 0, size follows).
std::string run_window(uint64_t size) {
    std::string inst("\x00", 1);
    append_varint(inst, size);
    std::string body;
    append_varint(body, size);
    body += '\0';
    append_varint(body, 1);
    append_varint(body, inst.size());
    append_varint(body, 0);
    body += 'A';
    body += inst;
    std::string out(1, '\0');
    append_varint(out, body.size());
    return out + body;
}

std::string random_bytes(size_t size, unsigned seed) {
    std::mt19937 rng(seed);
    std::string out(size, '\0');
    for (char& c : out)
        c = static_cast<char>("abcdefgh\n"[rng() % 9] ^ (rng() % 64 == 0 ? 0x20 : 0));
    return out;
}

class VcdiffWalk : public ::testing::Test {
  protected:
    VcdiffWindows walk(const std::string& stream, uint64_t source_bytes = 0,
                       const std::string& prefix = "") {
        const std::string path = dir_.file("stream.vcdiff");
        test::write_file(path, prefix + stream);
        UniqueFd fd = open_for_reading(path);
        return walk_vcdiff_windows(fd.get(), prefix.size(), prefix.size() + stream.size(),
                                   source_bytes, path);
    }

    // The walk's error, or "" when it walks.
    std::string walk_error(const std::string& stream, uint64_t source_bytes = 0) {
        try {
            walk(stream, source_bytes);
        } catch (const Error& e) {
            EXPECT_EQ(e.subject(), dir_.file("stream.vcdiff"));
            return e.problem();
        }
        return "";
    }

    TempDir dir_{"", "vcdiff-walk-test"};
};

TEST_F(VcdiffWalk, XdeltaStreamsWalkToExactlyWhatXdeltaWrites) {
    const std::string source = random_bytes(300000, 1);
    std::string target = source.substr(1000, 200000) + random_bytes(150000, 2) + source;
    test::write_file(dir_.file("source"), source);
    test::write_file(dir_.file("target"), target);
    const std::vector<std::string> settings = {
        "-9 -S djw",         // the reference generator's
        "-9 -S djw -A=app",  // an application header
        "-1 -S none -n -A",  // no checksums, no secondary, no header
        "-9 -S djw -W 16384" // many small windows, some copying from earlier targets
    };
    for (const std::string& options : settings) {
        SCOPED_TRACE(options);
        const std::string encoded = dir_.file("encoded");
        test::shell("xdelta3 -e -f " + options + " -c -s '" + dir_.file("source") + "' '" +
                    dir_.file("target") + "' > '" + encoded + "'");
        test::shell("xdelta3 -d -f -c -s '" + dir_.file("source") + "' '" + encoded + "' > '" +
                    dir_.file("decoded") + "'");
        const uint64_t written = test::read_file(dir_.file("decoded")).size();
        ASSERT_EQ(written, target.size());
        const VcdiffWindows walked = walk(test::read_file(encoded), source.size(), "prefix");
        EXPECT_EQ(walked.target_bytes, written);
        if (options.find("-W") != std::string::npos) {
            EXPECT_GT(walked.windows, 10u);
        }
        // A source one byte too short for some window's segment is refused.
        if (walked.windows == 1) {
            EXPECT_NE(walk_error(test::read_file(encoded), 1000).find("lies outside"),
                      std::string::npos);
        }
    }
}

TEST_F(VcdiffWalk, EveryCutInsideAWindowIsTruncated) {
    const std::string stream = kMagic + run_window(100) + run_window(5000);
    const size_t last_window = kMagic.size() + run_window(100).size();
    for (size_t cut = 0; cut < stream.size(); ++cut) {
        if (cut == kMagic.size() || cut == last_window)
            continue; // a whole number of windows: a shorter valid stream
        EXPECT_NE(walk_error(stream.substr(0, cut)), "") << "cut at " << cut;
    }
    EXPECT_EQ(walk(stream).target_bytes, 5100u);
    EXPECT_NE(walk_error(stream.substr(0, stream.size() - 1)).find("truncated"), std::string::npos);
}

// xdelta3 reads a size not in its shortest form, checks the encoding length
// against the shortest forms and steps over the sections by their sizes:
// such a stream decodes (checked here with the real xdelta3), and the walk
// must follow it the same way.
TEST_F(VcdiffWalk, SizesNotInTheirShortestFormWalkAsXdeltaDecodes) {
    std::string padded = run_window(100);
    padded.insert(2, 1, '\x80'); // target length 100 as 80 64
    const std::string stream = kMagic + padded + run_window(50);
    test::write_file(dir_.file("padded.vcdiff"), stream);
    EXPECT_EQ(test::shell("xdelta3 -d -c '" + dir_.file("padded.vcdiff") + "' | wc -c"), "150\n");
    EXPECT_EQ(walk(stream).target_bytes, 150u);
}

TEST_F(VcdiffWalk, TrailingGarbageIsRefused) {
    const std::string stream = kMagic + run_window(100);
    EXPECT_NE(walk_error(stream + "garbage").find("window 1 at offset"), std::string::npos);
    EXPECT_NE(walk_error(stream + std::string("\x00\x05", 2)).find("truncated"), std::string::npos);
    EXPECT_NE(walk_error(stream + std::string(20, '\0')).find("does not match its sections"),
              std::string::npos);
}

TEST_F(VcdiffWalk, IntegersThatOverflowAreRefused) {
    // A target length of 2^70.
    std::string window("\x00\x10", 2);
    window += std::string("\x81\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 11);
    EXPECT_NE(walk_error(kMagic + window).find("target window length overflows 64 bits"),
              std::string::npos);
    // Two windows of 2^63 bytes each: their sum overflows.
    std::string huge(1, '\0');
    std::string body;
    append_varint(body, 1ull << 63);
    body += std::string("\x00\x00\x00\x00", 4);
    append_varint(huge, body.size());
    huge += body;
    EXPECT_EQ(walk(kMagic + huge).target_bytes, 1ull << 63);
    EXPECT_NE(walk_error(kMagic + huge + huge).find("total target size overflows"),
              std::string::npos);
    // A source segment whose end overflows.
    std::string segment("\x01", 1);
    append_varint(segment, 10);
    append_varint(segment, ~0ull - 5);
    EXPECT_NE(walk_error(kMagic + segment + run_window(1).substr(1), ~0ull)
                  .find("source segment overflows"),
              std::string::npos);
}

TEST_F(VcdiffWalk, MalformedHeadersAreRefused) {
    EXPECT_NE(walk_error("\xD6\xC3\xC5").find("bad magic"), std::string::npos);
    EXPECT_NE(walk_error(std::string("\xD6\xC3\xC4\x53\x00", 5)).find("version"),
              std::string::npos);
    EXPECT_NE(walk_error(std::string("\xD6\xC3\xC4\x00\x08", 5)).find("header indicator"),
              std::string::npos);
    EXPECT_NE(walk_error(std::string("\xD6\xC3\xC4\x00\x01\x07", 6)).find("secondary"),
              std::string::npos);
    EXPECT_NE(walk_error(std::string("\xD6\xC3\xC4\x00\x04\x20xx", 8)).find("application header"),
              std::string::npos);
    std::string both = run_window(1);
    both[0] = '\x03';
    EXPECT_NE(walk_error(kMagic + both).find("both VCD_SOURCE and VCD_TARGET"), std::string::npos);
    std::string compressed = run_window(1);
    compressed[3] = '\x01'; // VCD_DATACOMP without VCD_SECONDARY
    EXPECT_NE(walk_error(kMagic + compressed).find("without VCD_SECONDARY"), std::string::npos);
    std::string ahead("\x02\x05\x00", 3); // VCD_TARGET: 5 bytes before any target
    EXPECT_NE(walk_error(kMagic + ahead + run_window(1).substr(1)).find("target so far"),
              std::string::npos);
    EXPECT_EQ(walk(kMagic).target_bytes, 0u);
}

// An application header naming an external compressor would make
// `xdelta3 -d` run that program on its output (escaping the output cap) or
// its source; names alone are harmless (the applier passes -c and -s).
std::string with_application_header(const std::string& header) {
    std::string stream("\xD6\xC3\xC4\x00\x04", 5);
    append_varint(stream, header.size());
    return stream + header + run_window(10);
}

TEST_F(VcdiffWalk, ApplicationHeadersNamingACompressorAreRefused) {
    EXPECT_EQ(walk(with_application_header("tmp.X//tmp.Y/")).target_bytes, 10u);
    EXPECT_EQ(walk(with_application_header("target/")).target_bytes, 10u);
    EXPECT_EQ(walk(with_application_header("app")).target_bytes, 10u);
    for (const char* hostile : {"out/B", "out//src/G", "out/Y/src/", "a/b/c/d/e"}) {
        SCOPED_TRACE(hostile);
        EXPECT_NE(walk_error(with_application_header(hostile)).find("application header"),
                  std::string::npos);
    }
    EXPECT_NE(walk_error(with_application_header(std::string("out\0/B", 6))).find("NUL"),
              std::string::npos);
    // The real thing: xdelta3 recognises a gzip target and records "G", so
    // that its decoder would pipe the output through gzip.
    test::write_file(dir_.file("source"), random_bytes(5000, 3));
    test::write_file(dir_.file("target"), random_bytes(5000, 4));
    test::shell("gzip -n -f '" + dir_.file("target") + "' && xdelta3 -e -f -s '" +
                dir_.file("source") + "' '" + dir_.file("target.gz") + "' '" +
                dir_.file("gzip.vcdiff") + "'");
    EXPECT_NE(walk_error(test::read_file(dir_.file("gzip.vcdiff")), 5000)
                  .find("names an external compressor"),
              std::string::npos);
}

// A hand-made bomb: 1 TiB of RUN windows in about 1.3 MB, after a valid
// .sqdelta header with no source blocks.
TEST_F(VcdiffWalk, ApplyRefusesABombAtOnceWritingNothing) {
    const std::string source = dir_.file("source.sqfs");
    test::write_file(source, std::string(4096, '\0'));
    std::string delta("\x53\x71\xCE\xB4\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00", 16);
    delta += kMagic;
    const std::string window = run_window(16u << 20);
    for (int i = 0; i < 65536; ++i)
        delta += window;
    const std::string bomb = dir_.file("bomb.sqdelta");
    test::write_file(bomb, delta);
    ApplyOptions options;
    options.temp_dir = dir_.file("tmp");
    test::shell("mkdir '" + options.temp_dir + "'");
    const auto start = std::chrono::steady_clock::now();
    try {
        apply_delta(source, bomb, dir_.file("out.sqfs"), options);
        FAIL() << "the bomb applied";
    } catch (const Error& e) {
        EXPECT_EQ(e.subject(), bomb);
        EXPECT_NE(e.problem().find("65536 windows declare 1099511627776 bytes"), std::string::npos)
            << e.what();
        EXPECT_NE(e.problem().find("refused before running xdelta3"), std::string::npos);
    }
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
    EXPECT_FALSE(test::exists(dir_.file("out.sqfs")));
    EXPECT_EQ(test::shell("ls -A '" + options.temp_dir + "'"), "");
}

// Source blocks that claim 16 MiB each: the declared expanded source (4096
// + 2 x 16 MiB + 16 + 2 x 12 bytes) is
// over its cap, refused before any block is read or decompressed.
TEST_F(VcdiffWalk, ApplyRefusesAnOversizedExpandedSourceBeforeDecompressing) {
    const std::string source = dir_.file("source.sqfs");
    test::write_file(source, std::string(4096, '\0'));
    std::string delta("\x53\x71\xCE\xB4\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x02", 16);
    delta += std::string("\x00\x00\x00\x00\x00\x00\x00\x10\x01\x00\x00\x00", 12);
    delta += std::string("\x00\x00\x00\x10\x00\x00\x00\x10\x01\x00\x00\x00", 12);
    delta += kMagic + run_window(100);
    const std::string path = dir_.file("wide.sqdelta");
    test::write_file(path, delta);
    ApplyOptions options;
    options.temp_dir = dir_.file("tmp");
    test::shell("mkdir '" + options.temp_dir + "'");
    options.max_expanded_source = 16u << 20;
    try {
        apply_delta(source, path, dir_.file("out.sqfs"), options);
        FAIL() << "applied";
    } catch (const Error& e) {
        EXPECT_EQ(e.subject(), path);
        EXPECT_NE(e.problem().find("to 33558568 bytes, past the 16777216 bytes allowed; refused "
                                   "before decompressing anything"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_FALSE(test::exists(dir_.file("out.sqfs")));
    EXPECT_EQ(test::shell("ls -A '" + options.temp_dir + "'"), "");
}

// Real xdelta3 never writes more or less than the windows declare, so a
// stand-in on PATH plays a decoder that does: the applier must stop it at
// exactly the declared size, and refuse a short output.
TEST_F(VcdiffWalk, ApplyHoldsXdelta3ToTheDeclaredSize) {
    const std::string source = dir_.file("source.sqfs");
    test::write_file(source, std::string(4096, '\0'));
    const std::string delta = dir_.file("liar.sqdelta");
    test::write_file(
        delta, std::string("\x53\x71\xCE\xB4\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00", 16) +
                   kMagic + run_window(100));
    test::shell("mkdir '" + dir_.file("bin") + "' '" + dir_.file("tmp") + "'");
    const std::string saved_path = ::getenv("PATH");
    ::setenv("PATH", (dir_.file("bin") + ":" + saved_path).c_str(), 1);
    ApplyOptions options;
    options.temp_dir = dir_.file("tmp");
    for (const auto& [bytes, expected] : std::vector<std::pair<int, std::string>>{
             {1000000, "expands past the 100 bytes its windows declare"},
             {50, "decodes to 50 bytes, not the 100 bytes its windows declare"}}) {
        test::write_file(dir_.file("bin/xdelta3"), "#!/bin/sh\ncat >/dev/null\nhead -c " +
                                                       std::to_string(bytes) + " /dev/zero\n");
        test::shell("chmod +x '" + dir_.file("bin/xdelta3") + "'");
        try {
            apply_delta(source, delta, dir_.file("out.sqfs"), options);
            ADD_FAILURE() << "applied";
        } catch (const Error& e) {
            EXPECT_EQ(e.subject(), delta);
            EXPECT_NE(e.problem().find(expected), std::string::npos) << e.what();
        }
        EXPECT_FALSE(test::exists(dir_.file("out.sqfs")));
        EXPECT_EQ(test::shell("ls -A '" + options.temp_dir + "'"), "");
    }
    ::setenv("PATH", saved_path.c_str(), 1);
}

} // namespace
} // namespace squashpub::verifier
