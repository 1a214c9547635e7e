#include "publisher/publish_run.hpp"

#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/sha512.hpp"
#include "generator/image/image_writer.hpp"
#include "publisher/archive.hpp"
#include "publisher/crash_point.hpp"
#include "publisher/current_aliases.hpp"
#include "publisher/directory_roles.hpp"
#include "publisher/disk_space.hpp"
#include "publisher/flavors.hpp"
#include "publisher/freshness.hpp"
#include "publisher/lock.hpp"
#include "publisher/metrics.hpp"
#include "publisher/mirror.hpp"
#include "publisher/night_deltas.hpp"
#include "publisher/plan.hpp"
#include "publisher/recovery.hpp"
#include "publisher/resign.hpp"
#include "publisher/retention.hpp"
#include "publisher/shared_manifest.hpp"
#include "publisher/shared_mirror.hpp"
#include "publisher/signer.hpp"
#include "publisher/state.hpp"
#include "publisher/tree_source.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <sys/resource.h>

namespace fs = std::filesystem;

namespace squashpub::publisher {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

uint64_t peak_rss_kib() {
    struct rusage self = {}, children = {};
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    return static_cast<uint64_t>(std::max(self.ru_maxrss, children.ru_maxrss));
}

class PublishRun {
  public:
    PublishRun(const config::PublisherConfig& config, const PublishOptions& options,
               RunFacts& facts)
        : config_(config), options_(options), facts_(facts), mirror_(config.mirror_dir),
          state_(config.state_dir) {}

    PublishOutcome run() {
        RunLock lock(config_.state_dir);
        MirrorLock mirror_lock(config_.mirror_dir);
        crash_point("lock");
        if (config_.signing)
            check_signing_key(*config_.signing);
        key_warnings_ = warn_about_expiring_keys(config_);
        check_mirror_sharing(config_, mirror_);
        warn_if_live_manifest_expired();
        claim_directory_roles(config_);
        Archive archive(config_.archive_dir, config_.repo, config_.archive, config_.jobs);
        staging_root_ = mirror_.staging_root(config_.state_dir, config_.repo);
        const bool interrupted = state_.journal().has_value();
        recover_interrupted_run(
            mirror_, state_, archive, staging_root_, manifests_to_keep(),
            [&](const Manifest& own) { return manifest_text(config_, mirror_, own); });
        if (interrupted) // killed between the manifest switch and the aliases'
            reconcile_current_aliases(config_, mirror_, staging_root_);

        TempDir staging(staging_root_, "run");
        try {
            return publish_into(archive, staging);
        } catch (const std::exception& error) {
            forget_unpublished(archive);
            rethrow_if_disk_full(error, {config_.state_dir, config_.archive_dir, config_.mirror_dir,
                                         staging.path()});
            throw;
        }
    }

  private:
    // Clients refuse an expired manifest: if it expired before this run,
    // valid_for is shorter than the time between runs (or runs failed).
    void warn_if_live_manifest_expired() const {
        const std::optional<std::string> live = mirror_.live_text();
        const std::optional<UtcTime> until =
            live ? valid_until_of(signed_part(*live)) : std::nullopt;
        if (!until || *until > utc_now())
            return;
        log_warning(mirror_.path(kManifestName) + ": the live manifest had expired (Valid-Until " +
                    format_utc(*until) + ") before this run: clients refused it meanwhile; " +
                    "valid_for (" +
                    (config_.valid_for ? format_duration(*config_.valid_for) : "unset") +
                    ") must be longer than the time between runs, with room for a failed night");
    }

