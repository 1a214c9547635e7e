#include "publisher/shared_mirror.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "publisher/shared_manifest.hpp"
#include "publisher/signer.hpp"

#include <fcntl.h>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace fs = std::filesystem;

namespace squashpub::publisher {
namespace {

std::string join(const std::set<std::string>& names) {
    std::string text;
    for (const std::string& name : names)
        text += (text.empty() ? "" : ", ") + name;
    return text;
}

void check_prefixes(const config::PublisherConfig& config, const std::set<std::string>& others) {
    for (const std::string& other : others)
        if (other.rfind(config.repo + "-", 0) == 0 || config.repo.rfind(other + "-", 0) == 0)
            throw Error(config.mirror_dir,
                        "repository '" + config.repo + "' (" + config.file +
                            ") cannot share this mirror with '" + other +
                            "': clients match Current: tokens by the prefix \"${repo}-\" and "
                            "would mistake one for the other; use another name or mirror_dir");
}

// One manifest carries one signature, so every repository on it must be
// signed (or left unsigned) the same way.
void check_same_signing(const config::PublisherConfig& config, const std::string& live_text,
                        const std::set<std::string>& others) {
    const std::string who = "the manifest shared with " + join(others);
    const bool live_signed = is_clearsigned(live_text);
    if (live_signed && !config.signing)
        throw Error(config.mirror_dir, who + " is signed, but " + config.file +
                                           " has \"signing\": null; one manifest has one "
                                           "signature: configure the same key");
    if (!live_signed && config.signing)
        throw Error(config.mirror_dir, who + " is unsigned, but " + config.file +
                                           " signs; one manifest has one signature: sign "
                                           "every repository of this mirror with the same key");
    std::string signer;
    if (live_signed && !signed_by_key(*config.signing, live_text, &signer))
        throw Error(config.mirror_dir,
                    who + " is signed by " + (signer.empty() ? "an unknown key" : signer) +
                        ", not by signing key " + config.signing->key + " of " + config.file +
                        "; one manifest has one signature: use the same key for every "
                        "repository of this mirror");
}

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

void claim(const config::PublisherConfig& config, const std::string& key, const std::string& dir,
           const char* name) {
    const std::string marker = dir + "/" + name;
    if (fs::exists(marker))
        return;
    fs::create_directories(dir);
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
    // link() fails if another repository's run claimed it meanwhile.
    const int linked = ::link(temp.c_str(), marker.c_str());
    const int link_errno = errno;
    std::remove(temp.c_str());
    if (linked != 0 && link_errno != EEXIST) {
        errno = link_errno;
        throw_errno(marker, "cannot create");
    }
    fsync_directory(dir);
    if (marker_repo(marker) != config.repo)
        check_private_role(config, key, dir, std::string(name) == kArchiveMarker);
}

} // namespace

std::set<std::string> other_repositories(const Mirror& mirror, const std::string& repo) {
    std::set<std::string> repos;
    if (std::optional<std::string> text = mirror.live_text())
        repos = repositories_in(signed_part(*text));
    for (const std::string& name : mirror.files())
        if (name.ends_with(".sqfs") && !parse_own_name(repo, name))
            if (const size_t dash = name.rfind('-'); dash != std::string::npos && dash > 0)
                repos.insert(name.substr(0, dash));
    repos.erase(repo);
    return repos;
}

std::string manifest_text(const config::PublisherConfig& config, const Mirror& mirror,
                          const Manifest& ours) {
    const std::string body =
        merged_body(signed_part(mirror.live_text().value_or("")), ours, config.repo);
    return config.signing ? clearsign(*config.signing, body, ours.current) : body;
}

void check_mirror_sharing(const config::PublisherConfig& config, const Mirror& mirror) {
    check_prefixes(config, other_repositories(mirror, config.repo));
    std::optional<std::string> live_text = mirror.live_text();
    if (!live_text)
        return;
    std::set<std::string> sharing = repositories_in(signed_part(*live_text));
    sharing.erase(config.repo);
    if (!sharing.empty())
        check_same_signing(config, *live_text, sharing);
}

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
