#include "generator/delta/vcdiff_splice.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/process.hpp"
#include "generator/delta/delta_encoder.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>
#include <unordered_map>

namespace squashpub::generator {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kReadChunk = 1u << 20;
// xdelta3's own default window (XD3_DEFAULT_WINSIZE); decoders refuse
// windows above XD3_HARDMAXWINSIZE, so COPY windows stay at this size.
constexpr uint64_t kCopyWindow = 1u << 23;
// xdelta3's default source window (-B), and the smallest one it is given.
constexpr uint64_t kMaxSourceWindow = 1u << 26;
constexpr uint64_t kMinSourceWindow = 1u << 20;

// RFC 3284 §4.1-4.3 and xdelta3's extensions.
constexpr uint8_t kHeaderSecondary = 0x01;
constexpr uint8_t kDjwId = 1;
constexpr uint8_t kWindowSource = 0x01;
constexpr uint8_t kWindowTarget = 0x02;
constexpr uint8_t kWindowAdler32 = 0x04;
// Default code table (§5.6): COPY, size in the instruction section, mode 0
// (VCD_SELF: the address is an offset in the source segment).
constexpr uint8_t kCopySize0Mode0 = 19;
const uint8_t kStreamHeader[] = {0xD6, 0xC3, 0xC4, 0x00, kHeaderSecondary, kDjwId};

void append_integer(std::vector<uint8_t>& out, uint64_t value) {
    uint8_t digits[10];
    int n = 0;
    do {
        digits[n++] = static_cast<uint8_t>(value & 0x7f);
        value >>= 7;
    } while (value);
    while (n-- > 0)
        out.push_back(static_cast<uint8_t>(digits[n] | (n ? 0x80 : 0)));
}

uint32_t adler32(uint32_t adler, const uint8_t* data, size_t size) {
    constexpr uint32_t kBase = 65521;
    constexpr size_t kMaxRun = 5552; // largest n with no 32-bit overflow
    uint32_t a = adler & 0xffff, b = adler >> 16;
    while (size > 0) {
        const size_t run = std::min(size, kMaxRun);
        for (size_t i = 0; i < run; ++i) {
            a += data[i];
            b += a;
        }
        a %= kBase;
        b %= kBase;
        data += run;
        size -= run;
    }
    return (b << 16) | a;
}

class Reader {
  public:
    explicit Reader(const ExpandedView& file) : file_(file) {}
    const uint8_t* at(uint64_t offset, uint64_t size) {
        buffer_.resize(size);
        read_exact_at(file_.fd, buffer_.data(), size, offset, file_.path);
        return buffer_.data();
    }

