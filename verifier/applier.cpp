#include "verifier/applier.hpp"

#include "core/byte_order.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/parallel.hpp"
#include "core/process.hpp"
#include "verifier/bounded_child.hpp"
#include "verifier/recompression_memo.hpp"
#include "verifier/sqdelta_reader.hpp"
#include "verifier/vcdiff_windows.hpp"

#include <memory>
#include <unistd.h>

namespace squashpub::verifier {
namespace {

constexpr size_t kBatchBlocks = 256;

std::vector<std::unique_ptr<BlockCodec>> codecs_for(const CompressionSpec& spec, unsigned jobs) {
    std::vector<std::unique_ptr<BlockCodec>> codecs;
    for (unsigned w = 0; w < effective_jobs(jobs); ++w)
        codecs.push_back(std::make_unique<BlockCodec>(spec));
    return codecs;
}

// Step 6 of squashmerge: the source image with listed ranges zeroed, the
// listed blocks decompressed after it, then the delta's list and header.
void rebuild_expanded_source(int source_fd, const std::string& source_path, uint64_t source_size,
                             const DeltaFile& delta, const std::string& delta_path,
                             const TempFile& out, unsigned jobs) {
    uint64_t position = 0;
    for (const DeltaRecord& block : delta.source_blocks) {
        copy_range(source_fd, source_path, out.fd(), out.path(), position, block.offset - position);
        position = uint64_t{block.offset} + block.length;
    }
    copy_range(source_fd, source_path, out.fd(), out.path(), position, source_size - position);

    auto codecs = codecs_for(delta.header.compression, jobs);
    uint64_t data_position = source_size;
    const auto& blocks = delta.source_blocks;
    for (size_t first = 0; first < blocks.size(); first += kBatchBlocks) {
        const size_t count = std::min(kBatchBlocks, blocks.size() - first);
        std::vector<std::vector<uint8_t>> plain(count);
        parallel_for(count, jobs, [&](size_t k, unsigned worker) {
            const DeltaRecord& block = blocks[first + k];
            std::vector<uint8_t> stored(block.length);
            read_exact_at(source_fd, stored.data(), stored.size(), block.offset, source_path);
            plain[k].resize(block.uncompressed_length);
            auto size = codecs[worker]->decompress(stored.data(), stored.size(), plain[k].data(),
                                                   plain[k].size());
            if (!size || *size != block.uncompressed_length)
                throw Error(delta_path, "source block " + std::to_string(first + k) +
                                            " at offset " + std::to_string(block.offset) + " of " +
                                            source_path + " does not decompress to exactly " +
                                            std::to_string(block.uncompressed_length) +
                                            " bytes (wrong source image?)");
        });
        for (const auto& data : plain) {
            write_all_at(out.fd(), data.data(), data.size(), data_position, out.path());
            data_position += data.size();
        }
    }
    // The list, then the header: the delta's first bytes in swapped order.
    const auto& prefix = delta.raw_prefix;
    write_all_at(out.fd(), prefix.data() + kHeaderBytes, prefix.size() - kHeaderBytes,
                 data_position, out.path());
    write_all_at(out.fd(), prefix.data(), kHeaderBytes,
                 data_position + prefix.size() - kHeaderBytes, out.path());
}

std::string byte_count(uint64_t bytes) {
    return std::to_string(bytes) + " bytes";
}

// Spec §2.5: the image, its blocks' decompressed content, list and header.
uint64_t expanded_source_size(uint64_t source_size, const DeltaFile& delta) {
    uint64_t content = 0;
    for (const DeltaRecord& block : delta.source_blocks)
        content += block.uncompressed_length; // each at most 16 MiB: no overflow
    return source_size + content + delta.raw_prefix.size();
}

// The expanded target the VCDIFF windows declare, walked without decoding
// them. A delta bomb (a few KiB of RUN instructions declaring terabytes) is
// refused here, before xdelta3 runs or anything is written.
uint64_t declared_expanded_target(int delta_fd, const std::string& delta_path,
                                  const DeltaFile& delta, uint64_t expanded_source,
                                  uint64_t max_output) {
    const VcdiffWindows walked =
        walk_vcdiff_windows(delta_fd, delta.vcdiff_offset, delta.size, expanded_source, delta_path);
    if (walked.target_bytes > max_output)
        throw Error(delta_path, "VCDIFF stream expands past " + byte_count(max_output) +
                                    " (the most this delta can legitimately produce): its " +
                                    std::to_string(walked.windows) + " windows declare " +
                                    byte_count(walked.target_bytes) +
                                    "; refused before running xdelta3 (a delta bomb?)");
    return walked.target_bytes;
}

// xdelta3 -d with its output read through a pipe and counted: a stream that
// writes more than its windows declared (xdelta3 should not, a hostile or
// broken one might) is stopped there, its process killed.
void run_xdelta3_decode(const std::string& delta_path, uint64_t vcdiff_offset,
                        const std::string& expanded_source, const AtomicOutput& out,
                        uint64_t declared_bytes) {
    UniqueFd input = open_for_reading(delta_path);
    if (::lseek(input.get(), static_cast<off_t>(vcdiff_offset), SEEK_SET) < 0)
        throw_errno(delta_path, "cannot seek");
    BoundedChild xdelta3({"xdelta3", "-d", "-c", "-s", expanded_source}, input.get());
    const BoundedChild::Result result =
        xdelta3.copy_output(out.fd(), out.temp_path(), declared_bytes);
    if (result.over_limit)
        throw Error(delta_path, "VCDIFF stream expands past the " + byte_count(declared_bytes) +
                                    " its windows declare: xdelta3 stopped and its output "
                                    "removed");
    if (!result.status.succeeded())
        throw Error(delta_path,
                    "VCDIFF stream does not decode: xdelta3 " + result.status.describe());
    if (result.bytes != declared_bytes)
        throw Error(delta_path, "VCDIFF stream decodes to " + byte_count(result.bytes) +
                                    ", not the " + byte_count(declared_bytes) +
                                    " its windows declare");
}

// The client's compression call, or this applier's own earlier result for
// the same content. Returns the size, nullopt if it does not fit packed.
std::optional<size_t> compress_block(BlockCodec& codec, RecompressionMemo* memo,
                                     const DeltaHeader& trailer, const std::vector<uint8_t>& plain,
                                     std::vector<uint8_t>& packed) {
    if (!memo)
        return codec.compress(plain.data(), plain.size(), packed.data(), packed.size());
    const std::string key =
        RecompressionMemo::key(trailer.compression_value, plain.data(), plain.size());
    if (std::optional<std::vector<uint8_t>> known = memo->find(key)) {
        if (known->size() > packed.size())
            return std::nullopt;
        std::copy(known->begin(), known->end(), packed.begin());
        return known->size();
    }
    std::optional<size_t> n =
        codec.compress(plain.data(), plain.size(), packed.data(), packed.size());
    if (n)
        memo->store(key, std::vector<uint8_t>(packed.begin(), packed.begin() + *n));
    return n;
}

// Steps 8-10: read the trailer and target list from the expanded target,
// recompress every listed block into place and cut the file to size.
ApplyResult recompress_target(const AtomicOutput& out, const DeltaFile& delta,
                              const std::string& delta_path, unsigned jobs,
                              RecompressionMemo* memo) {
    const std::string subject = delta_path + " (expanded target)";
    const uint64_t size = file_size_of(out.fd(), out.temp_path());
    if (size < kHeaderBytes)
        throw Error(subject, "too short for its trailer");
    uint8_t trailer_raw[kHeaderBytes];
    read_exact_at(out.fd(), trailer_raw, kHeaderBytes, size - kHeaderBytes, out.temp_path());
    const DeltaHeader trailer = parse_header(trailer_raw, subject);
    if (trailer.compression_value != delta.header.compression_value)
        throw Error(subject, "trailer compression differs from the delta header's");
    const uint64_t list_bytes = kRecordBytes * trailer.block_count;
    if (kHeaderBytes + list_bytes > size)
        throw Error(subject, "target list does not fit in the expanded target");
    std::vector<uint8_t> list_raw(list_bytes);
    const uint64_t list_position = size - kHeaderBytes - list_bytes;
    read_exact_at(out.fd(), list_raw.data(), list_raw.size(), list_position, out.temp_path());
    uint64_t total_plain = 0;
    for (uint32_t i = 0; i < trailer.block_count; ++i)
        total_plain += load_be32(list_raw.data() + kRecordBytes * i + 8);
    if (total_plain > list_position)
        throw Error(subject, "target blocks' data does not fit in the expanded target");
    const uint64_t target_size = list_position - total_plain;
    const std::vector<DeltaRecord> blocks =
        parse_records(list_raw.data(), trailer.block_count, target_size, subject, "target");

    auto codecs = codecs_for(trailer.compression, jobs);
    uint64_t data_position = target_size;
    for (size_t first = 0; first < blocks.size(); first += kBatchBlocks) {
        const size_t count = std::min(kBatchBlocks, blocks.size() - first);
        std::vector<uint64_t> positions(count);
        for (size_t k = 0; k < count; ++k) {
            positions[k] = data_position;
            data_position += blocks[first + k].uncompressed_length;
        }
        parallel_for(count, jobs, [&](size_t k, unsigned worker) {
            const DeltaRecord& block = blocks[first + k];
            std::vector<uint8_t> plain(block.uncompressed_length);
            read_exact_at(out.fd(), plain.data(), plain.size(), positions[k], out.temp_path());
            std::vector<uint8_t> packed(block.length);
            const std::optional<size_t> n =
                compress_block(*codecs[worker], memo, trailer, plain, packed);
            if (!n || *n != block.length)
                throw Error(subject, "target block " + std::to_string(first + k) + " at offset " +
                                         std::to_string(block.offset) + " recompresses to " +
                                         (n ? std::to_string(*n) + " bytes" : "more") +
                                         " instead of " + std::to_string(block.length) + " with " +
                                         trailer.compression.describe());
            write_all_at(out.fd(), packed.data(), packed.size(), block.offset, out.temp_path());
        });
    }
    if (::ftruncate(out.fd(), static_cast<off_t>(target_size)) != 0)
        throw_errno(out.temp_path(), "cannot truncate");
    return {delta.header.block_count, trailer.block_count, target_size};
}

} // namespace

ApplyResult apply_delta(const std::string& source_path, const std::string& delta_path,
                        const std::string& output_path, const ApplyOptions& options) {
    UniqueFd source = open_for_reading(source_path);
    const uint64_t source_size = file_size_of(source.get(), source_path);
    UniqueFd delta_fd = open_for_reading(delta_path);
    const DeltaFile delta = read_delta_file(delta_fd.get(), delta_path, source_size);
    const uint64_t expanded_source = expanded_source_size(source_size, delta);
    if (expanded_source > options.max_expanded_source)
        throw Error(delta_path, "its source blocks expand " + source_path + " to " +
                                    byte_count(expanded_source) + ", past the " +
                                    byte_count(options.max_expanded_source) +
                                    " allowed; refused before decompressing anything");
    Stopwatch clock;
    const uint64_t expanded_target = declared_expanded_target(delta_fd.get(), delta_path, delta,
                                                              expanded_source, options.max_output);
    log_verbose(delta_path + ": VCDIFF windows declare an expanded target of " +
                byte_count(expanded_target) + " (expanded source " + byte_count(expanded_source) +
                "), walked in " + clock.lap());

    TempDir work(options.temp_dir, "squashpub-apply");
    TempFile expanded_source_file(work.file("source.expanded"));
    rebuild_expanded_source(source.get(), source_path, source_size, delta, delta_path,
                            expanded_source_file, options.jobs);

    log_verbose(delta_path + ": expanded source rebuilt in " + clock.lap());
    AtomicOutput output(output_path);
    run_xdelta3_decode(delta_path, delta.vcdiff_offset, expanded_source_file.path(), output,
                       expanded_target);
    log_verbose(delta_path + ": xdelta3 -d took " + clock.lap());
    ApplyResult result = recompress_target(output, delta, delta_path, options.jobs, options.memo);
    log_verbose(delta_path + ": target recompressed in " + clock.lap());
    output.commit(options.output);
    return result;
}

} // namespace squashpub::verifier
