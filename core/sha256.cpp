#include "core/sha256.hpp"

#include "core/error.hpp"
#include "core/file_digest.hpp"

#include <openssl/evp.h>

namespace squashpub {

std::string sha256_digest(const void* data, size_t size) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data, size, digest, &length, EVP_sha256(), nullptr) != 1)
        throw Error("OpenSSL", "SHA-256 failed");
    return std::string(reinterpret_cast<char*>(digest), length);
}

std::string sha256_of_file(const std::string& path) {
    return hex_digest_of_file(path, DigestKind::sha256);
}

} // namespace squashpub
