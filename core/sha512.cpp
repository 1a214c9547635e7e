#include "core/sha512.hpp"

#include "core/error.hpp"
#include "core/file_digest.hpp"

#include <openssl/evp.h>

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
    return hex_of(digest, length);
}

std::string sha512_of_file(const std::string& path) {
    return hex_digest_of_file(path, DigestKind::sha512);
}

} // namespace squashpub
