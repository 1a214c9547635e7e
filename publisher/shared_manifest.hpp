#pragma once
// One sha512sum.txt serves every repository of a shared mirror (spec §7.4):
// each run replaces only its own repository's lines and Current: token and
// keeps every other line byte for byte. A line is this repository's only
// by an exact parse of its name (${repo}-${version}.sqfs or
// ${repo}-${old}-${new}.sqdelta with versions of the name grammar, or a
// ${repo}-current[.${infix}].sqfs alias; a flavor image
// ${repo}-${version}.${flavor}.sqfs parses as a snapshot), never
// by a bare "${repo}-" prefix, so that gentoo never claims gentoo-kde's
// files.

#include "publisher/manifest.hpp"

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace squashpub::publisher {

struct OwnName {
    bool is_delta = false;
    std::string version;   // snapshot version, or the delta's target
    std::string from;      // the delta's source version
    bool is_alias = false; // ${repo}-current[.${infix}].sqfs (version "current")
};

// The parse of a published file name as one of repo's, if it is one.
std::optional<OwnName> parse_own_name(const std::string& repo, const std::string& name);

// The part of sha512sum.txt covered by its clearsignature (dash-escapes
// undone), or the whole text when it is not clearsigned.
std::string signed_part(const std::string& text);
bool is_clearsigned(const std::string& text);

// This repository's Current: token and files in a manifest body; current
// is empty when it has none.
Manifest own_part(const std::string& body, const std::string& repo);

// The repository names a body announces in its Current: tokens.
std::set<std::string> repositories_in(const std::string& body);

// The body to publish: every line of other repositories from the live
// body, byte for byte, plus ours. Current: lines first, then the checksum
// lines sorted by name, then anything else the live body had, in order;
// for a single repository exactly Manifest::body().
std::string merged_body(const std::string& live_body, const Manifest& ours,
                        const std::string& repo);

} // namespace squashpub::publisher
