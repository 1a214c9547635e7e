#include "publisher/directory_roles.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "publisher/crash_point.hpp"
#include "publisher/manifest.hpp"

#include <fcntl.h>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace fs = std::filesystem;

namespace squashpub::publisher {
namespace {

// Directory roles (issue #11, F7): what each kind of directory holds, so
// that one config's mirror_dir is never another's archive_dir or state_dir.
const char* kArchiveMarker = ".squashpub-archive";
const char* kStateMarker = ".squashpub-state";

bool is_plain_file(const fs::path& path) {
    std::error_code error;
    return fs::is_regular_file(path, error);
}

bool is_plain_directory(const fs::path& path) {
    std::error_code error;
    return fs::is_directory(path, error);
}

// The repository a marker names; "" when it is unreadable.
std::string marker_repo(const fs::path& marker) {
    try {
        return nlohmann::json::parse(read_whole_file(marker)).at("repo").get<std::string>();
    } catch (const std::exception&) {
        return "";
    }
}

// The "repo" of an archive index (index.json), nullopt when the file is no
// archive index.
std::optional<std::string> index_repo(const fs::path& index) {
    if (!is_plain_file(index))
        return std::nullopt;
    try {
        const nlohmann::json json = nlohmann::json::parse(read_whole_file(index));
        if (!json.is_object() || !json.contains("versions"))
            return std::nullopt;
        return json.value("repo", std::string());
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// The repository of the newest recorded manifest of a state directory.
std::string state_manifest_repo(const fs::path& state, const std::string& repo) {
    fs::path newest;
    std::error_code error;
    for (const auto& item : fs::directory_iterator(state / "manifests", error)) {
        const std::string name = item.path().filename();
        if (name.size() == 10 && name.ends_with(".txt") && item.path() > newest)
            newest = item.path();
    }
    if (newest.empty())
        return "";
    const std::string text = read_whole_file(newest);
    const size_t at = text.find("Current: ");
    if (at == std::string::npos)
        return "";
    const std::string token = text.substr(at + 9, text.find_first_of(" \n", at + 9) - at - 9);
    if (token.rfind(repo + "-", 0) == 0)
        return repo;
    const size_t dash = token.rfind('-');
    return dash == std::string::npos ? token : token.substr(0, dash);
}

// What in `dir` belongs to a publisher's private archive; "" if nothing.
std::string archive_content(const fs::path& dir) {
    if (fs::exists(dir / kArchiveMarker))
        return std::string(kArchiveMarker) + " (the archive_dir of repository '" +
               marker_repo(dir / kArchiveMarker) + "')";
    if (std::optional<std::string> repo = index_repo(dir / "index.json"))
        return "index.json (the archive index of repository '" + *repo + "')";
    return "";
}

// What in `dir` belongs to a publisher's state directory; "" if nothing.
std::string state_content(const fs::path& dir) {
    if (fs::exists(dir / kStateMarker))
        return std::string(kStateMarker) + " (the state_dir of repository '" +
               marker_repo(dir / kStateMarker) + "')";
    if (is_plain_file(dir / "journal.json"))
        return "journal.json (a publisher's journal)";
    if (is_plain_directory(dir / "manifests") && is_plain_file(dir / "lock"))
        return "lock and manifests/ (a publisher's state_dir)";
    return "";
}

std::string mirror_content(const fs::path& dir) {
    if (is_plain_file(dir / kManifestName))
        return std::string(kManifestName) + " (a published mirror_dir)";
    return "";
}

[[noreturn]] void refuse(const config::PublisherConfig& config, const std::string& key,
                         const std::string& dir, const std::string& found, const std::string& why) {
    throw UsageError(dir, key + " of " + config.file + " (repository '" + config.repo +
                              "') holds " + found + "; " + why +
                              ": check the config's directories");
}

void check_mirror_role(const config::PublisherConfig& config) {
    const std::string& dir = config.mirror_dir;
    const char* why = "the mirror is public and must not be another config's private directory";
    if (std::string found = archive_content(dir); !found.empty())
        refuse(config, "mirror_dir", dir, found, why);
    if (std::string found = state_content(dir); !found.empty())
        refuse(config, "mirror_dir", dir, found, why);
}

// An archive_dir or state_dir: private and of one repository.
void check_private_role(const config::PublisherConfig& config, const std::string& key,
                        const std::string& dir, bool archive) {
    if (std::string found = mirror_content(dir); !found.empty())
        refuse(config, key, dir, found, "a private directory must not be a mirror");
    const std::string other = archive ? state_content(dir) : archive_content(dir);
    if (!other.empty())
        refuse(config, key, dir, other, std::string("it must not be another role's directory"));
    const fs::path marker = fs::path(dir) / (archive ? kArchiveMarker : kStateMarker);
    std::string owner;
    std::string found;
    if (fs::exists(marker)) {
        owner = marker_repo(marker);
        found = marker.filename().string() + " naming repository '" + owner + "'";
    } else if (archive) {
        owner = index_repo(fs::path(dir) / "index.json").value_or("");
        found = "index.json of repository '" + owner + "'";
    } else {
        owner = state_manifest_repo(dir, config.repo);
        found = "manifests/ of repository '" + owner + "'";
    }
    if (!owner.empty() && owner != config.repo)
        refuse(config, key, dir, found,
               std::string(archive ? "archives" : "state directories") +
                   " are per repository (only mirror_dir may be shared)");
    if (fs::exists(marker) && owner.empty())
        refuse(config, key, dir, marker.filename().string() + " that names no repository",
               "remove it if this directory is " + config.repo + "'s");
}

// A run killed between writing a marker's temporary file and linking it
// leaves "NAME.tmp-PID" behind; the next claim removes such leftovers.
void remove_stale_marker_temps(const std::string& dir, const std::string& name) {
    const std::string prefix = name + ".tmp-";
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(dir, error))
        if (entry.path().filename().string().starts_with(prefix))
            fs::remove(entry.path(), error);
}

void claim(const config::PublisherConfig& config, const std::string& key, const std::string& dir,
           const char* name) {
    const std::string marker = dir + "/" + name;
    if (fs::exists(marker))
        return;
    fs::create_directories(dir);
    remove_stale_marker_temps(dir, name);
    const std::string temp = marker + ".tmp-" + std::to_string(::getpid());
    const std::string text = nlohmann::json{{"role", key}, {"repo", config.repo}}.dump() + "\n";
    {
        UniqueFd out(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!out)
            throw_errno(temp, "cannot create");
        write_all(out.get(), text.data(), text.size(), temp);
        if (::fsync(out.get()) != 0)
            throw_errno(temp, "cannot fsync");
    }
    crash_point("marker-written");
    // link() fails if another repository's run claimed it meanwhile.
    const int linked = ::link(temp.c_str(), marker.c_str());
    const int link_errno = errno;
    std::remove(temp.c_str());
    if (linked != 0 && link_errno != EEXIST) {
        errno = link_errno;
        throw_errno(marker, "cannot create");
    }
    fsync_directory(dir);
    crash_point("marker-linked");
    if (marker_repo(marker) != config.repo)
        check_private_role(config, key, dir, std::string(name) == kArchiveMarker);
}

} // namespace

void check_directory_roles(const config::PublisherConfig& config) {
    check_mirror_role(config);
    check_private_role(config, "archive_dir", config.archive_dir, true);
    check_private_role(config, "state_dir", config.state_dir, false);
}

void claim_directory_roles(const config::PublisherConfig& config) {
    claim(config, "archive_dir", config.archive_dir, kArchiveMarker);
    claim(config, "state_dir", config.state_dir, kStateMarker);
}

} // namespace squashpub::publisher
