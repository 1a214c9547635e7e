#pragma once
// Where a published tree is read from: a local directory, or an http(s)
// URL through libcurl (timeouts, retries with backoff, resumed partial
// downloads, TLS verification on). Every fetch hashes while it streams, so
// no image is ever held in memory.
//
// Everything served is hostile: names must already be plain file names
// (core/safe_name), every fetch has a byte limit, http transfers a
// deadline and a minimum average speed, redirects stay on http(s), and a
// directory mirror's files are opened relative to the directory without
// following links, and only if they are regular files.

#include "core/files.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>

namespace squashpub::verifier {

// The mirror cannot be reached at all (exit code 3), as opposed to a file
// that is missing or wrong on a reachable mirror.
class UnreachableError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct Fetched {
    std::string path;   // a local file holding the content
    std::string sha512; // of that content
    uint64_t bytes = 0;
    uint64_t downloaded = 0; // bytes transferred for it (0 for a directory)
};

class Fetcher {
  public:
    virtual ~Fetcher() = default;
    // The file's content in a local file of scratch_dir (downloaded, or
    // copied from a directory mirror while it is hashed, so that a mirror
    // rewriting it in place cannot change what was checked), refused as
    // soon as it passes max_bytes. name must be a
    // plain file name. Throws Error naming the file and the problem
    // (missing, not a regular file, too large, HTTP status, truncated,
    // too slow, out of time), or UnreachableError.
    virtual Fetched fetch(const std::string& name, const std::string& scratch_dir,
                          uint64_t max_bytes) = 0;
    // A directory mirror's symbolic link at name: its target text, read
    // with readlinkat and never followed; nullopt when name is not a link,
    // or for http (where the server follows links). name must be a plain
    // file name.
    virtual std::optional<std::string> link_target(const std::string& name) const;
    // Names in the tree, when it can be listed (directories); nullopt for http.
    virtual std::optional<std::set<std::string>> list() const = 0;
    virtual std::string describe(const std::string& name) const = 0;
};

using Clock = std::chrono::steady_clock;

struct HttpOptions {
    unsigned retries = 3;          // attempts after the first
    unsigned connect_timeout = 15; // seconds
    unsigned stall_timeout = 30;   // seconds below 1 KiB/s
    unsigned backoff_ms = 500;     // doubled after each failed attempt
    // A transfer whose average speed since its start falls below this
    // (after the grace period) is abandoned: a trickle cannot keep a run
    // alive by sending just enough to defeat the stall check.
    uint64_t min_speed = 16 * 1024; // bytes per second; 0: no minimum
    unsigned speed_grace = 5;       // seconds
    long max_redirects = 5;         // to http or https only
    // Every fetch, retries included, ends by then.
    std::optional<Clock::time_point> deadline;
};

// A directory path, or an http:// or https:// URL.
std::unique_ptr<Fetcher> make_fetcher(const std::string& source, const HttpOptions& http = {});

} // namespace squashpub::verifier
