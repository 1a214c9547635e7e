#pragma once
// The client's update replayed for one repository (spec §7.5): the initial
// sync (the current snapshot and its flavors opened and walked), the
// current aliases, and every delta to the current version applied with the
// independent applier to an old image and compared with the listed hash.

#include "verifier/client_manifest.hpp"
#include "verifier/listed_files.hpp"
#include "verifier/verify_context.hpp"

#include <map>
#include <string>
#include <vector>

namespace squashpub::verifier {

// §8 items 10, 14-16, 19, 20 for ctx.repo at its current version; files
// are the fetched listed files, delta_names the deltas ctx.repo owns.
void check_listed_files(VerifyContext& ctx, const ClientView& view, const std::string& version,
                        std::map<std::string, Listed>& files,
                        const std::vector<std::string>& delta_names);

} // namespace squashpub::verifier
