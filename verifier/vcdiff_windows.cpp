#include "verifier/vcdiff_windows.hpp"

#include "core/error.hpp"
#include "core/files.hpp"

#include <algorithm>
#include <limits>
#include <vector>

namespace squashpub::verifier {
namespace {

// RFC 3284 §4.1 header indicator, plus xdelta3's VCD_APPHEADER.
constexpr uint8_t kVcdSecondary = 0x01;
constexpr uint8_t kVcdCodetable = 0x02;
constexpr uint8_t kVcdAppheader = 0x04;
// §4.2 window indicator, plus xdelta3's VCD_ADLER32.
constexpr uint8_t kVcdSource = 0x01;
constexpr uint8_t kVcdTarget = 0x02;
constexpr uint8_t kVcdAdler32 = 0x04;
// §4.3 delta indicator: which sections are secondary-compressed.
constexpr uint8_t kVcdSectionsCompressed = 0x07;
constexpr uint64_t kAdler32Bytes = 4;

std::string at(uint64_t position) {
    return " at offset " + std::to_string(position);
}

// Reads the stream forward through a small buffer; skipped sections are
// never read.
class StreamReader {
  public:
    StreamReader(int fd, uint64_t offset, uint64_t end, const std::string& subject)
        : fd_(fd), position_(offset), start_(offset), end_(end), subject_(subject) {}

    bool at_end() const { return position_ == end_; }
    uint64_t position() const { return position_; }
    uint64_t stream_offset() const { return position_ - start_; }

    uint8_t byte(const char* what) {
        if (position_ >= end_)
            fail(std::string("truncated: ") + what + " missing, the file ends" + at(position_));
        if (position_ < buffer_start_ || position_ >= buffer_start_ + buffer_.size())
            fill();
        return buffer_[position_++ - buffer_start_];
    }

    // RFC 3284 §2: base-128, most significant digit first, high bit set on
    // all but the last byte. Values are bounded to 64 bits.
    uint64_t integer(const char* what) {
        const uint64_t first = position_;
        uint64_t value = 0;
        for (;;) {
            const uint8_t digit = byte(what);
            if (value > (std::numeric_limits<uint64_t>::max() >> 7))
                fail(std::string(what) + " overflows 64 bits" + at(first));
            value = (value << 7) | (digit & 0x7f);
            if (!(digit & 0x80))
                return value;
        }
    }

    void skip(uint64_t bytes, const char* what) {
        if (bytes > end_ - position_)
            fail(std::string("truncated: ") + what + " of " + std::to_string(bytes) + " bytes" +
                 at(position_) + " runs past the end of the file (" +
                 std::to_string(end_ - position_) + " bytes left)");
        position_ += bytes;
    }

    [[noreturn]] void fail(const std::string& problem) const {
        throw Error(subject_, "VCDIFF stream: " + problem);
    }

  private:
    void fill() {
        buffer_start_ = position_;
        buffer_.resize(size_t(std::min<uint64_t>(kBufferBytes, end_ - position_)));
        read_exact_at(fd_, buffer_.data(), buffer_.size(), position_, subject_);
    }

