#include "publisher/archive.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/parallel.hpp"
#include "core/sha256.hpp"
#include "core/sha512.hpp"
#include "generator/delta/delta_encoder.hpp"
#include "publisher/crash_point.hpp"
#include "verifier/applier.hpp"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <unistd.h>

namespace fs = std::filesystem;

namespace squashpub::publisher {
namespace {

const char* kIndexName = "index.json";

// A hard link when possible (same filesystem), else a copy; then fsync.
void place_copy(const std::string& from, const std::string& to) {
    AtomicOutput out(to);
    UniqueFd in = open_for_reading(from);
    copy_range(in.get(), from, out.fd(), out.temp_path(), 0, file_size_of(in.get(), from));
    out.commit();
}

// Every image the archive rebuilds from a reverse delta goes to its scratch
// directory, to be checked and removed, or copied into place (which syncs).
verifier::ApplyOptions scratch_apply(const std::string& scratch_dir, unsigned jobs) {
    verifier::ApplyOptions options{scratch_dir, jobs};
    options.output = Durability::scratch;
    return options;
}

} // namespace

Archive::Archive(std::string directory, std::string repo, config::ArchiveMode mode, unsigned jobs)
    : directory_(std::move(directory)), repo_(std::move(repo)), mode_(mode), jobs_(jobs) {
    fs::create_directories(directory_);
    load();
}

std::string Archive::image_path(const std::string& version) const {
    return directory_ + "/" + repo_ + "-" + version + ".sqfs";
}

std::string Archive::reverse_delta_path(const std::string& newer, const std::string& older) const {
    return directory_ + "/" + repo_ + "-" + newer + "-" + older + ".sqdelta";
}

void Archive::load() {
    const std::string path = directory_ + "/" + kIndexName;
    if (!fs::exists(path))
        return;
    nlohmann::json index;
    try {
        index = nlohmann::json::parse(read_whole_file(path));
        for (const auto& item : index.at("versions")) {
            ArchivedVersion entry;
            entry.version = item.at("version").get<std::string>();
            entry.sha512 = item.at("sha512").get<std::string>();
            if (item.contains("sha256"))
                entry.sha256 = item.at("sha256").get<std::string>();
            entry.size = item.at("size").get<uint64_t>();
            entry.published = item.at("published").get<bool>();
            entry.stored_as_delta = item.at("stored_as_delta").get<bool>();
            if (item.contains("revision_time"))
                entry.revision_time = item.at("revision_time").get<uint32_t>();
            versions_.push_back(entry);
        }
    } catch (const nlohmann::json::exception& e) {
        throw Error(path, std::string("corrupt archive index: ") + e.what());
    }
}

void Archive::save() const {
    nlohmann::json index = {{"repo", repo_}, {"versions", nlohmann::json::array()}};
    for (const ArchivedVersion& entry : versions_) {
        index["versions"].push_back({{"version", entry.version},
                                     {"sha512", entry.sha512},
                                     {"size", entry.size},
                                     {"published", entry.published},
                                     {"stored_as_delta", entry.stored_as_delta}});
        if (entry.revision_time)
            index["versions"].back()["revision_time"] = *entry.revision_time;
        if (!entry.sha256.empty())
            index["versions"].back()["sha256"] = entry.sha256;
    }
    const std::string text = index.dump(2) + "\n";
    AtomicOutput out(directory_ + "/" + kIndexName);
    write_all(out.fd(), text.data(), text.size(), out.temp_path());
    out.commit();
}

const ArchivedVersion* Archive::find(const std::string& version) const {
    for (const ArchivedVersion& entry : versions_)
        if (entry.version == version)
            return &entry;
    return nullptr;
}

void Archive::verify(const ArchivedVersion& entry, const std::string& path) const {
    const bool by_sha256 = !entry.sha256.empty();
    const std::string actual = by_sha256 ? sha256_of_file(path) : sha512_of_file(path);
    if (actual != (by_sha256 ? entry.sha256 : entry.sha512))
        throw Error(path, "archived image of " + entry.version + " does not match its recorded " +
                              (by_sha256 ? "SHA-256" : "SHA-512") + " (archive damaged)");
}

void Archive::add(const std::string& version, const std::string& image, const std::string& sha,
                  std::optional<uint32_t> revision_time) {
    if (const ArchivedVersion* existing = find(version)) {
        // Replacing (an unpublished leftover, or --force): only the newest
        // can go, since older ones may anchor a reverse-delta chain.
        if (existing != &versions_.back())
            throw Error(directory_, "version " + version +
                                        " is not the newest archived version "
                                        "and cannot be replaced");
        versions_.pop_back();
        save();
        fs::remove(image_path(version));
    }
    place_copy(image, image_path(version));
    versions_.push_back({version, sha, sha256_of_file(image_path(version)), fs::file_size(image),
                         false, false, revision_time});
    save();
}

void Archive::mark_published(const std::string& version, const std::string& scratch_dir) {
    for (ArchivedVersion& entry : versions_)
        if (entry.version == version)
            entry.published = true;
    save();
    if (mode_ != config::ArchiveMode::reverse_deltas || versions_.size() < 2)
        return;
    // The previous newest is still in full: replace it by a delta from the
    // new version, once that delta is proven to rebuild it exactly.
    const ArchivedVersion& previous = versions_[versions_.size() - 2];
    if (!previous.stored_as_delta)
        store_as_reverse_delta(previous.version, scratch_dir);
}

void Archive::store_as_reverse_delta(const std::string& version, const std::string& scratch_dir) {
    size_t i = 0;
    while (i < versions_.size() && versions_[i].version != version)
        ++i;
    if (i + 1 >= versions_.size() || versions_[i].stored_as_delta ||
        versions_[i + 1].stored_as_delta)
        throw Error(directory_, "cannot store " + version +
                                    " as a reverse delta: it and its successor must be full "
                                    "images in the archive");
    ArchivedVersion& entry = versions_[i];
    const std::string newer = versions_[i + 1].version;
    const std::string delta = reverse_delta_path(newer, version);
    generator::DeltaOptions options;
    options.temp_dir = scratch_dir;
    options.jobs = jobs_;
    generator::encode_delta(image_path(newer), image_path(version), delta, options);
    const std::string check = scratch_dir + "/reverse-check.sqfs";
    verifier::apply_delta(image_path(newer), delta, check, scratch_apply(scratch_dir, jobs_));
    verify(entry, check);
    fs::remove(check);
    crash_point("archive-reverse-delta");
    entry.stored_as_delta = true;
    save();
    crash_point("archive-reverse-delta-indexed");
    fs::remove(image_path(version));
}

void Archive::drop_oldest(const std::string& version) {
    if (versions_.empty() || versions_.front().version != version || !versions_.front().published)
        throw Error(directory_,
                    "retention can only drop the oldest published version, not " + version);
    const std::string file = versions_.front().stored_as_delta && versions_.size() > 1
                                 ? reverse_delta_path(versions_[1].version, version)
                                 : image_path(version);
    versions_.erase(versions_.begin());
    save(); // the index first: a kill now leaves a leftover, never a dangling entry
    crash_point("archive-drop-indexed");
    fs::remove(file);
}

void Archive::replace_published(const std::string& version, const std::string& image,
                                const std::string& sha, const std::string& scratch_dir,
                                std::optional<uint32_t> revision_time) {
    if (versions_.empty() || versions_.back().version != version)
        throw Error(directory_, "version " + version +
                                    " is not the newest archived version and cannot be replaced");
    if (versions_.size() >= 2 && versions_[versions_.size() - 2].stored_as_delta) {
        ArchivedVersion& previous = versions_[versions_.size() - 2];
        const std::string delta = reverse_delta_path(version, previous.version);
        const std::string full = scratch_dir + "/unchain.sqfs";
        verifier::apply_delta(image_path(version), delta, full, scratch_apply(scratch_dir, jobs_));
        verify(previous, full);
        place_copy(full, image_path(previous.version));
        fs::remove(full);
        previous.stored_as_delta = false;
        save();
        fs::remove(delta);
    }
    place_copy(image, image_path(version));
    versions_.back().sha512 = sha;
    versions_.back().sha256 = sha256_of_file(image_path(version));
    versions_.back().size = fs::file_size(image);
    versions_.back().revision_time = revision_time;
    save();
}

void Archive::drop_unpublished(const std::string& version) {
    for (auto it = versions_.begin(); it != versions_.end(); ++it) {
        if (it->version != version)
            continue;
        if (it->published)
            throw Error(directory_, "refusing to drop published version " + version);
        versions_.erase(it);
        save();
        fs::remove(image_path(version));
        return;
    }
}

void Archive::visit_images(
    const std::vector<std::string>& wanted, const std::string& scratch_dir,
    const std::function<void(const ArchivedVersion&, const std::string&)>& visit) {
    std::set<std::string> remaining(wanted.begin(), wanted.end());
    // A full archive whose older versions retention turned into reverse
    // deltas walks the chain like a reverse-delta archive when one of
    // those is wanted.
    const bool chained = std::any_of(versions_.begin(), versions_.end(), [&](const auto& entry) {
        return entry.stored_as_delta && remaining.count(entry.version);
    });
    if (mode_ == config::ArchiveMode::full && !chained) {
        std::vector<const ArchivedVersion*> entries;
        for (const std::string& version : wanted)
            if (const ArchivedVersion* entry = find(version))
                entries.push_back(entry);
        parallel_for(entries.size(), jobs_, [&](size_t i, unsigned) {
            const std::string path = image_path(entries[i]->version);
            verify(*entries[i], path);
            visit(*entries[i], path);
        });
        return;
    }
    // Walk the chain from the newest full image backwards.
    std::string current_path;
    for (size_t i = versions_.size(); i-- > 0 && !remaining.empty();) {
        const ArchivedVersion& entry = versions_[i];
        std::string path;
        if (!entry.stored_as_delta) {
            path = image_path(entry.version);
        } else {
            if (current_path.empty())
                throw Error(directory_,
                            "reverse delta chain has no full image above " + entry.version);
            path = scratch_dir + "/chain-" + entry.version + ".sqfs";
            verifier::apply_delta(current_path,
                                  reverse_delta_path(versions_[i + 1].version, entry.version), path,
                                  scratch_apply(scratch_dir, jobs_));
        }
        verify(entry, path);
        if (remaining.erase(entry.version))
            visit(entry, path);
        if (current_path.rfind(scratch_dir, 0) == 0)
            fs::remove(current_path);
        current_path = path;
    }
    if (current_path.rfind(scratch_dir, 0) == 0)
        fs::remove(current_path);
}

void Archive::restore(const std::string& version, const std::string& path,
                      const std::string& scratch_dir) {
    bool found = false;
    visit_images({version}, scratch_dir, [&](const ArchivedVersion&, const std::string& image) {
        place_copy(image, path);
        found = true;
    });
    if (!found)
        throw Error(directory_, "version " + version + " is not in the archive");
}

void Archive::remove_leftovers() {
    std::set<std::string> expected = {kIndexName};
    for (size_t i = 0; i < versions_.size(); ++i) {
        const ArchivedVersion& entry = versions_[i];
        if (entry.stored_as_delta && i + 1 < versions_.size())
            expected.insert(
                fs::path(reverse_delta_path(versions_[i + 1].version, entry.version)).filename());
        else
            expected.insert(fs::path(image_path(entry.version)).filename());
    }
    for (const auto& item : fs::directory_iterator(directory_)) {
        const std::string name = item.path().filename();
        if (!expected.count(name) && name.rfind(repo_ + "-", 0) == 0) {
            log_verbose(item.path().string() + ": removing archive leftover");
            fs::remove(item.path());
        } else if (!expected.count(name) && name.rfind(".", 0) == 0 &&
                   name.find(".tmp.") != std::string::npos) {
            fs::remove(item.path()); // a temporary file of a killed run
        }
    }
}

} // namespace squashpub::publisher
