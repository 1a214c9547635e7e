#pragma once
// A whole file's SHA-256 or SHA-512 (OpenSSL EVP), read in chunks: the one
// reading loop behind sha256_of_file and sha512_of_file.

#include <cstddef>
#include <string>

namespace squashpub {

enum class DigestKind { sha256, sha512 };

// Lower-case hex of a digest's bytes.
std::string hex_of(const unsigned char* bytes, size_t size);

std::string hex_digest_of_file(const std::string& path, DigestKind kind);

} // namespace squashpub
