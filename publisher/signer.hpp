#pragma once
// OpenPGP clearsigning with GPGME, unattended: the configured GnuPG home,
// loopback pinentry fed from a passphrase file (or the agent), the keys
// chosen by fingerprint (one signature by each, so that clients can move
// from an old key to a new one), and a digest of SHA-256 or stronger.

#include "config/publisher_config.hpp"
#include "core/utc_time.hpp"

#include <optional>
#include <string>
#include <vector>

namespace squashpub::publisher {

struct KeyExpiry {
    std::string fingerprint;
    std::optional<UtcTime> key_expires; // nullopt: never
    std::string signing_subkey;         // the subkey GnuPG signs with
    std::optional<UtcTime> signing_subkey_expires;
};

// Each configured key's expiry and its signing subkey's (for status,
// warnings and metrics). Throws like check_signing_key for a missing key.
std::vector<KeyExpiry> signing_key_expiries(const config::SigningConfig& signing);

// One message per key that (or whose signing subkey) expires within
// warn_days from now.
std::vector<std::string> expiry_warnings(const config::SigningConfig& signing, unsigned warn_days);

// Checks each key exists, has its secret part, can sign and has not expired
// or been revoked, and makes a test signature (passphrase, agent, clock).
// Throws an Error naming the key, with a hint, otherwise.
void check_signing_key(const config::SigningConfig& signing);

// Whether a clearsigned text carries a signature by one of the configured
// keys (or their subkeys); signer receives the id GnuPG reports for it, or
// the ids of the other signers ("" if unsigned).
bool signed_by_key(const config::SigningConfig& signing, const std::string& clearsigned,
                   std::string* signer);

// Clearsigns body. With current_in_comment, also adds an armor
// "Comment: Current: NAME" header for old clients (never only there:
// armor headers are not covered by the signature).
std::string clearsign(const config::SigningConfig& signing, const std::string& body,
                      const std::string& current_name);

} // namespace squashpub::publisher