    PublishOutcome publish_into(Archive& archive, const TempDir& staging) {
        const std::string image = build_image(staging, archive);
        crash_point("image");
        if (already_current())
            return no_op();
        check_version_is_new(archive);

        PlanInput input = plan_input(archive);
        const Plan plan = make_plan(input);
        if (!replacing_) // a forced republish keeps the old image until the switch
            archive.add(version_, image, image_sha_, revision_time_);
        crash_point("archive");
        std::vector<BuiltDelta> deltas = build_deltas(archive, plan, image, staging);
        crash_point("deltas");

        const Manifest manifest = new_manifest(plan, deltas);
        const std::string text = signed_text(manifest);
        crash_point("sign");
        go_live(plan, deltas, image, manifest, text);
        state_.record_manifest(manifest, manifests_to_keep());
        if (replacing_) {
            archive.replace_published(version_, mirror_.path(plan.snapshot), image_sha_,
                                      staging.path(), revision_time_);
            crash_point("archive-replace");
        }
        archive.mark_published(version_, staging.path());
        state_.clear_journal();
        crash_point("journal");

        const std::vector<std::string> removed = files_to_remove(input, manifest.names());
        mirror_.remove(removed);
        crash_point("prune");
        apply_retention(archive, config_, staging.path());
        return finish(deltas, removed, manifest);
    }

    // A run that failed before its journal leaves no archive entry behind
    // (a journaled one is completed or rolled back by the next run).
    void forget_unpublished(Archive& archive) noexcept {
        try {
            const ArchivedVersion* entry = version_.empty() ? nullptr : archive.find(version_);
            if (entry && !entry->published && !state_.journal())
                archive.drop_unpublished(version_);
        } catch (const std::exception& cleanup) {
            log_warning(std::string("cannot drop the unpublished archive entry: ") +
                        cleanup.what());
        }
    }

    size_t manifests_to_keep() const { return config_.grace_generations + 1; }

    std::string build_image(const TempDir& staging, const Archive& archive) {
        const auto start = std::chrono::steady_clock::now();
        std::unique_ptr<generator::TreeSource> source = open_source(config_, options_.rev);
        version_ = choose_version(config_, *source, options_.version);
        current_name_ = config_.repo + "-" + version_;
        check_version_against_flavors(config_, version_);
        revision_time_ = source->revision_time();
        check_not_downgrade(archive);
        const std::string path = staging.file(snapshot_name(config_.repo, version_));
        config::ImageOptions image = config_.image;
        image.jobs = config_.jobs;
        const uint32_t image_time = generator::choose_image_time(image, *source);
        generator::write_image(*source, image, image_time, path, layout_source());
        image_sha_ = sha512_of_file(path);
        image_bytes_ = fs::file_size(path);
        timings_["image"] = seconds_since(start);
        log_info("built " + snapshot_name(config_.repo, version_) + " (" +
                 format_bytes(image_bytes_) + ")");
        const auto flavors_start = std::chrono::steady_clock::now();
        flavors_ = build_flavor_images(*source, config_, version_, image_time, staging.path());
        timings_["flavors"] = seconds_since(flavors_start);
        return path;
    }

    // Clients would silently go back in time: refused unless asked for.
    void check_not_downgrade(const Archive& archive) const {
        std::optional<Manifest> current = state_.current_manifest();
        if (!current || !revision_time_ || options_.allow_downgrade)
            return;
        const ArchivedVersion* entry =
            archive.find(current->current.substr(config_.repo.size() + 1));
        if (!entry || !entry->revision_time || *revision_time_ >= *entry->revision_time)
            return;
        throw Error(config_.file, "revision " + options_.rev.value_or(config_.rev.value_or("")) +
                                      " (committed " + utc_time(*revision_time_) +
                                      ") is older than the published " + current->current +
                                      " (committed " + utc_time(*entry->revision_time) +
                                      "); refusing to downgrade clients: pass --allow-downgrade "
                                      "to publish it anyway");
    }

    static std::string utc_time(uint32_t seconds) {
        const std::time_t time = seconds;
        std::tm utc;
        gmtime_r(&time, &utc);
        char text[32];
        std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &utc);
        return text;
    }

    // The published current image: its layout is carried into the new one,
    // which keeps the deltas to it small (issue #6, "stable layout").
    std::string layout_source() const {
        if (config_.image.layout != config::Layout::stable)
            return "";
        std::optional<Manifest> current = state_.current_manifest();
        if (!current)
            return "";
        const std::string path = mirror_.path(current->current + ".sqfs");
        return fs::exists(path) ? path : "";
    }

