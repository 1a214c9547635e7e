#pragma once
// Where a published tree is read from: a local directory, or an http(s)
// URL through libcurl (timeouts, retries with backoff, resumed partial
// downloads, TLS verification on). Every fetch hashes while it streams, so
// no image is ever held in memory.

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
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
    // The file's content in a local file (downloaded into scratch_dir if
    // remote). Throws Error naming the file and the problem (missing, HTTP
    // status, truncated), or UnreachableError.
    virtual Fetched fetch(const std::string& name, const std::string& scratch_dir) = 0;
    // Names in the tree, when it can be listed (directories); nullopt for http.
    virtual std::optional<std::set<std::string>> list() const = 0;
    virtual std::string describe(const std::string& name) const = 0;
};

struct HttpOptions {
    unsigned retries = 3;          // attempts after the first
    unsigned connect_timeout = 15; // seconds
    unsigned stall_timeout = 30;   // seconds below 1 KiB/s
    unsigned backoff_ms = 500;     // doubled after each failed attempt
};

// A directory path, or an http:// or https:// URL.
std::unique_ptr<Fetcher> make_fetcher(const std::string& source, const HttpOptions& http = {});

} // namespace squashpub::verifier
