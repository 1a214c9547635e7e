#pragma once
// The repositories of a manifest that several may share: which ones it
// names, and which listed files belong to which.

#include "verifier/client_manifest.hpp"
#include "verifier/verify_context.hpp"

#include <map>
#include <string>
#include <vector>

namespace squashpub::verifier {

std::vector<std::string> discover_repos(VerifyContext& ctx, const ClientView& view);

std::string owner(const std::string& name, const std::vector<std::string>& repos);

// The listed deltas by owning repository; "" holds those no checked
// repository owns.
std::map<std::string, std::vector<std::string>>
deltas_by_repo(const ClientView& view, const std::vector<std::string>& repos);

} // namespace squashpub::verifier