  private:
    const ExpandedView& file_;
    std::vector<uint8_t> buffer_;
};

void add_match(std::vector<KnownMatch>& matches, uint64_t target, uint64_t source,
               uint64_t length) {
    if (!matches.empty()) {
        KnownMatch& last = matches.back();
        if (last.target + last.length == target && last.source + last.length == source) {
            last.length += length;
            return;
        }
    }
    matches.push_back({target, source, length});
}

// The image parts at the same offsets: the stable layout keeps unchanged
// structures in place. Holes (the zeros of listed blocks) compare too.
void same_offset_matches(const ExpandedView& source, const ExpandedView& target,
                         std::vector<KnownMatch>& matches) {
    Reader in_source(source), in_target(target);
    const uint64_t end = std::min(source.image_size, target.image_size) / kPage * kPage;
    std::vector<uint8_t> a;
    for (uint64_t chunk = 0; chunk < end; chunk += kReadChunk) {
        const uint64_t size = std::min(kReadChunk, end - chunk);
        const uint8_t* s = in_source.at(chunk, size);
        a.assign(s, s + size);
        const uint8_t* t = in_target.at(chunk, size);
        for (uint64_t page = 0; page < size; page += kPage)
            if (std::memcmp(a.data() + page, t + page, kPage) == 0)
                add_match(matches, chunk + page, chunk + page, kPage);
    }
}

// Decompressed data: a target block whose content some source block holds
// (the race guard's padding, unchanged blocks when shared ones are
// expanded) matches there. Found by hash, confirmed byte for byte.
void data_matches(const ExpandedView& source, const ExpandedView& target,
                  std::vector<KnownMatch>& matches) {
    Reader in_source(source), in_target(target);
    auto key_of = [](const uint8_t* data, uint32_t size) {
        return std::hash<std::string_view>{}(
                   std::string_view(reinterpret_cast<const char*>(data), size)) ^
               size;
    };
    std::unordered_multimap<size_t, uint64_t> by_key; // key -> source data offset
    uint64_t offset = source.image_size;
    for (const BlockRecord& record : *source.records) {
        by_key.emplace(
            key_of(in_source.at(offset, record.uncompressed_length), record.uncompressed_length),
            offset);
        offset += record.uncompressed_length;
    }
    offset = target.image_size;
    std::vector<uint8_t> content;
    for (const BlockRecord& record : *target.records) {
        const uint32_t size = record.uncompressed_length;
        const uint8_t* t = in_target.at(offset, size);
        content.assign(t, t + size);
        auto [first, last] = by_key.equal_range(key_of(content.data(), size));
        for (auto it = first; it != last; ++it)
            if (size > 0 &&
                std::memcmp(in_source.at(it->second, size), content.data(), size) == 0) {
                add_match(matches, offset, it->second, size);
                break;
            }
        offset += size;
    }
}

// How many bytes from the start of a and b are equal.
uint64_t common_prefix(const uint8_t* a, const uint8_t* b, uint64_t size) {
    uint64_t n = 0;
    constexpr uint64_t kStep = 256;
    while (n + kStep <= size && std::memcmp(a + n, b + n, kStep) == 0)
        n += kStep;
    while (n < size && a[n] == b[n])
        ++n;
    return n;
}

uint64_t common_suffix(const uint8_t* a, const uint8_t* b, uint64_t size) {
    uint64_t n = 0;
    while (n < size && a[size - 1 - n] == b[size - 1 - n])
        ++n;
    return n;
}

// Extends a seed (a block both images hold, moved by the layout) forwards
// and backwards while both files agree at its shift; never back into the
// previous match.
KnownMatch grow(KnownMatch match, const ExpandedView& source, const ExpandedView& target,
                uint64_t floor) {
    constexpr uint64_t kStep = 64u << 10;
    Reader in_source(source), in_target(target);
    std::vector<uint8_t> a;
    for (;;) {
        const uint64_t t = match.target + match.length, s = match.source + match.length;
        const uint64_t size = std::min({kStep, target.size - t, source.size - s});
        if (size == 0)
            break;
        const uint8_t* from_source = in_source.at(s, size);
        a.assign(from_source, from_source + size);
        const uint64_t same = common_prefix(a.data(), in_target.at(t, size), size);
        match.length += same;
        if (same < size)
            break;
    }
    for (;;) {
        const uint64_t size = std::min({kStep, match.target - floor, match.source});
        if (size == 0)
            break;
        const uint8_t* from_source = in_source.at(match.source - size, size);
        a.assign(from_source, from_source + size);
        const uint64_t same =
            common_suffix(a.data(), in_target.at(match.target - size, size), size);
        match.target -= same;
        match.source -= same;
        match.length += same;
        if (same < size)
            break;
    }
    return match;
}

// Seeds grown into maximal runs, ascending and non-overlapping: a seed that
// falls inside the previous run (the same move) adds nothing.
std::vector<KnownMatch> grow_all(std::vector<KnownMatch> seeds, const ExpandedView& source,
                                 const ExpandedView& target) {
    std::sort(seeds.begin(), seeds.end(), [](const KnownMatch& a, const KnownMatch& b) {
        return a.target < b.target || (a.target == b.target && a.length > b.length);
    });
    std::vector<KnownMatch> runs;
    for (const KnownMatch& seed : seeds) {
        const uint64_t floor = runs.empty() ? 0 : runs.back().target + runs.back().length;
        if (seed.target + seed.length <= floor)
            continue;
        // Only its position is trusted: the bytes are compared from there
        // (a hash collision between blocks must not become a COPY).
        KnownMatch start{seed.target, seed.source, 0};
        if (start.target < floor) // overlaps the previous run: start after it
            start = {floor, seed.source + (floor - seed.target), 0};
        const KnownMatch run = grow(start, source, target, floor);
        if (run.length > 0)
            runs.push_back(run);
    }
    return runs;
}

// Target ranges xdelta3 encodes, each with the shift (source - target) of
// the match before it: where its counterpart most likely lies.
struct Range {
    uint64_t begin, end;
    int64_t shift;
};

struct Plan {
    std::vector<KnownMatch> copies;
    std::vector<Range> ranges;
    uint64_t copied = 0;
};

Plan plan_with(const std::vector<KnownMatch>& matches, uint64_t target_size, uint64_t min_copy) {
    Plan plan;
    uint64_t position = 0;
    int64_t shift = 0;
    for (const KnownMatch& match : matches) {
        if (match.length < min_copy)
            continue;
        if (match.target > position)
            plan.ranges.push_back({position, match.target, shift});
        plan.copies.push_back(match);
        plan.copied += match.length;
        position = match.target + match.length;
        shift = static_cast<int64_t>(match.source) - static_cast<int64_t>(match.target);
    }
    if (position < target_size)
        plan.ranges.push_back({position, target_size, shift});
    return plan;
}

void copy_to(const ExpandedView& from, uint64_t offset, uint64_t size, TempFile& to) {
    to.recreate();
    copy_span(from.fd, from.path, offset, to.fd(), to.path(), 0, size);
}

uint64_t source_window_for(uint64_t slice) {
    uint64_t window = kMinSourceWindow;
    while (window < slice && window < kMaxSourceWindow)
        window <<= 1;
    return window;
}

// Reads xdelta3's stream of one range and appends its windows to out, their
// source segments moved from the slice to the whole expanded source.
class PieceParser {
  public:
    PieceParser(const std::vector<uint8_t>& bytes, const std::string& path)
        : bytes_(bytes), path_(path) {}

