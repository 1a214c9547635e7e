#include "publisher/night_deltas.hpp"

#include "core/files.hpp"
#include "core/log.hpp"
#include "core/sha512.hpp"
#include "generator/delta/delta_encoder.hpp"
#include "generator/delta/expanded_writer.hpp"
#include "publisher/archive.hpp"
#include "publisher/plan.hpp"
#include "verifier/applier.hpp"
#include "verifier/recompression_memo.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>

namespace fs = std::filesystem;

namespace squashpub::publisher {
namespace {

// What a night's deltas share: they all end at the same image.
struct NightCaches {
    generator::RecompressionCache target_checks;
    verifier::RecompressionMemo apply_memo;
};

class NightBuilder {
  public:
    NightBuilder(const NightTarget& target, const config::PublisherConfig& config,
                 const std::string& staging_dir)
        : target_(target), config_(config), staging_dir_(staging_dir) {}

    NightDeltas run(Archive& archive, const std::vector<std::string>& sources) {
        // Up front, in parallel, when the deltas will expand every block
        // (auto mode on images up to its limit); otherwise only the few
        // changed blocks are checked, lazily, and shared the same way.
        if (!sources.empty() && target_.image_bytes <= generator::kAutoSharedBlocksLimit)
            generator::precheck_recompression(target_.image, caches_.target_checks, config_.jobs);
        Progress progress("building deltas", sources.size(), "deltas");
        auto with_jobs = [&](unsigned jobs) {
            return [&, jobs](const ArchivedVersion& old, const std::string& old_path) {
                BuiltDelta delta;
                const bool rebuilds_image = build(old, old_path, jobs, delta);
                progress.advance();
                std::lock_guard lock(mutex_);
                if (accept(delta, rebuilds_image))
                    night_.built.push_back(delta);
            };
        };
        // Oldest source first: the longest deltas start first and the
        // workers finish together, instead of one running the longest
        // alone at the end.
        std::vector<std::string> oldest_first(sources.rbegin(), sources.rend());
        if (config_.archive != config::ArchiveMode::full || oldest_first.empty()) {
            // One image at a time, as the reverse-delta chain rebuilds them.
            archive.visit_images(oldest_first, staging_dir_, with_jobs(config_.jobs));
        } else {
            // The longest delta alone on every thread, then the others one
            // per thread. The first fills the night's caches (which target
            // blocks recompress exactly, the applier's compressed blocks)
            // that the others then find; two started together would each
            // do that work (Gentoo-size tree, 25 deltas: both first deltas
            // spent 8.7 s expanding and 6.4 s recompressing, the next ones
            // 1.7 s and 0.3 s).
            archive.visit_images({oldest_first.front()}, staging_dir_, with_jobs(config_.jobs));
            oldest_first.erase(oldest_first.begin());
            archive.visit_images(oldest_first, staging_dir_, with_jobs(1));
        }
        progress.finish();
        sync_built();
        std::sort(night_.built.begin(), night_.built.end(),
                  [](const BuiltDelta& a, const BuiltDelta& b) { return a.name < b.name; });
        return std::move(night_);
    }

  private:
    // One delta, encoded and test-applied; whether the applied result is
    // the new image, byte for byte.
    bool build(const ArchivedVersion& old, const std::string& old_path, unsigned jobs,
               BuiltDelta& delta) {
        const auto start = std::chrono::steady_clock::now();
        delta.from = old.version;
        delta.name = delta_name(config_.repo, old.version, target_.version);
        delta.staged_path = staging_dir_ + "/" + delta.name;
        generator::DeltaOptions options;
        options.temp_dir = staging_dir_;
        options.jobs = jobs;
        options.target_checks = &caches_.target_checks;
        options.output = Durability::scratch; // synced with the others in sync_built()
        generator::encode_delta(old_path, target_.image, delta.staged_path, options);
        delta.bytes = fs::file_size(delta.staged_path);
        const std::string check = delta.staged_path + ".check";
        verifier::ApplyOptions apply{staging_dir_, jobs, &caches_.apply_memo};
        apply.output = Durability::scratch;
        verifier::apply_delta(old_path, delta.staged_path, check, apply);
        const bool rebuilds_image = same_content(check, target_.image);
        fs::remove(check);
        delta.seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        log_verbose(delta.name + ": built and test-applied in " + std::to_string(delta.seconds) +
                    " s");
        return rebuilds_image;
    }

    // The night's deltas reach the disk together, once the expanded files
    // are gone: an fsync per delta while another delta's gigabyte of
    // expanded files was being written waited for that writeback in the
    // journal (Gentoo-size night, 25 deltas: about a second each, both
    // threads stalled).
    void sync_built() const {
        for (const BuiltDelta& delta : night_.built)
            fsync_file(delta.staged_path);
        fsync_directory(staging_dir_);
    }

    // Records why a delta stays out, or hashes it for the manifest.
    bool accept(BuiltDelta& delta, bool rebuilds_image) {
        if (!rebuilds_image) {
            log_error(delta.name + ": test-apply did not rebuild the new image; not published");
            night_.rejected.push_back(delta.name);
            return false;
        }
        if (static_cast<double>(delta.bytes) >
            config_.max_delta_ratio * static_cast<double>(target_.image_bytes)) {
            log_info(delta.name + ": " + format_bytes(delta.bytes) +
                     " is over max_delta_ratio of the image; not published");
            night_.oversize.push_back(delta.name);
            return false;
        }
        delta.sha512 = sha512_of_file(delta.staged_path);
        return true;
    }

    const NightTarget& target_;
    const config::PublisherConfig& config_;
    const std::string staging_dir_;
    NightCaches caches_;
    std::mutex mutex_;
    NightDeltas night_;
};

} // namespace

NightDeltas build_night_deltas(Archive& archive, const std::vector<std::string>& sources,
                               const NightTarget& target, const config::PublisherConfig& config,
                               const std::string& staging_dir) {
    return NightBuilder(target, config, staging_dir).run(archive, sources);
}

} // namespace squashpub::publisher
