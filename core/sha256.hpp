#pragma once
// One-shot SHA-256 (OpenSSL EVP), for content-addressed caches.

#include <cstddef>
#include <string>

namespace squashpub {

// The 32-byte binary digest.
std::string sha256_digest(const void* data, size_t size);

} // namespace squashpub
