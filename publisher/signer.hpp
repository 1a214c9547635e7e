#pragma once
// OpenPGP clearsigning with GPGME, unattended: the configured GnuPG home,
// loopback pinentry fed from a passphrase file (or the agent), the key
// chosen by fingerprint, and a SHA-512 digest.

#include "config/publisher_config.hpp"

#include <string>

namespace squashpub::publisher {

// Checks the key exists, has its secret part, can sign and has not expired
// or been revoked. Throws an Error naming the key otherwise.
void check_signing_key(const config::SigningConfig& signing);

// Clearsigns body. With current_in_comment, also adds an armor
// "Comment: Current: NAME" header for old clients (never only there:
// armor headers are not covered by the signature).
std::string clearsign(const config::SigningConfig& signing, const std::string& body,
                      const std::string& current_name);

} // namespace squashpub::publisher