    void append_windows(uint64_t slice_offset, std::vector<uint8_t>& out) {
        header();
        while (position_ < bytes_.size()) {
            const uint8_t indicator = byte();
            if (indicator & kWindowTarget)
                fail("a VCD_TARGET window");
            out.push_back(indicator);
            if (indicator & kWindowSource) {
                append_integer(out, integer());
                append_integer(out, integer() + slice_offset);
            }
            const uint64_t length = integer();
            if (length > bytes_.size() - position_)
                fail("a truncated window");
            append_integer(out, length);
            out.insert(out.end(), bytes_.begin() + static_cast<ptrdiff_t>(position_),
                       bytes_.begin() + static_cast<ptrdiff_t>(position_ + length));
            position_ += length;
        }
    }

  private:
    // xdelta3 -S djw -A writes D6 C3 C4 00 with VCD_SECONDARY and djw, or
    // no secondary at all; either joins the stream's djw header.
    void header() {
        for (int i = 0; i < 4; ++i)
            if (byte() != kStreamHeader[i])
                fail("an unexpected file header");
        const uint8_t indicator = byte();
        if (indicator & ~kHeaderSecondary)
            fail("a code table or application header");
        if ((indicator & kHeaderSecondary) && byte() != kDjwId)
            fail("a secondary compressor other than djw");
    }

    uint8_t byte() {
        if (position_ >= bytes_.size())
            fail("a truncated stream");
        return bytes_[position_++];
    }

    uint64_t integer() {
        uint64_t value = 0;
        for (int i = 0; i < 10; ++i) {
            const uint8_t digit = byte();
            value = (value << 7) | (digit & 0x7f);
            if (!(digit & 0x80))
                return value;
        }
        fail("an overlong integer");
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw Error(path_, "xdelta3 output holds " + what + "; cannot splice it");
    }

    const std::vector<uint8_t>& bytes_;
    const std::string& path_;
    size_t position_ = 0;
};

class Splicer {
  public:
    Splicer(const ExpandedView& source, const ExpandedView& target, int out_fd,
            const std::string& out_path, const std::string& work_dir, const SpliceOptions& options)
        : source_(source), target_(target), out_fd_(out_fd), out_path_(out_path), options_(options),
          slice_(work_dir + "/splice.source"), range_(work_dir + "/splice.target"),
          piece_path_(work_dir + "/splice.vcdiff") {}

    SpliceStats write(const Plan& plan) {
        flush(std::vector<uint8_t>(std::begin(kStreamHeader), std::end(kStreamHeader)));
        size_t next_range = 0;
        for (const KnownMatch& copy : plan.copies) {
            while (next_range < plan.ranges.size() && plan.ranges[next_range].begin < copy.target)
                encode_range(plan.ranges[next_range++]);
            copy_windows(copy);
        }
        while (next_range < plan.ranges.size())
            encode_range(plan.ranges[next_range++]);
        return stats_;
    }

  private:
    void flush(const std::vector<uint8_t>& bytes) {
        write_all(out_fd_, bytes.data(), bytes.size(), out_path_);
    }

