#include "publisher/dry_run.hpp"

#include "publisher/archive.hpp"
#include "publisher/current_aliases.hpp"
#include "publisher/directory_roles.hpp"
#include "publisher/flavors.hpp"
#include "publisher/plan.hpp"
#include "publisher/state.hpp"
#include "publisher/tree_source.hpp"

#include <filesystem>
#include <set>

namespace fs = std::filesystem;

namespace squashpub::publisher {
namespace {

bool exists(const std::string& path) {
    std::error_code error;
    return fs::exists(path, error);
}

// The archive as it is, or none when its directory does not exist yet
// (constructing an Archive would create it).
std::vector<ArchivedVersion> archived_versions(const config::PublisherConfig& config) {
    if (!exists(config.archive_dir))
        return {};
    return Archive(config.archive_dir, config.repo, config.archive, config.jobs).versions();
}

std::set<std::string> mirror_files(const std::string& directory) {
    std::set<std::string> names;
    if (!exists(directory))
        return names;
    for (const auto& item : fs::directory_iterator(directory)) {
        const std::string name = item.path().filename();
        if (name.front() != '.' && item.is_regular_file())
            names.insert(name);
    }
    return names;
}

// The archive after the run's mark_published, as retention would see it.
std::vector<ArchivedVersion> archive_after(std::vector<ArchivedVersion> versions,
                                           const config::PublisherConfig& config,
                                           const std::string& version) {
    if (!versions.empty() && versions.back().version == version)
        versions.pop_back(); // a leftover, or a forced republish: replaced
    if (config.archive == config::ArchiveMode::reverse_deltas && !versions.empty())
        versions.back().stored_as_delta = true;
    ArchivedVersion added;
    added.version = version;
    added.published = true;
    versions.push_back(added);
    return versions;
}

void add_notes(PublishDryRun& dry, const std::vector<ArchivedVersion>& versions,
               const std::optional<Journal>& journal, const PublishOptions& options) {
    if (journal)
        dry.notes.push_back("an interrupted run (version " + journal->version +
                            ") would be recovered first");
    for (const ArchivedVersion& entry : versions)
        if (entry.version == dry.version && entry.published)
            dry.notes.push_back(
                "version " + dry.version +
                " is already published: an identical image changes nothing; a different one " +
                (options.force ? "replaces it (--force)" : "is refused without --force"));
    dry.notes.push_back("deltas over max_delta_ratio of the image, or failing their "
                        "test-apply, would be left out");
}

} // namespace

PublishDryRun plan_publish(const config::PublisherConfig& config, const PublishOptions& options) {
    check_directory_roles(config);
    PublishDryRun dry;
    std::unique_ptr<generator::TreeSource> source = open_source(config, options.rev);
    dry.source = source->describe();
    dry.version = choose_version(config, *source, options.version);

    std::vector<Manifest> manifests;
    std::optional<Journal> journal;
    if (exists(config.state_dir + "/manifests")) {
        const PublisherState state(config.state_dir);
        manifests = state.recent_manifests(std::max<size_t>(config.grace_generations, 1));
        journal = state.journal();
    }
    if (!manifests.empty())
        dry.current = manifests.front().current;
    const std::vector<ArchivedVersion> versions = archived_versions(config);

    PlanInput input;
    input.repo = config.repo;
    input.new_version = dry.version;
    for (const ArchivedVersion& entry : versions)
        if (entry.published && entry.version != dry.version)
            input.history.push_back(entry.version);
    input.delta_window = config.delta_window;
    input.keep_snapshots = config.keep_snapshots;
    input.grace_generations = config.grace_generations;
    input.mirror_files = mirror_files(config.mirror_dir);
    for (size_t i = 0; i < manifests.size() && i < config.grace_generations; ++i)
        input.previous_manifests.push_back(manifests[i].names());
    const Plan plan = make_plan(input);

    // The names the real run's manifest would list (publish_run.cpp's
    // new_manifest): whatever else the mirror holds is a removal candidate.
    std::set<std::string> listed{plan.snapshot};
    dry.images.push_back(plan.snapshot);
    for (const config::Flavor& flavor : config.flavors)
        dry.images.push_back(flavor_image_name(config.repo, dry.version, flavor.name));
    for (const std::string& from : plan.delta_sources) {
        dry.deltas.push_back({delta_name(config.repo, from, dry.version), from});
        listed.insert(dry.deltas.back().name);
    }
    dry.kept_snapshots = plan.kept_snapshots;
    for (const std::string& name :
         kept_flavor_images(config, plan.kept_snapshots, input.mirror_files))
        dry.kept_snapshots.push_back(name);
    for (const AliasTarget& alias : current_alias_targets(config, dry.version))
        dry.aliases.push_back(alias.alias + " -> " + alias.target);
    listed.insert(dry.images.begin(), dry.images.end());
    listed.insert(dry.kept_snapshots.begin(), dry.kept_snapshots.end());
    for (const AliasTarget& alias : current_alias_targets(config, dry.version))
        listed.insert(alias.alias);
    dry.mirror_removals = files_to_remove(input, listed);
    dry.archive = plan_retention(archive_after(versions, config, dry.version), config);
    add_notes(dry, versions, journal, options);
    return dry;
}

nlohmann::json PublishDryRun::to_json() const {
    nlohmann::json deltas_json = nlohmann::json::array();
    for (const PlannedDelta& delta : deltas)
        deltas_json.push_back({{"name", delta.name}, {"from", delta.from}});
    return {{"dry_run", true},
            {"version", version},
            {"current", current},
            {"source", source},
            {"images", images},
            {"deltas", deltas_json},
            {"kept_snapshots", kept_snapshots},
            {"aliases", aliases},
            {"mirror_removals", mirror_removals},
            {"archive_drops", archive.to_drop},
            {"archive_to_reverse_deltas", archive.to_reverse_delta},
            {"notes", notes}};
}

namespace {

void list(std::string& out, const std::string& title, const std::vector<std::string>& items) {
    out += title + ": " + (items.empty() ? "none" : std::to_string(items.size())) + "\n";
    for (const std::string& item : items)
        out += "  " + item + "\n";
}

} // namespace

std::string PublishDryRun::text() const {
    std::string out = "dry run: nothing is changed\n";
    out += "version: " + version + " (from " + source + ")\n";
    out += "currently published: " + (current.empty() ? std::string("nothing") : current) + "\n";
    list(out, "images to build", images);
    std::vector<std::string> delta_lines;
    for (const PlannedDelta& delta : deltas)
        delta_lines.push_back(delta.name + " (from " + delta.from + ")");
    list(out, "deltas to build", delta_lines);
    list(out, "snapshots kept listed", kept_snapshots);
    if (!aliases.empty())
        list(out, "aliases to switch", aliases);
    list(out, "to remove from the mirror", mirror_removals);
    list(out, "to drop from the archive", archive.to_drop);
    list(out, "to store as reverse deltas in the archive", archive.to_reverse_delta);
    for (const std::string& note : notes)
        out += "note: " + note + "\n";
    return out;
}

} // namespace squashpub::publisher
