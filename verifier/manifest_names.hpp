#pragma once
// Listed names as data (§8 item 17 and the trust boundary): a name that is
// not a plain file name is never fetched, and a name listed twice is
// reported.

#include "verifier/client_manifest.hpp"
#include "verifier/verify_context.hpp"

namespace squashpub::verifier {

// Reports and removes from view every name that is not a plain file name.
void check_names(VerifyContext& ctx, ClientView& view);

void check_duplicates(VerifyContext& ctx, const ClientView& view);

} // namespace squashpub::verifier
