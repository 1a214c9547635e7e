#pragma once
// Replays the client against a published tree and runs every check of the
// specification's verifier list (§8, items 1-22): manifest form, OpenPGP
// signature and trusted body, Current:, every listed file's hash, unlisted
// files, every delta applied with the independent applier, and the
// initial sync (full snapshot opened and walked with libsquashfs).

#include "verifier/freshness_check.hpp"
#include "verifier/report.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::verifier {

enum class OpenPgpMode { no, yes, required };

struct VerifyOptions {
    std::string source; // directory or http(s) URL
    // The repositories to check; empty: every one the trusted body's
    // Current: tokens name (${repo}-${version}, split at the last '-').
    std::vector<std::string> repos;
    std::optional<std::string> keyring;
    OpenPgpMode openpgp = OpenPgpMode::no;
    // Where else old images for delta sources may be found, as
    // ${repo}-${version}.sqfs (a client cache, the publisher's archive).
    std::vector<std::string> image_dirs;
    unsigned jobs = 0;
    std::string temp_dir;
    // Caps on what a hostile mirror can make the run do.
    uint64_t max_manifest_bytes = 16ull << 20;
    uint64_t max_file_bytes = 4ull << 30; // the SquashFS image limit
    unsigned timeout_seconds = 3600;      // the whole run; 0: none
    uint64_t min_speed = 16 * 1024;       // bytes/s, averaged over a transfer
    long max_redirects = 5;
    FreshnessOptions freshness; // --max-age, --state
};

// Throws UnreachableError when sha512sum.txt cannot be fetched at all.
Report verify_mirror(const VerifyOptions& options);

} // namespace squashpub::verifier
