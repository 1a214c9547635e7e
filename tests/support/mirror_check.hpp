#pragma once
// Checks a published mirror the way a client would meet it, for tests:
// the signature, Current: in the signed body, every listed hash, no
// unlisted files (but those allowed), and every delta applied with the
// independent applier to the archived old image, rebuilding the current
// snapshot's exact hash. Returns "" when all is well, else the problem.

#include "support/gpg_keyring.hpp"

#include <set>
#include <string>

namespace squashpub::test {

struct MirrorExpectations {
    std::string repo;
    std::string mirror_dir;
    std::string archive_dir; // full archive with ${repo}-${version}.sqfs, or "" to skip applies
    const GpgKeyring* keyring = nullptr; // nullptr: unsigned manifest expected
    std::set<std::string> allowed_unlisted;
};

std::string check_mirror(const MirrorExpectations& expect);

// The signed body (verified) or the plain file.
std::string manifest_body(const MirrorExpectations& expect);

} // namespace squashpub::test
