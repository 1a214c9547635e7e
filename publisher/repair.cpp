#include "publisher/repair.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/names.hpp"
#include "core/sha512.hpp"
#include "generator/delta/delta_encoder.hpp"
#include "publisher/archive.hpp"
#include "publisher/current_aliases.hpp"
#include "publisher/directory_roles.hpp"
#include "publisher/disk_space.hpp"
#include "publisher/lock.hpp"
#include "publisher/mirror.hpp"
#include "publisher/plan.hpp"
#include "publisher/recovery.hpp"
#include "publisher/shared_manifest.hpp"
#include "publisher/shared_mirror.hpp"
#include "publisher/signer.hpp"
#include "publisher/state.hpp"
#include "verifier/applier.hpp"

#include <filesystem>
#include <map>
#include <mutex>

namespace fs = std::filesystem;

namespace squashpub::publisher {
namespace {

std::string version_of(const config::PublisherConfig& config, const std::string& current) {
    const std::string prefix = config.repo + "-";
    if (current.rfind(prefix, 0) != 0)
        throw Error(config.state_dir,
                    "recorded Current: " + current + " is not of repo " + config.repo);
    return current.substr(prefix.size());
}

RepairPlan make_repair_plan(const config::PublisherConfig& config, const Mirror& mirror,
                            const PublisherState& state, const Archive& archive) {
    std::optional<Manifest> manifest = state.current_manifest();
    if (!manifest)
        throw Error(config.state_dir, "nothing has been published yet; run squashpub publish");
    RepairPlan plan;
    plan.current = manifest->current;
    plan.version = version_of(config, manifest->current);
    if (!archive.find(plan.version))
        throw Error(config.archive_dir,
                    "the current version " + plan.version + " is not archived; cannot repair");

    for (const auto& [name, hash] : manifest->files) {
        const std::string path = mirror.path(name);
        std::string reason;
        if (!fs::exists(path))
            reason = "missing";
        else if (sha512_of_file(path) != hash)
            reason = "content does not match the manifest";
        if (reason.empty())
            continue;
        if (current_alias_infix(config.repo, name)) { // reconciled before the plan runs
            plan.notes.push_back(name + ": " + reason + "; repair makes it name its image again");
            continue;
        }
        if (name.ends_with(".sqfs")) {
            const std::string version =
                name.substr(config.repo.size() + 1, name.size() - config.repo.size() - 6);
            if (archive.find(version))
                plan.actions.push_back({RepairAction::restore_snapshot, name, version, reason});
            else
                plan.notes.push_back(name + ": " + reason + ", and not in the archive");
        } else {
            const std::string suffix = "-" + plan.version + ".sqdelta";
            const std::string from = name.substr(
                config.repo.size() + 1, name.size() - config.repo.size() - 1 - suffix.size());
            plan.actions.push_back({RepairAction::regenerate_delta, name, from, reason});
        }
    }
    // Deltas the policy wants that the manifest lacks (an earlier failure).
    PlanInput input;
    input.repo = config.repo;
    input.new_version = plan.version;
    for (const ArchivedVersion& entry : archive.versions())
        if (entry.published && entry.version != plan.version)
            input.history.push_back(entry.version);
    input.delta_window = config.delta_window;
    for (const std::string& from : make_plan(input).delta_sources) {
        const std::string name = delta_name(config.repo, from, plan.version);
        if (!manifest->files.count(name))
            plan.actions.push_back({RepairAction::generate_delta, name, from, "not published"});
    }
    return plan;
}

} // namespace

std::string describe(const RepairAction& action) {
    switch (action.kind) {
    case RepairAction::restore_snapshot:
        return "restore " + action.name + " from the archive (" + action.reason + ")";
    case RepairAction::regenerate_delta:
        return "regenerate " + action.name + " (" + action.reason + ")";
    case RepairAction::generate_delta:
        return "generate " + action.name + " (" + action.reason + ")";
    }
    return "";
}

RepairPlan plan_repair(const config::PublisherConfig& config) {
    check_directory_roles(config);
    Mirror mirror(config.mirror_dir);
    PublisherState state(config.state_dir);
    Archive archive(config.archive_dir, config.repo, config.archive, config.jobs);
    return make_repair_plan(config, mirror, state, archive);
}

namespace {

RepairPlan repair_locked(const config::PublisherConfig& config) {
    RunLock lock(config.state_dir);
    Mirror mirror(config.mirror_dir);
    MirrorLock mirror_lock(config.mirror_dir);
    if (config.signing)
        check_signing_key(*config.signing);
    check_mirror_sharing(config, mirror);
    claim_directory_roles(config);
    PublisherState state(config.state_dir);
    Archive archive(config.archive_dir, config.repo, config.archive, config.jobs);
    const std::string staging_root = mirror.staging_root(config.state_dir, config.repo);
    recover_interrupted_run(
        mirror, state, archive, staging_root, config.grace_generations + 1,
        [&](const Manifest& own) { return manifest_text(config, mirror, own); });
    reconcile_current_aliases(config, mirror, staging_root);
    RepairPlan plan = make_repair_plan(config, mirror, state, archive);
    Manifest manifest = *state.current_manifest();

    TempDir staging(staging_root, "repair");
    const std::string current_image = staging.file("current.sqfs");
    archive.restore(plan.version, current_image, staging.path());
    const std::string current_sha = archive.find(plan.version)->sha512;
    const uint64_t image_bytes = fs::file_size(current_image);

    std::map<std::string, std::string> staged; // mirror name -> staged path
    std::vector<std::string> sources;
    std::map<std::string, const RepairAction*> by_source;
    for (const RepairAction& action : plan.actions) {
        if (action.kind == RepairAction::restore_snapshot) {
            const std::string path = staging.file(action.name);
            archive.restore(action.version, path, staging.path());
            staged[action.name] = path;
        } else {
            sources.push_back(action.version);
            by_source[action.version] = &action;
        }
    }
    std::mutex mutex;
    archive.visit_images(
        sources, staging.path(), [&](const ArchivedVersion& old, const std::string& old_path) {
            const RepairAction& action = *by_source.at(old.version);
            const std::string path = staging.file(action.name);
            generator::DeltaOptions options;
            options.temp_dir = staging.path();
            options.jobs = 1;
            generator::encode_delta(old_path, current_image, path, options);
            const std::string check = path + ".check";
            verifier::ApplyOptions apply{staging.path(), 1};
            apply.output = Durability::scratch;
            verifier::apply_delta(old_path, path, check, apply);
            const bool exact = sha512_of_file(check) == current_sha;
            fs::remove(check);
            std::lock_guard lock(mutex);
            if (!exact)
                throw Error(action.name, "regenerated delta fails its test-apply");
            if (static_cast<double>(fs::file_size(path)) > config.max_delta_ratio * image_bytes) {
                manifest.files.erase(action.name);
                fs::remove(path);
                return;
            }
            staged[action.name] = path;
        });

    Journal journal{plan.version, {}, "", false, std::nullopt};
    for (const auto& [name, path] : staged) {
        manifest.files[name] = sha512_of_file(path);
        journal.adding.push_back(name);
    }
    journal.manifest_body = manifest.body();
    const std::string text = manifest_text(config, mirror, manifest);
    state.write_journal(journal);
    for (const auto& [name, path] : staged)
        mirror.move_in(path, name);
    mirror.sync();
    mirror.publish_manifest(text);
    if (state.current_manifest()->body() != manifest.body())
        state.record_manifest(manifest, config.grace_generations + 1);
    state.clear_journal();
    log_info("repaired " + plan.current + ": " + std::to_string(plan.actions.size()) +
             " actions, manifest re-signed");
    return plan;
}

} // namespace

RepairPlan repair(const config::PublisherConfig& config) {
    check_directory_roles(config); // before anything is created
    fs::create_directories(config.state_dir);
    try {
        return repair_locked(config);
    } catch (const LockedError&) {
        throw; // its own exit code
    } catch (const std::exception& error) {
        rethrow_if_disk_full(error, {config.state_dir, config.archive_dir, config.mirror_dir});
        throw;
    }
}

} // namespace squashpub::publisher
