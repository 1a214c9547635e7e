#include "publisher/mirror.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "publisher/shared_manifest.hpp"

#include <cstdio>
#include <filesystem>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace squashpub::publisher {

Mirror::Mirror(std::string directory) : directory_(std::move(directory)) {
    fs::create_directories(directory_);
}

std::set<std::string> Mirror::files() const {
    std::set<std::string> names;
    for (const auto& item : fs::directory_iterator(directory_)) {
        const std::string name = item.path().filename();
        // Links too: a current alias (publisher/current_aliases) is one.
        if (name.front() != '.' && (item.is_regular_file() || item.is_symlink()))
            names.insert(name);
    }
    return names;
}

std::optional<std::string> Mirror::live_text() const {
    const std::string manifest_path = path(kManifestName);
    if (!fs::exists(manifest_path))
        return std::nullopt;
    return read_whole_file(manifest_path);
}

std::optional<Manifest> Mirror::live_manifest(const std::string& repo) const {
    std::optional<std::string> text = live_text();
    if (!text)
        return std::nullopt;
    Manifest own = own_part(signed_part(*text), repo);
    if (own.current.empty())
        return std::nullopt;
    return own;
}

void Mirror::move_in(const std::string& staged_path, const std::string& name) const {
    if (std::rename(staged_path.c_str(), path(name).c_str()) != 0)
        throw_errno(path(name), "cannot move " + staged_path + " into the mirror");
}

void Mirror::publish_manifest(const std::string& text) const {
    AtomicOutput out(path(kManifestName));
    write_all(out.fd(), text.data(), text.size(), out.temp_path());
    out.commit();
}

void Mirror::remove(const std::vector<std::string>& names) const {
    for (const std::string& name : names)
        if (std::remove(path(name).c_str()) != 0 && errno != ENOENT)
            throw_errno(path(name), "cannot remove");
    sync();
}

void Mirror::sync() const {
    fsync_directory(directory_);
}

std::string Mirror::staging_root(const std::string& state_dir, const std::string& repo) const {
    struct stat mirror_stat, state_stat;
    const std::string in_state = state_dir + "/staging";
    fs::create_directories(in_state);
    if (::stat(directory_.c_str(), &mirror_stat) == 0 &&
        ::stat(in_state.c_str(), &state_stat) == 0 && mirror_stat.st_dev == state_stat.st_dev)
        return in_state;
    // One per repository: a shared mirror's runs each clear their own.
    const std::string hidden = directory_ + "/.squashpub-staging-" + repo;
    fs::create_directories(hidden);
    return hidden;
}

} // namespace squashpub::publisher
