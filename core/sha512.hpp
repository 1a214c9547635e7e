#pragma once
// Streaming SHA-512 on OpenSSL's EVP interface.

#include <cstddef>
#include <memory>
#include <string>

struct evp_md_ctx_st;

namespace squashpub {

class Sha512 {
  public:
    Sha512();
    ~Sha512();
    Sha512(const Sha512&) = delete;
    Sha512& operator=(const Sha512&) = delete;

    void update(const void* data, size_t size);
    // Lower-case hex of the digest; the object is spent afterwards.
    std::string hex_digest();

  private:
    evp_md_ctx_st* context_;
};

// SHA-512 of a whole file, read in chunks.
std::string sha512_of_file(const std::string& path);

} // namespace squashpub
