#pragma once
// The one grammar for repository names and versions. They become file
// names (${repo}-${version}.sqfs, ${repo}-${old}-${new}.sqdelta), Current:
// tokens split on whitespace, and a regex prefix in the client (spec
// §7.1, §7.4), so only names every client can use are accepted:
//   version: letters, digits, '.', '_', '+'; not "." or ".."; no '-' (it
//            separates the parts of a delta name); not "current" (the
//            client's symlink) nor starting with "current." (the
//            publisher's ${repo}-current.${flavor}.sqfs aliases); not
//            ending in .sqfs or .sqdelta.
//   repo:    letters, digits, '_' and '-' (no regex metacharacters: the
//            client matches "^${repo}-" unescaped); not starting or ending
//            with '-'.
//   flavor:  an ASCII letter, then letters and digits, at most 16
//            characters; not "sqfs", "sqdelta" or "current". A flavor image
//            is ${repo}-${version}.${flavor}.sqfs: a flavor is one
//            dot-free component, so the publisher can refuse any version
//            ending in ".${flavor}" (publisher/flavors).
// Repository names and versions are ASCII, 1 to 64 characters.

#include <optional>
#include <string>

namespace squashpub {

// "" when valid, else what is wrong (for a message naming the key or flag).
std::string version_problem(const std::string& version);
std::string repo_name_problem(const std::string& repo);
std::string flavor_name_problem(const std::string& flavor);

// ${repo}-current.sqfs, or ${repo}-current.${infix}.sqfs for a flavor
// (or the main image's configured infix).
std::string current_alias_name(const std::string& repo, const std::string& infix = "");
// The infix of a current alias of repo ("" for ${repo}-current.sqfs), or
// nullopt when name is not one.
std::optional<std::string> current_alias_infix(const std::string& repo, const std::string& name);

// Throws a UsageError naming `where` (a file, "--version", ...) and `what`.
void require_valid_version(const std::string& version, const std::string& where);
void require_valid_repo_name(const std::string& repo, const std::string& where);

} // namespace squashpub