    bool already_current() const {
        std::optional<Manifest> current = state_.current_manifest();
        if (!current || current->current != current_name_)
            return false;
        auto listed = current->files.find(snapshot_name(config_.repo, version_));
        return listed != current->files.end() && listed->second == image_sha_ &&
               fs::exists(mirror_.path(snapshot_name(config_.repo, version_)));
    }

    // Nothing to publish; still finish what an interrupted run left undone
    // (its pruning), so that a re-run always ends in the complete state.
    PublishOutcome no_op() {
        log_info(current_name_ + " is already published with identical content; nothing to do");
        const std::set<std::string> listed = state_.current_manifest()->names();
        PlanInput input;
        input.repo = config_.repo;
        input.grace_generations = config_.grace_generations;
        input.mirror_files = mirror_.files();
        std::vector<Manifest> recent = state_.recent_manifests(config_.grace_generations + 1);
        for (size_t i = 1; i < recent.size(); ++i)
            input.previous_manifests.push_back(recent[i].names());
        const std::vector<std::string> removed = files_to_remove(input, listed);
        mirror_.remove(removed);
        // A changed current_aliases mode (or a lost alias) is applied now,
        // not on the next new version: the manifest is unchanged.
        const std::vector<std::string> aliases_fixed =
            reconcile_current_aliases(config_, mirror_, staging_root_);
        // Freshness: an unchanged manifest is re-signed before it grows stale.
        const bool resign = resign_due(config_, signed_part(mirror_.live_text().value_or("")));
        if (resign)
            resign_live_manifest(config_, mirror_, state_);
        PublishOutcome outcome;
        outcome.version = version_;
        outcome.report = {{"version", version_},
                          {"changed", false},
                          {"removed", removed},
                          {"resigned", resign},
                          {"aliases_fixed", aliases_fixed},
                          {"key_expiry_warnings", key_warnings_}};
        state_.write_report(outcome.report);
        return outcome;
    }

    void check_version_is_new(Archive& archive) {
        const ArchivedVersion* entry = archive.find(version_);
        if (!entry || !entry->published)
            return;
        if (!options_.force)
            throw Error(
                config_.mirror_dir,
                "version " + version_ +
                    " is already published with different content; "
                    "use --force to replace it, or --version to publish under another name");
        if (entry != &archive.versions().back())
            throw Error(config_.archive_dir, "version " + version_ +
                                                 " is not the newest published version (" +
                                                 archive.versions().back().version +
                                                 "); --force can only replace the newest");
        log_warning("replacing published version " + version_ + " (--force)");
        replacing_ = true;
    }

    PlanInput plan_input(const Archive& archive) const {
        PlanInput input;
        input.repo = config_.repo;
        input.new_version = version_;
        for (const ArchivedVersion& entry : archive.versions())
            if (entry.published && entry.version != version_)
                input.history.push_back(entry.version);
        input.delta_window = config_.delta_window;
        input.keep_snapshots = config_.keep_snapshots;
        input.grace_generations = config_.grace_generations;
        input.mirror_files = mirror_.files();
        for (const Manifest& manifest : state_.recent_manifests(config_.grace_generations))
            input.previous_manifests.push_back(manifest.names());
        return input;
    }

    // Every delta is applied with the independent applier and must rebuild
    // the new image byte for byte before it may be published.
    std::vector<BuiltDelta> build_deltas(Archive& archive, const Plan& plan,
                                         const std::string& image, const TempDir& staging) {
        const auto start = std::chrono::steady_clock::now();
        NightDeltas night = build_night_deltas(
            archive, plan.delta_sources, {version_, image, image_bytes_}, config_, staging.path());
        rejected_.insert(rejected_.end(), night.rejected.begin(), night.rejected.end());
        oversize_.insert(oversize_.end(), night.oversize.begin(), night.oversize.end());
        timings_["deltas"] = seconds_since(start);
        return night.built;
    }

