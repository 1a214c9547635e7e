#include "publisher/shared_manifest.hpp"

#include "core/names.hpp"
#include "publisher/freshness.hpp"

#include <algorithm>
#include <map>
#include <sstream>

namespace squashpub::publisher {
namespace {

const std::string kSignedHeader = "-----BEGIN PGP SIGNED MESSAGE-----";
const std::string kSignatureHeader = "-----BEGIN PGP SIGNATURE-----";

bool valid_version(const std::string& version) {
    return version_problem(version).empty();
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        lines.push_back(line);
    return lines;
}

// The client's checksum line (spec §7.2): 128 hex digits, whitespace, name.
std::optional<std::string> checksum_name(const std::string& line) {
    if (line.size() < 130)
        return std::nullopt;
    for (size_t i = 0; i < 128; ++i)
        if (!std::isxdigit(static_cast<unsigned char>(line[i])))
            return std::nullopt;
    if (line[128] != ' ' && line[128] != '\t')
        return std::nullopt;
    size_t start = 129;
    while (start < line.size() && (line[start] == ' ' || line[start] == '\t'))
        ++start;
    return line.substr(start);
}

// Spec §7.4: a line containing "current:" in any case carries tokens.
std::optional<size_t> current_marker(const std::string& line) {
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const size_t at = lower.find("current:");
    if (at == std::string::npos)
        return std::nullopt;
    return at + 8;
}

std::vector<std::string> tokens_after(const std::string& line, size_t at) {
    std::istringstream in(line.substr(at));
    std::vector<std::string> tokens;
    for (std::string token; in >> token;)
        tokens.push_back(token);
    return tokens;
}

bool is_own_token(const std::string& token, const std::string& repo) {
    return token.rfind(repo + "-", 0) == 0 && valid_version(token.substr(repo.size() + 1));
}

} // namespace

std::optional<OwnName> parse_own_name(const std::string& repo, const std::string& name) {
    const std::string prefix = repo + "-";
    if (name.rfind(prefix, 0) != 0)
        return std::nullopt;
    if (current_alias_infix(repo, name))
        return OwnName{false, "current", "", true};
    const std::string rest = name.substr(prefix.size());
    if (rest.ends_with(".sqfs")) {
        const std::string version = rest.substr(0, rest.size() - 5);
        if (!valid_version(version))
            return std::nullopt;
        return OwnName{false, version, ""};
    }
    if (!rest.ends_with(".sqdelta"))
        return std::nullopt;
    const std::string pair = rest.substr(0, rest.size() - 8);
    const size_t dash = pair.find('-');
    if (dash == std::string::npos)
        return std::nullopt;
    const std::string from = pair.substr(0, dash), to = pair.substr(dash + 1);
    if (!valid_version(from) || !valid_version(to))
        return std::nullopt;
    return OwnName{true, to, from};
}

bool is_clearsigned(const std::string& text) {
    return text.rfind(kSignedHeader + "\n", 0) == 0;
}

std::string signed_part(const std::string& text) {
    if (!is_clearsigned(text))
        return text;
    std::vector<std::string> lines = lines_of(text);
    size_t i = 1;
    while (i < lines.size() && !lines[i].empty()) // armor headers ("Hash: ...")
        ++i;
    std::string body;
    for (++i; i < lines.size() && lines[i] != kSignatureHeader; ++i)
        body += (lines[i].rfind("- ", 0) == 0 ? lines[i].substr(2) : lines[i]) + "\n";
    return body;
}

Manifest own_part(const std::string& body, const std::string& repo) {
    Manifest own;
    for (const std::string& line : lines_of(body)) {
        if (std::optional<std::string> name = checksum_name(line)) {
            if (parse_own_name(repo, *name))
                own.files[*name] = line.substr(0, 128);
        } else if (std::optional<size_t> at = current_marker(line); at && own.current.empty()) {
            for (const std::string& token : tokens_after(line, *at))
                if (own.current.empty() && is_own_token(token, repo))
                    own.current = token;
        }
    }
    return own;
}

std::set<std::string> repositories_in(const std::string& body) {
    std::set<std::string> repos;
    for (const std::string& line : lines_of(body))
        if (!checksum_name(line))
            if (std::optional<size_t> at = current_marker(line))
                for (const std::string& token : tokens_after(line, *at))
                    if (const size_t dash = token.rfind('-'); dash != std::string::npos && dash > 0)
                        repos.insert(token.substr(0, dash));
    return repos;
}

std::string merged_body(const std::string& live_body, const Manifest& ours,
                        const std::string& repo) {
    std::vector<std::string> currents = {"Current: " + ours.current};
    std::map<std::string, std::string> checksums; // name -> line
    std::vector<std::string> others;
    for (const std::string& line : lines_of(live_body)) {
        if (std::optional<std::string> name = checksum_name(line)) {
            if (!parse_own_name(repo, *name))
                checksums[*name] = line;
        } else if (std::optional<size_t> at = current_marker(line)) {
            // Another repository's token shares a line with ours: keep its
            // tokens on a line of their own.
            std::vector<std::string> tokens = tokens_after(line, *at);
            if (std::none_of(tokens.begin(), tokens.end(),
                             [&](const std::string& t) { return is_own_token(t, repo); })) {
                currents.push_back(line);
                continue;
            }
            std::string kept;
            for (const std::string& token : tokens)
                if (!is_own_token(token, repo))
                    kept += " " + token;
            if (!kept.empty())
                currents.push_back("Current:" + kept);
        } else if (!line.empty() && !is_freshness_line(line)) { // this run writes its own
            others.push_back(line);
        }
    }
    for (const auto& [name, hash] : ours.files)
        checksums[name] = hash + "  " + name;
    std::sort(currents.begin(), currents.end());
    std::string text;
    for (const std::string& line : currents)
        text += line + "\n";
    for (const auto& [name, line] : checksums)
        text += line + "\n";
    for (const std::string& line : others)
        text += line + "\n";
    return text;
}

} // namespace squashpub::publisher
