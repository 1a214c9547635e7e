#include "verifier/accepted_state.hpp"

#include "core/error.hpp"
#include "core/files.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;

namespace squashpub::verifier {
namespace {

constexpr const char* kFormat = "squashpub-verify-state";
constexpr int kVersion = 1;

[[noreturn]] void corrupt(const std::string& path, const std::string& why) {
    throw Error(path, "not a valid squashpub verify state (" + why +
                          "); refusing to replace it: move it away to start afresh, which "
                          "forgets the Dates and versions it protects");
}

UtcTime utc_field(const nlohmann::json& entry, const char* key, const std::string& path) {
    const std::optional<UtcTime> when = parse_utc(entry.at(key).get<std::string>());
    if (!when)
        corrupt(path, std::string("'") + key + "' is not a UTC time");
    return *when;
}

AcceptedRepo repo_from_json(const nlohmann::json& entry, const std::string& path) {
    AcceptedRepo repo;
    if (entry.contains("date") && !entry.at("date").is_null())
        repo.date = utc_field(entry, "date", path);
    repo.current = entry.at("current").get<std::string>();
    if (repo.current.empty())
        corrupt(path, "an empty 'current'");
    repo.replaced = entry.at("replaced").get<std::vector<std::string>>();
    repo.accepted_at = utc_field(entry, "accepted_at", path);
    return repo;
}

nlohmann::json repo_to_json(const AcceptedRepo& repo) {
    return {{"date", repo.date ? nlohmann::json(format_utc(*repo.date)) : nlohmann::json()},
            {"current", repo.current},
            {"replaced", repo.replaced},
            {"accepted_at", format_utc(repo.accepted_at)}};
}

bool date_like(const std::string& version) {
    return version.size() >= 8 && std::all_of(version.begin(), version.end(),
                                              [](unsigned char c) { return std::isdigit(c); });
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return text;
}

// "/a//b/./c/../" and "/a/b" name the same mirror to any web server: one
// key, so that a second spelling does not start from an empty baseline
// (which would accept a rollback). A fragment never reaches the server.
std::string normal_url_path(std::string path) {
    path = path.substr(0, path.find('#'));
    const size_t query = path.find('?');
    const std::string tail = query == std::string::npos ? "" : path.substr(query);
    std::vector<std::string> segments;
    std::istringstream in(path.substr(0, query));
    for (std::string segment; std::getline(in, segment, '/');) {
        if (segment.empty() || segment == ".")
            continue;
        if (segment == "..") {
            if (!segments.empty())
                segments.pop_back();
            continue;
        }
        segments.push_back(segment);
    }
    std::string out;
    for (const std::string& segment : segments)
        out += "/" + segment;
    return out + tail;
}

} // namespace

AcceptedState AcceptedState::load(const std::string& path) {
    AcceptedState state;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        if (!fs::is_directory(parent_directory(path), ec))
            throw Error(path, "its directory does not exist, so the state cannot be created");
        return state;
    }
    const std::string text = read_whole_file(path);
    try {
        const nlohmann::json json = nlohmann::json::parse(text);
        if (json.at("format") != kFormat)
            corrupt(path, "its format is not " + std::string(kFormat));
        if (json.at("version") != kVersion)
            corrupt(path, "version " + json.at("version").dump() + ", this squashpub reads " +
                              std::to_string(kVersion));
        for (const auto& [mirror, repos] : json.at("mirrors").items())
            for (const auto& [name, entry] : repos.items())
                state.mirrors_[mirror][name] = repo_from_json(entry, path);
    } catch (const nlohmann::json::exception& e) {
        corrupt(path, e.what());
    }
    return state;
}

void AcceptedState::save(const std::string& path) const {
    nlohmann::json mirrors = nlohmann::json::object();
    for (const auto& [mirror, repos] : mirrors_)
        for (const auto& [name, repo] : repos)
            mirrors[mirror][name] = repo_to_json(repo);
    const std::string text =
        nlohmann::json{{"format", kFormat}, {"version", kVersion}, {"mirrors", mirrors}}.dump(2) +
        "\n";
    AtomicOutput out(path);
    write_all(out.fd(), text.data(), text.size(), out.temp_path());
    out.commit();
}

const AcceptedRepo* AcceptedState::find(const std::string& mirror, const std::string& repo) const {
    const auto m = mirrors_.find(mirror);
    if (m == mirrors_.end())
        return nullptr;
    const auto r = m->second.find(repo);
    return r == m->second.end() ? nullptr : &r->second;
}

void AcceptedState::accept(const std::string& mirror, const std::string& repo,
                           std::optional<UtcTime> date, const std::string& version, UtcTime now) {
    AcceptedRepo& entry = mirrors_[mirror][repo];
    if (!entry.current.empty() && entry.current != version) {
        std::erase(entry.replaced, entry.current);
        entry.replaced.push_back(entry.current);
        if (entry.replaced.size() > kMaxReplaced)
            entry.replaced.erase(entry.replaced.begin(),
                                 entry.replaced.end() - static_cast<long>(kMaxReplaced));
    }
    entry.current = version;
    entry.date = date;
    entry.accepted_at = now;
}

std::string mirror_key(const std::string& source) {
    const std::string lower = lowercase(source);
    for (const std::string scheme : {"http://", "https://"}) {
        if (lower.rfind(scheme, 0) != 0)
            continue;
        const size_t slash = source.find('/', scheme.size());
        std::string host = lower.substr(scheme.size(), slash - scheme.size());
        // The host follows the last '@' (a password may hold one).
        host = host.substr(host.rfind('@') == std::string::npos ? 0 : host.rfind('@') + 1);
        const std::string default_port = scheme == "http://" ? ":80" : ":443";
        if (host.ends_with(default_port))
            host.resize(host.size() - default_port.size());
        // "mirror.example.org." is the same host (the DNS root spelled out).
        const size_t port = host.rfind(':');
        const size_t name_end =
            port != std::string::npos && host.find(']') == std::string::npos ? port : host.size();
        if (name_end > 1 && host[name_end - 1] == '.')
            host.erase(name_end - 1, 1);
        const std::string rest = slash == std::string::npos ? "" : source.substr(slash);
        return scheme + host + normal_url_path(rest);
    }
    // Lexically only: a mirror directory reached through a symlink that an
    // operator switches between trees is still the same mirror.
    const fs::path path = fs::absolute(source).lexically_normal();
    std::string key = path.string();
    while (key.size() > 1 && key.back() == '/')
        key.pop_back();
    return key;
}

std::string date_rollback(const AcceptedRepo& last, std::optional<UtcTime> date) {
    if (!last.date)
        return "";
    if (!date)
        return "the signed body has no Date:, but the manifest accepted last had Date " +
               format_utc(*last.date) + ": an older manifest replayed";
    if (*date < *last.date)
        return "Date " + format_utc(*date) + " is older than the Date " + format_utc(*last.date) +
               " accepted last: an older manifest replayed (rollback)";
    return "";
}

std::string current_rollback(const AcceptedRepo& last, const std::string& version) {
    if (version == last.current)
        return "";
    if (std::find(last.replaced.begin(), last.replaced.end(), version) != last.replaced.end())
        return "Current: version " + version +
               " was accepted before and has since been replaced (last accepted: " + last.current +
               "): a rollback to an older snapshot";
    if (date_like(version) && date_like(last.current) && version.size() == last.current.size() &&
        version < last.current)
        return "Current: version " + version + " is older than " + last.current +
               ", the version accepted last: a rollback to an older snapshot";
    return "";
}

} // namespace squashpub::verifier
