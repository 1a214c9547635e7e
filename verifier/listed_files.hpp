#pragma once
// The files the manifest lists, fetched and hash-checked once each, and
// the files a mirror holds that it does not list.

#include "verifier/client_manifest.hpp"
#include "verifier/fetcher.hpp"
#include "verifier/verify_context.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::verifier {

struct Listed {
    std::string name;
    std::string sha512;
    std::optional<Fetched> fetched;
    bool good = false;
};

// Fetches name, at most max_bytes, and checks it against the listed hash.
Listed fetch_listed(VerifyContext& ctx, const std::string& name, const std::string& sha512,
                    uint64_t max_bytes);

std::map<std::string, Listed> fetch_files(VerifyContext& ctx, const ClientView& view,
                                          const std::vector<std::string>& repos);

void check_unlisted(VerifyContext& ctx, const ClientView& view);

} // namespace squashpub::verifier
