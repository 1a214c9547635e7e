#pragma once
// The one grammar for repository names and versions. They become file
// names (${repo}-${version}.sqfs, ${repo}-${old}-${new}.sqdelta), Current:
// tokens split on whitespace, and a regex prefix in the client (spec
// §7.1, §7.4), so only names every client can use are accepted:
//   version: letters, digits, '.', '_', '+'; not "." or ".."; no '-' (it
//            separates the parts of a delta name); not "current" (the
//            client's symlink); not ending in .sqfs or .sqdelta.
//   repo:    letters, digits, '_' and '-' (no regex metacharacters: the
//            client matches "^${repo}-" unescaped); not starting or ending
//            with '-'.
// Both are ASCII, 1 to 64 characters.

#include <string>

namespace squashpub {

// "" when valid, else what is wrong (for a message naming the key or flag).
std::string version_problem(const std::string& version);
std::string repo_name_problem(const std::string& repo);

// Throws a UsageError naming `where` (a file, "--version", ...) and `what`.
void require_valid_version(const std::string& version, const std::string& where);
void require_valid_repo_name(const std::string& repo, const std::string& where);

} // namespace squashpub
