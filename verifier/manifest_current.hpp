#pragma once
// The Current: marker (spec §7.4, §8 items 13 and 21): the version the
// trusted text names for a repository, and what else the client, which
// reads Current: anywhere in the file, would take for it.

#include "verifier/client_manifest.hpp"
#include "verifier/verify_context.hpp"

#include <string>
#include <vector>

namespace squashpub::verifier {

// Tokens for repo in a piece of text the client reads.
std::vector<std::string> tokens_for(const std::string& text, const std::string& repo);

// The current version of ctx.repo in the trusted text; "" when there is
// none the client could use safely.
std::string check_current(VerifyContext& ctx, const ClientView& view);

// The version the client reading the whole raw file takes matches version.
void check_client_view(VerifyContext& ctx, const std::string& raw, const std::string& version);

// Listed names that the client also reads as Current: lines.
void check_current_in_names(VerifyContext& ctx, const ClientView& view);

} // namespace squashpub::verifier
