#include "publisher/recovery.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/sha512.hpp"

#include <filesystem>

namespace fs = std::filesystem;

namespace squashpub::publisher {
namespace {

void record_if_new(PublisherState& state, const Manifest& manifest, size_t keep) {
    std::optional<Manifest> recorded = state.current_manifest();
    if (!recorded || recorded->body() != manifest.body())
        state.record_manifest(manifest, keep);
}

void roll_forward_replacement(const Mirror& mirror, PublisherState& state, Archive& archive,
                              const std::string& staging_root, const Journal& journal, size_t keep,
                              const ManifestText& manifest_text) {
    log_info("completing the interrupted forced republish of " + journal.version);
    const Manifest intended = Manifest::parse(journal.manifest_body, "journal");
    const std::string pending = pending_dir(staging_root);
    for (const std::string& name : journal.adding)
        if (fs::exists(pending + "/" + name))
            mirror.move_in(pending + "/" + name, name);
    mirror.sync();
    for (const auto& [name, hash] : intended.files)
        if (!fs::exists(mirror.path(name)) || sha512_of_file(mirror.path(name)) != hash)
            throw Error(mirror.path(name),
                        "cannot complete the forced republish of " + journal.version +
                            ": the file is missing or changed; the journal is kept in " +
                            state.directory());
    const std::optional<Manifest> live = mirror.live_manifest(archive.repo());
    if (!live || live->body() != intended.body())
        mirror.publish_manifest(manifest_text(intended));
    record_if_new(state, intended, keep);
    const std::string snapshot = intended.current + ".sqfs";
    const ArchivedVersion* entry = archive.find(journal.version);
    if (!entry || entry->sha512 != intended.files.at(snapshot))
        archive.replace_published(journal.version, mirror.path(snapshot),
                                  intended.files.at(snapshot), staging_root, journal.revision_time);
    archive.mark_published(journal.version, staging_root);
}

void finish_or_roll_back(const Mirror& mirror, PublisherState& state, Archive& archive,
                         const std::string& staging_root, const Journal& journal, size_t keep) {
    const std::optional<Manifest> live = mirror.live_manifest(archive.repo());
    const Manifest intended = Manifest::parse(journal.manifest_body, "journal");
    if (live && live->current == intended.current && live->files == intended.files) {
        log_info("completing the interrupted publish of " + journal.version);
        record_if_new(state, intended, keep);
        archive.mark_published(journal.version, staging_root);
        return;
    }
    log_info("rolling back the interrupted publish of " + journal.version);
    std::vector<std::string> stray;
    for (const std::string& name : journal.adding)
        if (!live || !live->files.count(name))
            stray.push_back(name);
    mirror.remove(stray);
    if (const ArchivedVersion* entry = archive.find(journal.version); entry && !entry->published)
        archive.drop_unpublished(journal.version);
}

void empty_directory(const std::string& directory, const std::string& except = "") {
    for (const auto& item : fs::directory_iterator(directory))
        if (item.path().filename() != except)
            fs::remove_all(item.path());
}

} // namespace

std::string pending_dir(const std::string& staging_root) {
    return staging_root + "/pending";
}

void recover_interrupted_run(const Mirror& mirror, PublisherState& state, Archive& archive,
                             const std::string& staging_root, size_t manifests_to_keep,
                             const ManifestText& manifest_text) {
    const std::string& repo = archive.repo();
    empty_directory(staging_root, "pending"); // pending/ may be a journal's
    if (std::optional<Journal> journal = state.journal()) {
        if (journal->replacing)
            roll_forward_replacement(mirror, state, archive, staging_root, *journal,
                                     manifests_to_keep, manifest_text);
        else
            finish_or_roll_back(mirror, state, archive, staging_root, *journal, manifests_to_keep);
        state.clear_journal();
    }
    empty_directory(staging_root);
    // An archived version that never went live (killed before the journal).
    const auto& versions = archive.versions();
    if (!versions.empty() && !versions.back().published) {
        const std::optional<Manifest> live = mirror.live_manifest(repo);
        if (!live || live->current.size() <= versions.back().version.size() ||
            !live->current.ends_with("-" + versions.back().version))
            archive.drop_unpublished(versions.back().version);
    }
    archive.remove_leftovers();
}

} // namespace squashpub::publisher
