#include "generator/delta_encoder.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/parallel.hpp"
#include "core/process.hpp"
#include "generator/expanded_writer.hpp"
#include "generator/image_scan.hpp"

#include <algorithm>
#include <memory>
#include <string_view>

namespace squashpub::generator {
namespace {

struct OpenImage {
    std::string path;
    std::shared_ptr<UniqueFd> file;
    ImageScan scan;
    int fd() const { return file->get(); }
};

OpenImage open_image(const std::string& path) {
    OpenImage image{path, std::make_shared<UniqueFd>(open_for_reading(path)), {}};
    image.scan = scan_image(image.fd(), path);
    return image;
}

void check_compatible(const OpenImage& source, const OpenImage& target) {
    const SquashfsSuper& s = source.scan.header.super;
    const SquashfsSuper& t = target.scan.header.super;
    if (s.block_size != t.block_size)
        throw Error(target.path, "block size " + std::to_string(t.block_size) + " differs from " +
                                     source.path + "'s " + std::to_string(s.block_size));
    if (source.scan.header.compression.family != target.scan.header.compression.family)
        throw Error(target.path, "compressor differs from " + source.path + "'s");
}

std::vector<uint8_t> read_region(const OpenImage& image, const CompressedRegion& region) {
    std::vector<uint8_t> bytes(region.length);
    read_exact_at(image.fd(), bytes.data(), bytes.size(), region.offset, image.path);
    return bytes;
}

// mksquashfs >= 4.3 runs lzo1x_optimize after compressing, older versions
// did not, and the image does not say which. The first block on which the
// two variants differ decides (spec §3.5); blocks that still fail are
// caught later, one by one, by the exact-recompression check.
CompressionSpec confirm_client_compression(const OpenImage& target) {
    CompressionSpec spec = target.scan.header.compression;
    if (spec.family != CodecFamily::lzo)
        return spec;
    BlockCodec plain_codec(spec);
    std::vector<uint8_t> data(target.scan.max_uncompressed());
    for (const CompressedRegion& region : target.scan.regions) {
        std::vector<uint8_t> stored = read_region(target, region);
        auto size = plain_codec.decompress(stored.data(), stored.size(), data.data(), data.size());
        if (!size)
            continue;
        CompressionSpec optimized = spec, unoptimized = spec;
        optimized.lzo_optimized = true;
        unoptimized.lzo_optimized = false;
        const bool with =
            BlockCodec(optimized).reproduces(data.data(), *size, stored.data(), stored.size());
        const bool without =
            BlockCodec(unoptimized).reproduces(data.data(), *size, stored.data(), stored.size());
        if (with != without) {
            spec.lzo_optimized = with;
            return spec;
        }
    }
    return spec;
}

// Blocks with identical compressed bytes in both images need no expansion:
// xdelta3 copies them verbatim (spec §3.4). Keyed by length and a hash of
// the bytes; a collision only costs delta size, never correctness.
uint64_t remove_shared_blocks(OpenImage& source, OpenImage& target) {
    using Key = std::pair<uint32_t, size_t>;
    auto keys_of = [](const OpenImage& image) {
        std::vector<Key> keys;
        for (const CompressedRegion& region : image.scan.regions) {
            std::vector<uint8_t> bytes = read_region(image, region);
            keys.push_back(
                {region.length, std::hash<std::string_view>{}(std::string_view(
                                    reinterpret_cast<const char*>(bytes.data()), bytes.size()))});
        }
        return keys;
    };
    const std::vector<Key> source_keys = keys_of(source), target_keys = keys_of(target);
    std::vector<Key> sorted_target = target_keys;
    std::sort(sorted_target.begin(), sorted_target.end());
    std::vector<Key> shared;
    for (const Key& key : source_keys)
        if (std::binary_search(sorted_target.begin(), sorted_target.end(), key))
            shared.push_back(key);
    std::sort(shared.begin(), shared.end());
    auto drop_shared = [&](OpenImage& image, const std::vector<Key>& keys) {
        std::vector<CompressedRegion> kept;
        for (size_t i = 0; i < keys.size(); ++i)
            if (!std::binary_search(shared.begin(), shared.end(), keys[i]))
                kept.push_back(image.scan.regions[i]);
        const uint64_t dropped = image.scan.regions.size() - kept.size();
        image.scan.regions = std::move(kept);
        return dropped;
    };
    drop_shared(source, source_keys);
    return drop_shared(target, target_keys);
}

ExpandedFile expand(const OpenImage& image, const CompressionSpec& spec, bool exact,
                    RecompressionCache* cache, const TempFile& out, unsigned jobs,
                    const std::string& label) {
    ExpansionInput input;
    input.image_fd = image.fd();
    input.image_path = image.path;
    input.image_size = image.scan.header.file_size;
    input.max_uncompressed = image.scan.max_uncompressed();
    input.candidates = image.scan.regions;
    input.compression = spec;
    input.require_exact_recompression = exact;
    input.cache = cache;
    input.jobs = jobs;
    Progress progress(label, input.candidates.size(), "blocks");
    ExpandedFile expanded = write_expanded_file(input, out.fd(), out.path(), &progress);
    progress.finish();
    return expanded;
}

void run_xdelta3(const std::string& source, const std::string& target, int out_fd,
                 const std::string& output_path) {
    std::vector<std::string> argv = {"xdelta3"};
    argv.insert(argv.end(), std::begin(kXdeltaEncodeFlags), std::end(kXdeltaEncodeFlags));
    argv.insert(argv.end(), {"-s", source, target});
    SpawnOptions spawn;
    spawn.stdout_fd = out_fd;
    ProcessStatus status = run_process(argv, spawn);
    if (!status.succeeded())
        throw Error(output_path, "xdelta3 " + status.describe());
}

// One complete delta for a choice of expanded blocks, in its own
// temporary output beside the final name (committed by the caller).
struct Variant {
    DeltaStats stats;
    std::unique_ptr<AtomicOutput> output;
};

Variant encode_variant(OpenImage source, OpenImage target, const CompressionSpec& spec,
                       bool expand_shared, RecompressionCache* cache,
                       const std::string& output_path, const DeltaOptions& options) {
    Variant variant;
    DeltaStats& stats = variant.stats;
    stats.compression = spec.encode();
    stats.expanded_shared = expand_shared;
    stats.source_candidates = source.scan.regions.size();
    stats.target_candidates = target.scan.regions.size();
    if (!expand_shared)
        stats.shared_blocks = remove_shared_blocks(source, target);

    Stopwatch clock;
    TempDir work(options.temp_dir, "squashpub-delta");
    TempFile expanded_source(work.file("source.expanded"));
    TempFile expanded_target(work.file("target.expanded"));
    const ExpandedFile source_file = expand(source, spec, false, nullptr, expanded_source,
                                            options.jobs, "expanding " + source.path);
    const ExpandedFile target_file = expand(target, spec, true, cache, expanded_target,
                                            options.jobs, "expanding " + target.path);
    log_verbose(output_path + (expand_shared ? " (shared expanded)" : " (shared kept)") +
                ": expanded in " + clock.lap());
    stats.source_listed = source_file.records.size();
    stats.target_listed = target_file.records.size();
    stats.target_unreproducible = target_file.not_reproducible;
    stats.expanded_source_bytes = source_file.size;
    stats.expanded_target_bytes = target_file.size;

    variant.output = std::make_unique<AtomicOutput>(output_path);
    const AtomicOutput& output = *variant.output;
    std::vector<uint8_t> head =
        encode_header(stats.compression, static_cast<uint32_t>(source_file.records.size()));
    std::vector<uint8_t> list = encode_records(source_file.records);
    head.insert(head.end(), list.begin(), list.end());
    write_all(output.fd(), head.data(), head.size(), output.temp_path());
    run_xdelta3(expanded_source.path(), expanded_target.path(), output.fd(), output_path);
    stats.delta_bytes = file_size_of(output.fd(), output.temp_path());
    log_verbose(output_path + ": xdelta3 took " + clock.lap() + ", " +
                std::to_string(stats.delta_bytes) + " bytes");
    if (stats.delta_bytes < head.size() + 4)
        throw Error(output_path, "xdelta3 produced no output");
    return variant;
}

bool small_enough_for_both(const OpenImage& source, const OpenImage& target) {
    return source.scan.header.file_size <= kAutoSharedBlocksLimit &&
           target.scan.header.file_size <= kAutoSharedBlocksLimit;
}

} // namespace

void precheck_recompression(const std::string& target_path, RecompressionCache& cache,
                            unsigned jobs) {
    OpenImage target = open_image(target_path);
    const CompressionSpec spec = confirm_client_compression(target);
    std::vector<std::unique_ptr<BlockCodec>> codecs;
    for (unsigned w = 0; w < effective_jobs(jobs); ++w)
        codecs.push_back(std::make_unique<BlockCodec>(spec));
    const auto& regions = target.scan.regions;
    parallel_for(regions.size(), jobs, [&](size_t i, unsigned worker) {
        const CompressedRegion& region = regions[i];
        std::vector<uint8_t> stored = read_region(target, region);
        std::vector<uint8_t> plain(target.scan.max_uncompressed());
        auto size =
            codecs[worker]->decompress(stored.data(), stored.size(), plain.data(), plain.size());
        if (!size)
            throw Error(target_path, "corrupt image: compressed block at offset " +
                                         std::to_string(region.offset) + " does not decompress");
        cache.store(region.offset, region.length,
                    codecs[worker]->reproduces(plain.data(), *size, stored.data(), stored.size()));
    });
}

DeltaStats encode_delta(const std::string& source_path, const std::string& target_path,
                        const std::string& output_path, const DeltaOptions& options) {
    OpenImage source = open_image(source_path);
    OpenImage target = open_image(target_path);
    check_compatible(source, target);
    const CompressionSpec spec = confirm_client_compression(target);

    std::vector<bool> choices;
    if (options.shared_blocks == SharedBlocks::automatic)
        choices = small_enough_for_both(source, target) ? std::vector<bool>{false, true}
                                                        : std::vector<bool>{false};
    else
        choices = {options.shared_blocks == SharedBlocks::expand};

    RecompressionCache local_cache;
    RecompressionCache* cache = options.target_checks ? options.target_checks : &local_cache;
    Variant best;
    for (bool expand_shared : choices) {
        Variant variant =
            encode_variant(source, target, spec, expand_shared, cache, output_path, options);
        // Strictly smaller wins, so ties keep the first (reference) choice.
        if (!best.output || variant.stats.delta_bytes < best.stats.delta_bytes)
            best = std::move(variant);
    }
    if (best.stats.target_unreproducible)
        log_warning(target_path + ": " + std::to_string(best.stats.target_unreproducible) +
                    " blocks do not recompress identically with " + spec.describe() +
                    "; they stay compressed in the delta");
    best.output->commit();
    return best.stats;
}

} // namespace squashpub::generator
