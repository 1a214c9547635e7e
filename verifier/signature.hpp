#pragma once
// Checks an OpenPGP clearsigned manifest with GPGME against a given
// keyring, in a throwaway GnuPG home, and returns the signed text: the
// only part of the file a verifier may trust.

#include <string>

namespace squashpub::verifier {

struct SignatureCheck {
    bool good = false;
    std::string problem;     // why not, in words
    std::string fingerprint; // of the signing key, when known
    std::string signed_text; // the verified body (dash-escaping undone)
};

// keyring: a file of public keys (armored or binary).
SignatureCheck verify_clearsigned(const std::string& text, const std::string& keyring,
                                  const std::string& scratch_dir);

} // namespace squashpub::verifier
