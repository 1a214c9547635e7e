#pragma once
// The manifest as text: fetched with its size cap, then checked for what
// would make the client misread it before anything in it is trusted.

#include "verifier/verify_context.hpp"

#include <string>

namespace squashpub::verifier {

// The fetched sha512sum.txt; "" with a manifest.fetch failure when it
// cannot be fetched. Throws UnreachableError when the mirror cannot be
// reached at all.
std::string fetch_manifest(VerifyContext& ctx);

// §8 items 18 and 22: encoding, line endings, binary markers, trailing
// whitespace and escaped names.
void check_text_form(VerifyContext& ctx, const std::string& raw);

} // namespace squashpub::verifier