    void copy_windows(const KnownMatch& copy) {
        Reader in_target(target_);
        for (uint64_t done = 0; done < copy.length; done += kCopyWindow) {
            const uint64_t size = std::min(kCopyWindow, copy.length - done);
            uint32_t checksum = 1;
            for (uint64_t part = 0; part < size; part += kReadChunk) {
                const uint64_t chunk = std::min(kReadChunk, size - part);
                checksum = adler32(checksum, in_target.at(copy.target + done + part, chunk), chunk);
            }
            std::vector<uint8_t> instructions = {kCopySize0Mode0};
            append_integer(instructions, size);
            const std::vector<uint8_t> addresses = {0};
            std::vector<uint8_t> body;
            append_integer(body, size); // target window length
            body.push_back(0);          // delta indicator: nothing compressed
            append_integer(body, 0);    // data section
            append_integer(body, instructions.size());
            append_integer(body, addresses.size());
            for (int shift = 24; shift >= 0; shift -= 8)
                body.push_back(static_cast<uint8_t>(checksum >> shift));
            body.insert(body.end(), instructions.begin(), instructions.end());
            body.insert(body.end(), addresses.begin(), addresses.end());
            std::vector<uint8_t> window = {kWindowSource | kWindowAdler32};
            append_integer(window, size);
            append_integer(window, copy.source + done);
            append_integer(window, body.size());
            window.insert(window.end(), body.begin(), body.end());
            flush(window);
            ++stats_.copy_windows;
            stats_.copied_bytes += size;
        }
    }

    void encode_range(const Range& range) {
        const uint64_t length = range.end - range.begin;
        const int64_t centre = static_cast<int64_t>(range.begin) + range.shift;
        auto clamp = [&](int64_t at) {
            return static_cast<uint64_t>(std::clamp<int64_t>(at, 0, int64_t(source_.size)));
        };
        const auto margin = static_cast<int64_t>(
            range.begin >= target_.image_size ? options_.data_margin : options_.margin);
        uint64_t begin = clamp(centre - margin);
        uint64_t end = clamp(centre + static_cast<int64_t>(length) + margin);
        if (end - begin < kMinSourceWindow) { // counterpart past the end: its tail
            end = source_.size;
            begin = end > kMinSourceWindow ? end - kMinSourceWindow : 0;
        }
        copy_to(source_, begin, end - begin, slice_);
        copy_to(target_, range.begin, length, range_);
        TempFile piece(piece_path_);
        run_xdelta3_encoder(slice_.path(), range_.path(), piece.fd(), piece_path_,
                            source_window_for(end - begin));
        std::vector<uint8_t> bytes(file_size_of(piece.fd(), piece_path_));
        read_exact_at(piece.fd(), bytes.data(), bytes.size(), 0, piece_path_);
        std::vector<uint8_t> windows;
        PieceParser(bytes, piece_path_).append_windows(begin, windows);
        flush(windows);
        ++stats_.xdelta3_runs;
        stats_.encoded_bytes += length;
    }

    const ExpandedView& source_;
    const ExpandedView& target_;
    int out_fd_;
    const std::string& out_path_;
    const SpliceOptions& options_;
    TempFile slice_, range_;
    std::string piece_path_;
    SpliceStats stats_;
};

} // namespace

std::vector<KnownMatch> find_known_matches(const ExpandedView& source, const ExpandedView& target,
                                           const std::vector<KnownMatch>& seeds) {
    std::vector<KnownMatch> matches = seeds;
    same_offset_matches(source, target, matches);
    data_matches(source, target, matches);
    return grow_all(std::move(matches), source, target);
}

std::optional<SpliceStats> encode_spliced(const ExpandedView& source, const ExpandedView& target,
                                          int out_fd, const std::string& out_path,
                                          const std::string& work_dir,
                                          const std::vector<KnownMatch>& seeds,
                                          const SpliceOptions& options) {
    const std::vector<KnownMatch> matches = find_known_matches(source, target, seeds);
    Plan plan = plan_with(matches, target.size, options.min_copy);
    for (uint64_t min_copy = options.min_copy * 2;
         plan.ranges.size() > options.max_ranges && plan.copied > 0; min_copy *= 2)
        plan = plan_with(matches, target.size, min_copy);
    if (plan.copied < options.min_skipped || plan.copied == 0)
        return std::nullopt;
    return Splicer(source, target, out_fd, out_path, work_dir, options).write(plan);
}

void run_xdelta3_encoder(const std::string& source, const std::string& target, int out_fd,
                         const std::string& output_path, uint64_t source_window) {
    std::vector<std::string> argv = {"xdelta3"};
    argv.insert(argv.end(), std::begin(kXdeltaEncodeFlags), std::end(kXdeltaEncodeFlags));
    if (source_window)
        argv.insert(argv.end(), {"-B", std::to_string(source_window)});
    argv.insert(argv.end(), {"-s", source, target});
    SpawnOptions spawn;
    spawn.stdout_fd = out_fd;
    ProcessStatus status = run_process(argv, spawn);
    if (!status.succeeded())
        throw Error(output_path, "xdelta3 " + status.describe());
}

} // namespace squashpub::generator