    static constexpr uint64_t kBufferBytes = 4096;
    int fd_;
    uint64_t position_, start_, end_;
    const std::string& subject_;
    std::vector<uint8_t> buffer_;
    uint64_t buffer_start_ = 0;
};

uint64_t checked_sum(StreamReader& in, std::initializer_list<uint64_t> terms, const char* what) {
    uint64_t sum = 0;
    for (uint64_t term : terms) {
        if (term > std::numeric_limits<uint64_t>::max() - sum)
            in.fail(std::string(what) + " overflows 64 bits" + at(in.position()));
        sum += term;
    }
    return sum;
}

// Bytes of the shortest encoding of value: what xdelta3 assumes when it
// checks a window's declared encoding length.
uint64_t integer_bytes(uint64_t value) {
    uint64_t bytes = 1;
    for (value >>= 7; value; value >>= 7)
        ++bytes;
    return bytes;
}

// xdelta3's application header is "NAME/COMP" or "NAME/COMP/SOURCE/COMP"
// (the reference generator writes "tmp.X//tmp.Y/"). A COMP field names an
// external program (bzip2, gzip, compress, xz) that `xdelta3 -d` would run
// on its output or its source: a hostile delta must not start programs,
// and output piped through one escapes the output cap. squashmerge runs
// xdelta3 the same way, so such a delta fails there too; refusing it loses
// nothing. More than three slashes overflowed old xdelta3 builds'
// parser (CVE-2014-9765), and NUL bytes would cut the fields short.
void check_application_header(StreamReader& in) {
    const uint64_t length = in.integer("application header length");
    constexpr uint64_t kMaxApplicationHeader = 4096;
    if (length > kMaxApplicationHeader)
        in.fail("application header of " + std::to_string(length) + " bytes" + at(in.position()) +
                " (at most " + std::to_string(kMaxApplicationHeader) + ")");
    std::string header;
    for (uint64_t i = 0; i < length; ++i)
        header += static_cast<char>(in.byte("application header"));
    if (header.find('\0') != std::string::npos)
        in.fail("application header holds a NUL byte");
    std::vector<std::string> fields(1);
    for (char c : header) {
        if (c == '/')
            fields.emplace_back();
        else
            fields.back() += c;
    }
    if (fields.size() > 4)
        in.fail("application header \"" + header + "\" has more than four fields");
    const bool names_a_compressor =
        (fields.size() >= 2 && !fields[1].empty()) || (fields.size() == 4 && !fields[3].empty());
    if (names_a_compressor)
        in.fail("application header \"" + header +
                "\" names an external compressor, which xdelta3 would run");
}

// Returns whether sections may be secondary-compressed.
bool read_file_header(StreamReader& in) {
    const uint8_t magic[3] = {0xD6, 0xC3, 0xC4};
    for (uint8_t expected : magic)
        if (in.byte("magic") != expected)
            in.fail("bad magic (not D6 C3 C4)");
    if (const uint8_t version = in.byte("version"); version != 0)
        in.fail("version byte " + std::to_string(version) + " is not 0 (xdelta3 rejects it)");
    const uint8_t indicator = in.byte("header indicator");
    if (indicator & ~(kVcdSecondary | kVcdCodetable | kVcdAppheader))
        in.fail("unknown bits in the header indicator " + std::to_string(indicator));
    if (indicator & kVcdSecondary) {
        const uint8_t id = in.byte("secondary compressor id");
        if (id != 1 && id != 2 && id != 16) // xdelta3's djw, lzma and fgk
            in.fail("unknown secondary compressor id " + std::to_string(id));
    }
    if (indicator & kVcdCodetable)
        in.skip(in.integer("code table length"), "code table");
    if (indicator & kVcdAppheader)
        check_application_header(in);
    return indicator & kVcdSecondary;
}

} // namespace

VcdiffWindows walk_vcdiff_windows(int fd, uint64_t offset, uint64_t end, uint64_t source_bytes,
                                  const std::string& subject) {
    StreamReader in(fd, offset, end, subject);
    const bool secondary = read_file_header(in);
    VcdiffWindows walked;
    while (!in.at_end()) {
        const uint64_t window_start = in.position();
        const std::string window = "window " + std::to_string(walked.windows) + at(window_start);
        const uint8_t indicator = in.byte("window indicator");
        if (indicator & ~(kVcdSource | kVcdTarget | kVcdAdler32))
            in.fail(window + ": unknown bits in the window indicator " + std::to_string(indicator) +
                    " (trailing garbage?)");
        if ((indicator & kVcdSource) && (indicator & kVcdTarget))
            in.fail(window + ": both VCD_SOURCE and VCD_TARGET set");
        if (indicator & (kVcdSource | kVcdTarget)) {
            const uint64_t length = in.integer("source segment length");
            const uint64_t position = in.integer("source segment position");
            const uint64_t limit = (indicator & kVcdSource) ? source_bytes : walked.target_bytes;
            const uint64_t segment_end = checked_sum(in, {position, length}, "source segment");
            if (segment_end > limit)
                in.fail(window + ": its " + ((indicator & kVcdSource) ? "source" : "target") +
                        " segment [" + std::to_string(position) + ", " +
                        std::to_string(segment_end) + ") lies outside the " +
                        std::to_string(limit) + " bytes of the " +
                        ((indicator & kVcdSource) ? "expanded source" : "target so far"));
        }
        const uint64_t encoding_length = in.integer("delta encoding length");
        const uint64_t target_length = in.integer("target window length");
        const uint8_t delta_indicator = in.byte("delta indicator");
        if (delta_indicator & ~kVcdSectionsCompressed)
            in.fail(window + ": unknown bits in the delta indicator " +
                    std::to_string(delta_indicator));
        if (delta_indicator && !secondary)
            in.fail(window + ": compressed sections without VCD_SECONDARY in the file header");
        const uint64_t data = in.integer("data section length");
        const uint64_t instructions = in.integer("instruction section length");
        const uint64_t addresses = in.integer("address section length");
        const uint64_t checksum = (indicator & kVcdAdler32) ? kAdler32Bytes : 0;
        // xdelta3 checks the declared length against the shortest encoding
        // of the sizes it just read; so does this walk.
        const uint64_t expected = checked_sum(
            in,
            {1, integer_bytes(target_length), integer_bytes(data), integer_bytes(instructions),
             integer_bytes(addresses), data, instructions, addresses, checksum},
            "delta encoding length");
        if (encoding_length != expected)
            in.fail(window + ": delta encoding length " + std::to_string(encoding_length) +
                    " does not match its sections (" + std::to_string(expected) + " bytes)");
        // Like xdelta3, step over the sections by their own sizes: a window
        // whose sizes are not in their shortest form still passes the check
        // above, and its encoding length would then land elsewhere.
        in.skip(data + instructions + addresses + checksum, "window body");
        walked.target_bytes =
            checked_sum(in, {walked.target_bytes, target_length}, "total target size");
        ++walked.windows;
    }
    return walked;
}

} // namespace squashpub::verifier
