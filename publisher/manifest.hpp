#pragma once
// sha512sum.txt (spec §7.2-7.4): GNU sha512sum lines in text mode (two
// spaces, LF, plain names), sorted by name, plus a `Current:` line, all in
// the part an OpenPGP clearsignature covers.

#include <map>
#include <set>
#include <string>

namespace squashpub::publisher {

inline constexpr const char* kManifestName = "sha512sum.txt";

struct Manifest {
    std::string current;                      // "${repo}-${version}"
    std::map<std::string, std::string> files; // name -> SHA-512 hex, sorted bytewise

    // The listed file names.
    std::set<std::string> names() const;
    // "Current: NAME\n" then "HASH  NAME\n" per file.
    std::string body() const;
    // Parses a body (or a whole clearsigned file) the way the client does:
    // checksum lines anywhere, the first `Current:` token.
    static Manifest parse(const std::string& text, const std::string& subject);
};

} // namespace squashpub::publisher
