#pragma once
// Current aliases (issue #13): ${repo}-current.sqfs and
// ${repo}-current.${infix}.sqfs name the current image of a flavor. Each
// listed one must list the same hash as that image and serve those bytes:
//   ${repo}-current.sqfs            -> ${repo}-${version}.sqfs
//   ${repo}-current.${infix}.sqfs   -> ${repo}-${version}.${infix}.sqfs when
//                                      listed, else the main image under an
//                                      operator-chosen infix (Gentoo's
//                                      gentoo-current.lzo.sqfs)
// In a directory mirror an alias may be a symbolic link. It is read with
// readlinkat, never followed: its target must be a plain file name that
// the manifest lists, and that file is opened without following links, so
// a link to ../, to /etc/passwd or to another link is a failed check and
// nothing outside the directory is ever read. Over http the server follows
// links; what it serves is hashed.

#include "verifier/fetcher.hpp"
#include "verifier/report.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace squashpub::verifier {

using AliasResult = std::function<void(const std::string& id, Status status,
                                       const std::string& file, const std::string& message)>;

// The listed flavor images of the current version:
// ${repo}-${version}.${flavor}.sqfs with a name of the flavor grammar.
std::vector<std::string> current_flavor_images(const std::map<std::string, std::string>& digests,
                                               const std::string& repo, const std::string& version);

// Whether name is a current alias of repo.
bool is_current_alias(const std::string& repo, const std::string& name);

// Checks every alias of repo that digests lists against the current
// version; fetched content goes to scratch_dir and is removed once hashed.
// Returns the bytes downloaded.
uint64_t check_current_aliases(Fetcher& fetcher, const std::string& scratch_dir, uint64_t max_bytes,
                               const std::map<std::string, std::string>& digests,
                               const std::string& repo, const std::string& version,
                               const AliasResult& result);

} // namespace squashpub::verifier
