// libFuzzer target: sha512sum.txt as the verifier parses it.
#include "verifier/client_manifest.hpp"
#include "verifier/freshness.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace squashpub::verifier;
    const std::string text(reinterpret_cast<const char*>(data), size);
    const ClearsignedParts parts = split_clearsigned(text);
    const ClientView view = parse_as_client(parts.is_signed ? parts.body : text);
    (void)current_version(view, "gentoo");
    (void)is_valid_utf8(text);
    // The signed body's Date:/Valid-Until: lines, and the checks on them.
    const FreshnessLines lines = parse_freshness(parts.is_signed ? parts.body : text);
    (void)freshness_problems(lines, {std::chrono::seconds(86400)}, squashpub::utc_now());
    return 0;
}
