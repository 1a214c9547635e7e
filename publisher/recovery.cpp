#include "publisher/recovery.hpp"

#include "core/log.hpp"

#include <filesystem>

namespace fs = std::filesystem;

namespace squashpub::publisher {

void recover_interrupted_run(const Mirror& mirror, PublisherState& state, Archive& archive,
                             const std::string& staging_root, size_t manifests_to_keep) {
    const std::string& repo = archive.repo();
    for (const auto& item : fs::directory_iterator(staging_root))
        fs::remove_all(item.path());

    if (std::optional<Journal> journal = state.journal()) {
        const std::optional<Manifest> live = mirror.live_manifest(repo);
        const Manifest intended = Manifest::parse(journal->manifest_body, "journal");
        if (live && live->current == intended.current && live->files == intended.files) {
            log_info("completing the interrupted publish of " + journal->version);
            std::optional<Manifest> recorded = state.current_manifest();
            if (!recorded || recorded->body() != intended.body())
                state.record_manifest(intended, manifests_to_keep);
            archive.mark_published(journal->version, staging_root);
        } else {
            log_info("rolling back the interrupted publish of " + journal->version);
            std::vector<std::string> stray;
            for (const std::string& name : journal->adding)
                if (!live || !live->files.count(name))
                    stray.push_back(name);
            mirror.remove(stray);
            if (const ArchivedVersion* entry = archive.find(journal->version);
                entry && !entry->published)
                archive.drop_unpublished(journal->version);
        }
        state.clear_journal();
    }
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
