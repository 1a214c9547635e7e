#pragma once
// SHA-256 (OpenSSL EVP): one-shot for content-addressed caches, and of a
// whole file where a check of the publisher's own files must be cheap (it
// runs at more than twice SHA-512's speed on CPUs with SHA extensions).

#include <cstddef>
#include <string>

namespace squashpub {

// The 32-byte binary digest.
std::string sha256_digest(const void* data, size_t size);

// Lower-case hex of a whole file's SHA-256, read in chunks.
std::string sha256_of_file(const std::string& path);

} // namespace squashpub
