#pragma once
// How a manifest's signatures appear in verify's report: every signature
// in signature.valid's details, and with several, the ones that did not
// count (signature.others): a key not in the keyring is expected during a
// key rotation and only listed; a bad, expired, revoked or weak signature
// by a known key is a warning, never a failure while another is good.

#include "verifier/report.hpp"
#include "verifier/signature.hpp"

#include <nlohmann/json.hpp>

namespace squashpub::verifier {

nlohmann::json signature_details(const SignatureCheck& check);

// Adds signature.others when a good message carries more than one signature.
void report_other_signatures(const SignatureCheck& check, Report& report);

} // namespace squashpub::verifier
