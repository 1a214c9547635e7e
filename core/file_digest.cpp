#include "core/file_digest.hpp"

#include "core/error.hpp"
#include "core/files.hpp"

#include <memory>
#include <openssl/evp.h>
#include <vector>

namespace squashpub {

std::string hex_of(const unsigned char* bytes, size_t size) {
    static const char kHex[] = "0123456789abcdef";
    std::string text;
    for (size_t i = 0; i < size; ++i) {
        text += kHex[bytes[i] >> 4];
        text += kHex[bytes[i] & 15];
    }
    return text;
}

std::string hex_digest_of_file(const std::string& path, DigestKind kind) {
    const char* name = kind == DigestKind::sha256 ? "SHA-256" : "SHA-512";
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
    const EVP_MD* digest = kind == DigestKind::sha256 ? EVP_sha256() : EVP_sha512();
    if (!context || EVP_DigestInit_ex(context.get(), digest, nullptr) != 1)
        throw Error("OpenSSL", std::string("cannot start ") + name);
    UniqueFd fd = open_for_reading(path);
    std::vector<char> buffer(1 << 20);
    for (uint64_t offset = 0;;) {
        const size_t n = read_some_at(fd.get(), buffer.data(), buffer.size(), offset, path);
        if (n == 0)
            break;
        if (EVP_DigestUpdate(context.get(), buffer.data(), n) != 1)
            throw Error("OpenSSL", std::string(name) + " failed");
        offset += n;
    }
    unsigned char value[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context.get(), value, &length) != 1)
        throw Error("OpenSSL", std::string(name) + " failed");
    return hex_of(value, length);
}

} // namespace squashpub
