#include "core/sha512.hpp"

#include "core/error.hpp"
#include "core/files.hpp"

#include <openssl/evp.h>
#include <vector>

namespace squashpub {

Sha512::Sha512() : context_(EVP_MD_CTX_new()) {
    if (!context_ || EVP_DigestInit_ex(context_, EVP_sha512(), nullptr) != 1)
        throw Error("OpenSSL", "cannot initialise SHA-512");
}

Sha512::~Sha512() {
    EVP_MD_CTX_free(context_);
}

void Sha512::update(const void* data, size_t size) {
    if (EVP_DigestUpdate(context_, data, size) != 1)
        throw Error("OpenSSL", "SHA-512 update failed");
}

std::string Sha512::hex_digest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context_, digest, &length) != 1)
        throw Error("OpenSSL", "SHA-512 final failed");
    static const char* hex = "0123456789abcdef";
    std::string text;
    for (unsigned int i = 0; i < length; ++i) {
        text += hex[digest[i] >> 4];
        text += hex[digest[i] & 15];
    }
    return text;
}

std::string sha512_of_file(const std::string& path) {
    UniqueFd fd = open_for_reading(path);
    Sha512 hash;
    std::vector<char> buffer(1 << 20);
    uint64_t offset = 0;
    for (;;) {
        size_t n = read_some_at(fd.get(), buffer.data(), buffer.size(), offset, path);
        if (n == 0)
            break;
        hash.update(buffer.data(), n);
        offset += n;
    }
    return hash.hex_digest();
}

} // namespace squashpub
