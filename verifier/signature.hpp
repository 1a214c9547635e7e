#pragma once
// Checks an OpenPGP clearsigned manifest with GPGME against a given
// keyring, in a throwaway GnuPG home, and returns the signed text: the
// only part of the file a verifier may trust.

#include <string>
#include <vector>

namespace squashpub::verifier {

// One signature of the message (a manifest may be clearsigned by several
// keys, e.g. during a key rotation).
struct SignatureInfo {
    std::string fingerprint; // or key ID, as the signature names its key
    std::string digest;      // "SHA512", as GPGME names it
    bool good = false;       // valid, by a key of the keyring, strong digest
    bool key_known = false;  // made by a key of the keyring
    std::string problem;     // why not good, in words
};

// Good when at least one signature is: the others are reported, not held
// against the message (a key the verifier has not been given yet, or one
// being retired).
struct SignatureCheck {
    bool good = false;
    std::string problem;     // why not, in words
    std::string fingerprint; // of the key that made the good signature, else the first
    std::string signed_text; // the verified body (dash-escaping undone)
    std::vector<SignatureInfo> signatures;
};

// "" when a signature's digest is strong enough: SHA-256, SHA-384 or
// SHA-512 (what a fresh GnuPG home uses by default, and what the publisher
// asks for). SHA-1, MD5, RIPEMD-160 and SHA-224 are refused: collisions on
// the first three are practical or near it, and the signature is only as
// strong as its digest.
std::string weak_digest_problem(int gpgme_hash_algo);

// keyring: a file of public keys (armored or binary).
SignatureCheck verify_clearsigned(const std::string& text, const std::string& keyring,
                                  const std::string& scratch_dir);

} // namespace squashpub::verifier