    Manifest new_manifest(const Plan& plan, const std::vector<BuiltDelta>& deltas) const {
        Manifest manifest;
        manifest.current = current_name_;
        manifest.files[plan.snapshot] = image_sha_;
        for (const BuiltDelta& delta : deltas)
            manifest.files[delta.name] = delta.sha512;
        for (const BuiltFlavor& flavor : flavors_)
            manifest.files[flavor.file] = flavor.sha512;
        std::optional<Manifest> previous = state_.current_manifest();
        std::vector<std::string> kept_files = plan.kept_snapshots;
        for (const std::string& name :
             kept_flavor_images(config_, plan.kept_snapshots, mirror_.files()))
            kept_files.push_back(name);
        for (const std::string& kept : kept_files) {
            const bool known = previous && previous->files.count(kept);
            manifest.files[kept] =
                known ? previous->files.at(kept) : sha512_of_file(mirror_.path(kept));
        }
        for (const AliasTarget& alias : current_alias_targets(config_, version_))
            manifest.files[alias.alias] = manifest.files.at(alias.target);
        return manifest;
    }

    // The union with the other repositories' lines of the live manifest
    // (we hold the mirror lock, so they cannot change until we are done).
    std::string signed_text(const Manifest& manifest) {
        const auto start = std::chrono::steady_clock::now();
        std::string text = manifest_text(config_, mirror_, manifest);
        timings_["sign"] = seconds_since(start);
        return text;
    }

    // New files first, then the manifest switch: at every moment the live
    // manifest lists only files that are present with the listed content.
    void go_live(const Plan& plan, const std::vector<BuiltDelta>& deltas, const std::string& image,
                 const Manifest& manifest, const std::string& text) {
        const auto start = std::chrono::steady_clock::now();
        Journal journal{version_, {plan.snapshot}, manifest.body(), replacing_, revision_time_};
        for (const BuiltDelta& delta : deltas)
            journal.adding.push_back(delta.name);
        std::map<std::string, std::string> sources = {{plan.snapshot, image}};
        for (const BuiltDelta& delta : deltas)
            sources[delta.name] = delta.staged_path;
        for (const BuiltFlavor& flavor : flavors_) {
            journal.adding.push_back(flavor.file);
            sources[flavor.file] = flavor.staged_path;
        }
        std::map<std::string, std::string> aliases = stage_current_aliases(
            config_, current_alias_targets(config_, version_), sources, parent_directory(image));
        if (replacing_) { // they replace listed files too: through pending/, like the others
            for (const auto& [name, path] : aliases) {
                journal.adding.push_back(name);
                sources[name] = path;
            }
            sources = stage_pending(sources);
        }
        state_.write_journal(journal);
        crash_point("journal-written");
        mirror_.move_in(sources.at(plan.snapshot), plan.snapshot);
        mirror_.sync();
        crash_point("move-snapshot");
        for (const BuiltDelta& delta : deltas) {
            mirror_.move_in(sources.at(delta.name), delta.name);
            crash_point("move-delta");
        }
        for (const BuiltFlavor& flavor : flavors_) {
            mirror_.move_in(sources.at(flavor.file), flavor.file);
            crash_point("move-flavor");
        }
        if (replacing_)
            for (const auto& [name, staged] : aliases)
                mirror_.move_in(sources.at(name), name);
        if (replacing_)
            fs::remove(pending_dir(staging_root_)); // empty now
        mirror_.sync();
        mirror_.publish_manifest(text);
        crash_point("manifest");
        if (!replacing_)
            switch_aliases(aliases);
        timings_["publish"] = seconds_since(start);
    }

    // Right after the manifest: a crash in between is rolled forward by
    // the next run, which then brings the aliases in line with it.
    void switch_aliases(const std::map<std::string, std::string>& aliases) const {
        for (const auto& [name, path] : aliases) {
            mirror_.move_in(path, name);
            crash_point("alias");
        }
        mirror_.sync();
    }

    // A forced republish replaces listed files: they wait in pending/,
    // which recovery completes from once the journal names them.
    std::map<std::string, std::string>
    stage_pending(const std::map<std::string, std::string>& sources) const {
        const std::string pending = pending_dir(staging_root_);
        fs::create_directories(pending);
        std::map<std::string, std::string> staged;
        for (const auto& [name, path] : sources) {
            staged[name] = pending + "/" + name;
            if (std::rename(path.c_str(), staged[name].c_str()) != 0)
                throw_errno(staged[name], "cannot stage " + path);
        }
        fsync_directory(pending);
        return staged;
    }

