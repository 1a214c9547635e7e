#pragma once
// A real GnuPG keyring in a temporary GNUPGHOME with one signing key
// (passphrase-protected), for tests. Its gpg-agent is stopped on
// destruction.

#include "core/files.hpp"

#include <string>

namespace squashpub::test {

class GpgKeyring {
  public:
    enum class KeyState { valid, expired };
    explicit GpgKeyring(KeyState state = KeyState::valid);
    ~GpgKeyring();

    const std::string& home() const { return home_.path(); }
    const std::string& fingerprint() const { return fingerprint_; }
    const std::string& passphrase_file() const { return passphrase_file_; }
    // Runs gpg with this home; returns exit code and output.
    int gpg(const std::string& arguments, std::string* output = nullptr) const;

  private:
    TempDir home_;
    std::string fingerprint_;
    std::string passphrase_file_;
};

} // namespace squashpub::test
