#pragma once
// OpenPGP clearsigning with GPGME, unattended: the configured GnuPG home,
// loopback pinentry fed from a passphrase file (or the agent), the key
// chosen by fingerprint, and a SHA-512 digest.

#include "config/publisher_config.hpp"

#include <string>

namespace squashpub::publisher {

// Checks the key exists, has its secret part, can sign and has not expired
// or been revoked, and makes a test signature (passphrase, agent, clock).
// Throws an Error naming the key, with a hint, otherwise.
void check_signing_key(const config::SigningConfig& signing);

// Whether a clearsigned text was signed by the configured key (or one of
// its subkeys); signer receives the id GnuPG reports ("" if unsigned).
bool signed_by_key(const config::SigningConfig& signing, const std::string& clearsigned,
                   std::string* signer);

// Clearsigns body. With current_in_comment, also adds an armor
// "Comment: Current: NAME" header for old clients (never only there:
// armor headers are not covered by the signature).
std::string clearsign(const config::SigningConfig& signing, const std::string& body,
                      const std::string& current_name);

} // namespace squashpub::publisher
