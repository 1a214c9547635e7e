#pragma once
// Trust in the manifest (spec §7.3, §8 item 12): the OpenPGP signature,
// and what the client reads outside the signed body that the signature
// does not cover.

#include "verifier/client_manifest.hpp"
#include "verifier/verify_context.hpp"

#include <optional>
#include <string>

namespace squashpub::verifier {

// The text that may be trusted: the signed body, or the whole file when
// signatures are not checked (or optional and missing). nullopt when a
// signature is there but not valid, or required and missing: then
// nothing the file lists may be acted on. signed_parts is set when a
// signature checked out.
std::optional<std::string> trusted_body(VerifyContext& ctx, const std::string& raw,
                                        std::optional<ClearsignedParts>& signed_parts);

// Current: tokens for ctx.repo outside the signed body of a signed file.
void check_current_outside_body(VerifyContext& ctx, const ClearsignedParts& parts,
                                const std::string& body);

} // namespace squashpub::verifier
