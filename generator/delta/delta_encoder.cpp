#include "generator/delta/delta_encoder.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/parallel.hpp"
#include "core/process.hpp"
#include "generator/delta/expanded_writer.hpp"
#include "generator/delta/image_scan.hpp"
#include "generator/delta/squashmerge_race.hpp"
#include "generator/delta/vcdiff_splice.hpp"

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

// A block whose compressed bytes both images hold: its place in each.
struct SharedPair {
    CompressedRegion source, target;
};

// Blocks with identical compressed bytes in both images need no expansion:
// xdelta3 copies them verbatim (spec §3.4). Keyed by length and a hash of
// the bytes; a collision only costs delta size, never correctness. Returns
// one pair per shared key, last in the image first: the padding supply of
// the squashmerge race guard. Padding from the end puts its expanded data
// after most of the natural blocks' in both files, where it disturbs
// xdelta3 least (1-day GURU pair, keep variant: 7,704 bytes against 8,889
// when padding largest first; mksquashfs level 8 with a 256 KiB margin:
// 147,415 against 153,926).
std::vector<SharedPair> remove_shared_blocks(OpenImage& source, OpenImage& target,
                                             uint64_t& dropped_from_target,
                                             std::vector<KnownMatch>& same_bytes) {
    using Key = std::pair<uint32_t, size_t>;
    auto keys_of = [](const OpenImage& image) {
        std::vector<Key> keys;
        // One buffer for every region: a fresh one each time would be
        // zero-filled first, as many bytes again as the image.
        uint32_t longest = 0;
        for (const CompressedRegion& region : image.scan.regions)
            longest = std::max(longest, region.length);
        std::unique_ptr<char[]> bytes(new char[longest]);
        for (const CompressedRegion& region : image.scan.regions) {
            read_exact_at(image.fd(), bytes.get(), region.length, region.offset, image.path);
            keys.push_back({region.length, std::hash<std::string_view>{}(
                                               std::string_view(bytes.get(), region.length))});
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
    shared.erase(std::unique(shared.begin(), shared.end()), shared.end());
    std::vector<SharedPair> pairs(shared.size());
    std::vector<int> has_source(shared.size()), has_target(shared.size());
    auto drop_shared = [&](OpenImage& image, const std::vector<Key>& keys, bool is_source) {
        std::vector<CompressedRegion> kept;
        for (size_t i = 0; i < keys.size(); ++i) {
            auto it = std::lower_bound(shared.begin(), shared.end(), keys[i]);
            if (it == shared.end() || *it != keys[i]) {
                kept.push_back(image.scan.regions[i]);
                continue;
            }
            const size_t k = it - shared.begin();
            if (++(is_source ? has_source : has_target)[k] == 1)
                (is_source ? pairs[k].source : pairs[k].target) = image.scan.regions[i];
        }
        const uint64_t dropped = image.scan.regions.size() - kept.size();
        image.scan.regions = std::move(kept);
        return dropped;
    };
    drop_shared(source, source_keys, true);
    const std::vector<CompressedRegion> target_regions = target.scan.regions;
    dropped_from_target = drop_shared(target, target_keys, false);
    // Where each target block's bytes lie in the source: seeds for the
    // splice (vcdiff_splice.hpp).
    for (size_t i = 0; i < target_keys.size(); ++i) {
        auto it = std::lower_bound(shared.begin(), shared.end(), target_keys[i]);
        if (it != shared.end() && *it == target_keys[i])
            same_bytes.push_back({target_regions[i].offset,
                                  pairs[static_cast<size_t>(it - shared.begin())].source.offset,
                                  target_regions[i].length});
    }
    // Padding must expand every copy of its bytes on both sides, or the
    // copies left compressed lose their counterpart: keep single copies.
    std::vector<SharedPair> single;
    for (size_t k = 0; k < pairs.size(); ++k)
        if (has_source[k] == 1 && has_target[k] == 1)
            single.push_back(pairs[k]);
    pairs = std::move(single);
    std::stable_sort(pairs.begin(), pairs.end(), [](const SharedPair& a, const SharedPair& b) {
        return a.source.offset > b.source.offset;
    });
    return pairs;
}

ExpandedFile expand(const OpenImage& image, std::vector<CompressedRegion> candidates,
                    const CompressionSpec& spec, bool exact, RecompressionCache* cache,
                    TempFile& out, unsigned jobs, const std::string& label) {
    ExpansionInput input;
    input.image_fd = image.fd();
    input.image_path = image.path;
    input.image_size = image.scan.header.file_size;
    input.max_uncompressed = image.scan.max_uncompressed();
    input.candidates = std::move(candidates);
    input.compression = spec;
    input.require_exact_recompression = exact;
    input.cache = cache;
    input.jobs = jobs;
    // Written afresh each time: the zeros of §2.5 are holes.
    out.recreate();
    Progress progress(label, input.candidates.size(), "blocks");
    ExpandedFile expanded = write_expanded_file(input, out.fd(), out.path(), &progress);
    progress.finish();
    return expanded;
}

// One complete delta for a choice of expanded blocks, in its own
// temporary output beside the final name (committed by the caller).
struct Variant {
    DeltaStats stats;
    std::unique_ptr<AtomicOutput> output;
};

// The padding supply of the race guard: shared blocks, in the order
// remove_shared_blocks gives them, that the target side can list (they
// recompress exactly), with their sizes.
PaddingSource shared_padding(const OpenImage& source, const std::vector<SharedPair>& shared,
                             const CompressionSpec& spec, RecompressionCache* cache) {
    auto codec = std::make_shared<BlockCodec>(spec);
    auto plain = std::make_shared<std::vector<uint8_t>>(source.scan.max_uncompressed());
    auto next = std::make_shared<size_t>(0);
    return [=, &source, &shared]() -> std::optional<PaddingBlock> {
        while (*next < shared.size()) {
            const SharedPair& pair = shared[(*next)++];
            std::vector<uint8_t> stored = read_region(source, pair.source);
            auto size =
                codec->decompress(stored.data(), stored.size(), plain->data(), plain->size());
            if (!size)
                continue;
            std::optional<bool> exact = cache->find(pair.target.offset, pair.target.length);
            if (!exact) {
                exact = codec->reproduces(plain->data(), *size, stored.data(), stored.size());
                cache->store(pair.target.offset, pair.target.length, *exact);
            }
            if (!*exact)
                continue;
            const auto unpacked = static_cast<uint32_t>(*size);
            return PaddingBlock{
                {static_cast<uint32_t>(pair.source.offset), pair.source.length, unpacked},
                {static_cast<uint32_t>(pair.target.offset), pair.target.length, unpacked}};
        }
        return std::nullopt;
    };
}

// The regions of a padded list, to expand again.
std::vector<CompressedRegion> regions_of(const std::vector<BlockRecord>& records) {
    std::vector<CompressedRegion> candidates;
    for (const BlockRecord& record : records)
        candidates.push_back({record.offset, record.length, RegionKind::data});
    return candidates;
}

struct ExpandedPair {
    ExpandedFile source, target;
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
    Stopwatch clock;
    std::vector<SharedPair> shared;
    std::vector<KnownMatch> same_bytes;
    if (!expand_shared) {
        shared = remove_shared_blocks(source, target, stats.shared_blocks, same_bytes);
        log_verbose(output_path + ": shared blocks found in " + clock.lap());
    }
    TempDir work(options.temp_dir, "squashpub-delta");
    TempFile expanded_source(work.file("source.expanded"));
    TempFile expanded_target(work.file("target.expanded"));
    auto expand_both = [&](const std::vector<CompressedRegion>& source_candidates,
                           const std::vector<CompressedRegion>& target_candidates) {
        ExpandedPair pair;
        pair.source = expand(source, source_candidates, spec, false, nullptr, expanded_source,
                             options.jobs, "expanding " + source.path);
        pair.target = expand(target, target_candidates, spec, true, cache, expanded_target,
                             options.jobs, "expanding " + target.path);
        return pair;
    };
    ExpandedPair files = expand_both(source.scan.regions, target.scan.regions);
    stats.race_guard = "natural";
    if (immune_to_race(files.source.records, files.target.records))
        stats.race_guard = "immune";
    else if (!outlasts_start_up(files.source.records, files.target.records, options.race_margin)) {
        // Give squashmerge's worker 0 enough work (squashmerge_race.hpp).
        std::vector<BlockRecord> source_list = files.source.records,
                                 target_list = files.target.records;
        const std::vector<PaddingBlock> padding =
            pad_until_safe(source_list, target_list, shared_padding(source, shared, spec, cache),
                           options.race_margin);
        stats.race_padding = padding.size();
        if (outlasts_start_up(source_list, target_list, options.race_margin)) {
            stats.race_guard = "padded";
            files = expand_both(regions_of(source_list), regions_of(target_list));
        }
        if (!outlasts_start_up(files.source.records, files.target.records, options.race_margin)) {
            // Too few shared blocks to pad with (small images): no lists
            // at all, which no timing can break.
            stats.race_guard = "unexpanded";
            stats.race_padding = 0;
            files = expand_both({}, {});
        }
    }
    log_verbose(output_path + (expand_shared ? " (shared expanded)" : " (shared kept)") +
                ": expanded in " + clock.lap() + ", squashmerge race guard: " + stats.race_guard +
                (stats.race_padding ? " (" + std::to_string(stats.race_padding) + " blocks)" : ""));
    const ExpandedFile& source_file = files.source;
    const ExpandedFile& target_file = files.target;
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
    const ExpandedView source_view{expanded_source.fd(), expanded_source.path(),
                                   source.scan.header.file_size, source_file.size,
                                   &source_file.records};
    const ExpandedView target_view{expanded_target.fd(), expanded_target.path(),
                                   target.scan.header.file_size, target_file.size,
                                   &target_file.records};
    std::optional<SpliceStats> spliced =
        encode_spliced(source_view, target_view, output.fd(), output.temp_path(), work.path(),
                       same_bytes, options.splice);
    if (spliced)
        stats.spliced_copy_bytes = spliced->copied_bytes;
    else
        run_xdelta3_encoder(expanded_source.path(), expanded_target.path(), output.fd(),
                            output_path);
    stats.delta_bytes = file_size_of(output.fd(), output.temp_path());
    log_verbose(output_path + ": xdelta3 took " + clock.lap() + ", " +
                std::to_string(stats.delta_bytes) + " bytes" +
                (spliced ? " (" + std::to_string(spliced->copied_bytes) + " bytes copied in " +
                               std::to_string(spliced->copy_windows) + " windows, " +
                               std::to_string(spliced->encoded_bytes) + " encoded in " +
                               std::to_string(spliced->xdelta3_runs) + " xdelta3 runs)"
                         : std::string()));
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
    Stopwatch clock;
    OpenImage source = open_image(source_path);
    OpenImage target = open_image(target_path);
    check_compatible(source, target);
    const CompressionSpec spec = confirm_client_compression(target);
    log_verbose(output_path + ": images scanned in " + clock.lap());

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
    best.output->commit(options.output);
    return best.stats;
}

} // namespace squashpub::generator