    PublishOutcome finish(const std::vector<BuiltDelta>& deltas,
                          const std::vector<std::string>& removed, const Manifest& manifest) {
        nlohmann::json report = {{"version", version_},
                                 {"changed", true},
                                 {"current", manifest.current},
                                 {"image",
                                  {{"name", snapshot_name(config_.repo, version_)},
                                   {"bytes", image_bytes_},
                                   {"sha512", image_sha_}}},
                                 {"added", nlohmann::json::array()},
                                 {"removed", removed},
                                 {"deltas", nlohmann::json::array()},
                                 {"not_published_oversize", oversize_},
                                 {"rejected_by_test_apply", rejected_},
                                 {"signed", config_.signing.has_value()},
                                 {"key_expiry_warnings", key_warnings_},
                                 {"timings_seconds", timings_},
                                 {"peak_rss_kib", peak_rss_kib()}};
        report["added"].push_back(snapshot_name(config_.repo, version_));
        facts_.changed = true;
        facts_.deltas_published = deltas.size();
        report["flavors"] = nlohmann::json::array();
        for (const BuiltFlavor& flavor : flavors_) {
            report["added"].push_back(flavor.file);
            report["flavors"].push_back(
                {{"name", flavor.file}, {"bytes", flavor.bytes}, {"sha512", flavor.sha512}});
        }
        report["aliases"] = nlohmann::json::object();
        for (const AliasTarget& alias : current_alias_targets(config_, version_))
            report["aliases"][alias.alias] = alias.target;
        for (const BuiltDelta& delta : deltas) {
            facts_.delta_bytes += delta.bytes;
            report["added"].push_back(delta.name);
            report["deltas"].push_back(
                {{"name", delta.name},
                 {"from", delta.from},
                 {"bytes", delta.bytes},
                 {"ratio_to_image", static_cast<double>(delta.bytes) / image_bytes_},
                 {"seconds", delta.seconds}});
        }
        state_.write_report(report);
        crash_point("report");
        log_info("published " + manifest.current + ": " + std::to_string(deltas.size()) +
                 " deltas, " + std::to_string(removed.size()) + " files removed");
        if (!rejected_.empty())
            throw Error(config_.mirror_dir, std::to_string(rejected_.size()) +
                                                " deltas failed their test-apply and were left "
                                                "out (the rest is published)");
        PublishOutcome outcome;
        outcome.changed = true;
        outcome.version = version_;
        outcome.report = report;
        return outcome;
    }

    const config::PublisherConfig& config_;
    const PublishOptions& options_;
    RunFacts& facts_; // also what the metrics file reports, even of a failed run
    Mirror mirror_;
    PublisherState state_;
    std::string staging_root_;
    bool replacing_ = false; // a forced republish of a published version
    std::optional<uint32_t> revision_time_;
    std::string version_;
    std::string current_name_;
    std::string image_sha_;
    uint64_t& image_bytes_ = facts_.image_bytes;
    std::vector<BuiltFlavor> flavors_;
    std::vector<std::string>& oversize_ = facts_.oversize;
    std::vector<std::string>& rejected_ = facts_.rejected;
    std::map<std::string, double>& timings_ = facts_.phase_seconds;
    std::vector<std::string> key_warnings_;
};

} // namespace

PublishOutcome publish(const config::PublisherConfig& config, const PublishOptions& options) {
    RunMetrics metrics(config); // written however the run ends
    metrics.check_target();     // before anything changes
    try {
        check_directory_roles(config); // before anything is created
        fs::create_directories(config.state_dir);
        PublishOutcome outcome = PublishRun(config, options, metrics.facts()).run();
        metrics.finish(true);
        return outcome;
    } catch (const LockedError&) {
        throw; // another run is going: its own metrics will tell
    } catch (...) {
        metrics.finish(false);
        throw;
    }
}

} // namespace squashpub::publisher
