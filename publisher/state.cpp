#include "publisher/state.hpp"

#include "core/error.hpp"
#include "core/files.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

namespace squashpub::publisher {
namespace {

void write_atomically(const std::string& path, const std::string& text) {
    AtomicOutput out(path);
    write_all(out.fd(), text.data(), text.size(), out.temp_path());
    out.commit();
}

} // namespace

PublisherState::PublisherState(std::string directory) : directory_(std::move(directory)) {
    fs::create_directories(directory_ + "/manifests");
}

std::vector<std::string> PublisherState::manifest_files() const {
    std::vector<std::string> files;
    for (const auto& item : fs::directory_iterator(directory_ + "/manifests")) {
        const std::string name = item.path().filename();
        if (name.size() == 10 && name.ends_with(".txt"))
            files.push_back(item.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::vector<Manifest> PublisherState::recent_manifests(size_t count) const {
    std::vector<std::string> files = manifest_files();
    std::vector<Manifest> manifests;
    for (auto it = files.rbegin(); it != files.rend() && manifests.size() < count; ++it)
        manifests.push_back(Manifest::parse(read_whole_file(*it), *it));
    return manifests;
}

std::optional<Manifest> PublisherState::current_manifest() const {
    std::vector<Manifest> latest = recent_manifests(1);
    if (latest.empty())
        return std::nullopt;
    return latest.front();
}

void PublisherState::record_manifest(const Manifest& manifest, size_t keep) {
    std::vector<std::string> files = manifest_files();
    unsigned next = 1;
    if (!files.empty())
        next = static_cast<unsigned>(std::stoul(fs::path(files.back()).stem().string())) + 1;
    char name[16];
    std::snprintf(name, sizeof name, "%06u.txt", next % 1000000);
    write_atomically(directory_ + "/manifests/" + name, manifest.body());
    files.push_back(directory_ + "/manifests/" + name);
    while (files.size() > std::max<size_t>(keep, 1)) {
        fs::remove(files.front());
        files.erase(files.begin());
    }
}

std::optional<Journal> PublisherState::journal() const {
    const std::string path = directory_ + "/journal.json";
    if (!fs::exists(path))
        return std::nullopt;
    try {
        nlohmann::json json = nlohmann::json::parse(read_whole_file(path));
        Journal journal{json.at("version").get<std::string>(),
                        json.at("adding").get<std::vector<std::string>>(),
                        json.at("manifest_body").get<std::string>(), json.value("replacing", false),
                        std::nullopt};
        if (json.contains("revision_time"))
            journal.revision_time = json.at("revision_time").get<uint32_t>();
        return journal;
    } catch (const nlohmann::json::exception& e) {
        throw Error(path, std::string("corrupt journal: ") + e.what());
    }
}

void PublisherState::write_journal(const Journal& journal) const {
    nlohmann::json json = {{"version", journal.version},
                           {"adding", journal.adding},
                           {"manifest_body", journal.manifest_body},
                           {"replacing", journal.replacing}};
    if (journal.revision_time)
        json["revision_time"] = *journal.revision_time;
    write_atomically(directory_ + "/journal.json", json.dump(2) + "\n");
}

void PublisherState::clear_journal() const {
    fs::remove(directory_ + "/journal.json");
    fsync_directory(directory_);
}

void PublisherState::write_report(const nlohmann::json& report) const {
    write_atomically(directory_ + "/last-run.json", report.dump(2) + "\n");
}

} // namespace squashpub::publisher
