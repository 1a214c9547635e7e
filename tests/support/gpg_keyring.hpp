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
    // Generates another key in this home (same passphrase) for uid
    // "NAME <NAME@example.org>", expiring after `expiry` (gpg's syntax:
    // "1y", "10d"); returns its fingerprint.
    std::string add_key(const std::string& name, const std::string& expiry = "1y") const;
    // Writes the public key of fingerprint, armored, to path (a keyring
    // file for `squashpub verify --keyring`).
    void export_key(const std::string& fingerprint, const std::string& path) const;
    // Runs gpg with this home; returns exit code and output.
    int gpg(const std::string& arguments, std::string* output = nullptr) const;

  private:
    TempDir home_;
    std::string fingerprint_;
    std::string passphrase_file_;
};

} // namespace squashpub::test
