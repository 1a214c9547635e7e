#include "core/names.hpp"

#include "core/error.hpp"

#include <cctype>
#include <cstdio>

namespace squashpub {
namespace {

constexpr size_t kMaxNameLength = 64;

bool is_ascii_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Control characters, spaces and non-UTF-8 bytes are shown escaped.
std::string printable(const std::string& text) {
    std::string out;
    for (unsigned char c : text) {
        if (c >= 0x21 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02x", c);
            out += hex;
        }
    }
    return out;
}

std::string first_bad_character(const std::string& name, const std::string& allowed_punct) {
    for (char c : name)
        if (!is_ascii_alnum(c) && allowed_punct.find(c) == std::string::npos)
            return "contains " + printable(std::string(1, c));
    return "";
}

} // namespace

std::string version_problem(const std::string& version) {
    if (version.empty())
        return "is empty";
    if (version.size() > kMaxNameLength)
        return "is longer than 64 characters";
    if (std::string bad = first_bad_character(version, "._+"); !bad.empty())
        return bad + "; versions use letters, digits, '.', '_' and '+' only";
    if (version == "." || version == "..")
        return "is not a usable name";
    if (version == "current")
        return "is reserved (clients keep a ${repo}-current.sqfs symlink)";
    if (version.starts_with("current."))
        return "starts with \"current.\", reserved for the ${repo}-current.${flavor}.sqfs aliases";
    if (version.ends_with(".sqfs") || version.ends_with(".sqdelta"))
        return "ends in .sqfs or .sqdelta, which would make published names ambiguous";
    return "";
}

std::string repo_name_problem(const std::string& repo) {
    if (repo.empty())
        return "is empty";
    if (repo.size() > kMaxNameLength)
        return "is longer than 64 characters";
    if (std::string bad = first_bad_character(repo, "_-"); !bad.empty())
        return bad + "; repository names use letters, digits, '_' and '-' only (clients match "
                     "\"^${repo}-\" as an unescaped regex)";
    if (repo.front() == '-' || repo.back() == '-')
        return "starts or ends with '-'";
    return "";
}

std::string flavor_name_problem(const std::string& flavor) {
    if (flavor.empty())
        return "is empty";
    if (flavor.size() > 16)
        return "is longer than 16 characters";
    if (!std::isalpha(static_cast<unsigned char>(flavor.front())) ||
        !is_ascii_alnum(flavor.front()))
        return "does not start with a letter";
    if (std::string bad = first_bad_character(flavor, ""); !bad.empty())
        return bad + "; flavor names use letters and digits only (they are one component of "
                     "${repo}-${version}.${flavor}.sqfs)";
    if (flavor == "sqfs" || flavor == "sqdelta" || flavor == "current")
        return "is reserved (it would make published names ambiguous)";
    return "";
}

std::string current_alias_name(const std::string& repo, const std::string& infix) {
    return repo + "-current" + (infix.empty() ? "" : "." + infix) + ".sqfs";
}

std::optional<std::string> current_alias_infix(const std::string& repo, const std::string& name) {
    const std::string prefix = repo + "-current";
    if (!name.starts_with(prefix) || !name.ends_with(".sqfs"))
        return std::nullopt;
    const std::string middle = name.substr(prefix.size(), name.size() - prefix.size() - 5);
    if (middle.empty())
        return "";
    if (middle.front() != '.' || !flavor_name_problem(middle.substr(1)).empty())
        return std::nullopt;
    return middle.substr(1);
}

void require_valid_version(const std::string& version, const std::string& where) {
    if (std::string problem = version_problem(version); !problem.empty())
        throw UsageError(where, "version '" + printable(version) + "' " + problem);
}

void require_valid_repo_name(const std::string& repo, const std::string& where) {
    if (std::string problem = repo_name_problem(repo); !problem.empty())
        throw UsageError(where, "repository name '" + printable(repo) + "' " + problem);
}

} // namespace squashpub
