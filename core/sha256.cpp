#include "core/sha256.hpp"

#include "core/error.hpp"
#include "core/files.hpp"

#include <memory>
#include <openssl/evp.h>
#include <vector>

namespace squashpub {

std::string sha256_digest(const void* data, size_t size) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data, size, digest, &length, EVP_sha256(), nullptr) != 1)
        throw Error("OpenSSL", "SHA-256 failed");
    return std::string(reinterpret_cast<char*>(digest), length);
}

std::string sha256_of_file(const std::string& path) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
    if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1)
        throw Error("OpenSSL", "cannot start SHA-256");
    UniqueFd fd = open_for_reading(path);
    std::vector<char> buffer(1 << 20);
    for (uint64_t offset = 0;;) {
        const size_t n = read_some_at(fd.get(), buffer.data(), buffer.size(), offset, path);
        if (n == 0)
            break;
        if (EVP_DigestUpdate(context.get(), buffer.data(), n) != 1)
            throw Error("OpenSSL", "SHA-256 failed");
        offset += n;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context.get(), digest, &length) != 1)
        throw Error("OpenSSL", "SHA-256 failed");
    static const char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex.push_back(kHex[digest[i] >> 4]);
        hex.push_back(kHex[digest[i] & 15]);
    }
    return hex;
}

} // namespace squashpub
