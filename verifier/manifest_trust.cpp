#include "verifier/manifest_trust.hpp"

#include "verifier/manifest_current.hpp"
#include "verifier/signature.hpp"
#include "verifier/signature_report.hpp"

#include <map>
#include <vector>

namespace squashpub::verifier {
namespace {

bool blank(const std::string& text) {
    return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

// The client builds its digest map from the whole file, the last line
// for a name winning (spec §7.2): a line outside the signed message
// that adds a name or changes a hash makes it fetch and accept content
// nobody signed. The maps must be equal.
void check_digests_outside_body(VerifyContext& ctx, const std::string& raw,
                                const std::string& body) {
    const std::map<std::string, std::string> client = parse_as_client(raw).digests;
    const std::map<std::string, std::string> trusted = parse_as_client(body).digests;
    const size_t max_reported = 100; // a mirror may add millions of lines
    size_t differences = 0;
    auto report = [&](const std::string& name, const std::string& message) {
        if (++differences <= max_reported)
            ctx.result("signature.digests-outside-body", Status::fail, name, message);
    };
    for (const auto& [name, hash] : client) {
        const auto it = trusted.find(name);
        if (it == trusted.end())
            report(name, "listed outside the signed message, not in the signed body: the "
                         "client would fetch and accept content nobody signed");
        else if (it->second != hash)
            report(name, "a line outside the signed message changes its hash to " +
                             hash.substr(0, 16) + "…, the signed body says " +
                             it->second.substr(0, 16) + "…: the client takes the last line");
    }
    for (const auto& [name, hash] : trusted)
        if (!client.count(name))
            report(name, "in the signed body, but the client reading the whole file does "
                         "not see it");
    if (differences > max_reported)
        ctx.result("signature.digests-outside-body", Status::fail, kManifest,
                   std::to_string(differences) + " names differ in all, " +
                       std::to_string(max_reported) + " reported");
    if (differences == 0)
        ctx.result("signature.digests-outside-body", Status::pass, kManifest,
                   "the client's digest map, read from the whole file, is the signed one");
}

} // namespace

// §8 item 12: only the signed body may be trusted. nullopt when a
// signature is there but not valid, or required and missing: then
// nothing the file lists may be acted on.
std::optional<std::string> trusted_body(VerifyContext& ctx, const std::string& raw,
                                        std::optional<ClearsignedParts>& signed_parts) {
    const ClearsignedParts parts = split_clearsigned(raw);
    if (parts.is_signed && (!blank(parts.before) || !blank(parts.after)))
        ctx.result("manifest.outside-signed-text", Status::warn, kManifest,
                   "text before or after the signed message: the client parses it too");
    if (ctx.options.openpgp == OpenPgpMode::no) {
        ctx.result("signature.valid", Status::skip, kManifest, "OpenPGP checking disabled");
        return parts.is_signed ? parts.body : raw;
    }
    if (!parts.is_signed) {
        const bool required = ctx.options.openpgp == OpenPgpMode::required;
        ctx.result("signature.valid", required ? Status::fail : Status::warn, kManifest,
                   "the manifest is not signed");
        if (required)
            return std::nullopt;
        return raw;
    }
    const auto start = std::chrono::steady_clock::now();
    SignatureCheck sig = verify_clearsigned(raw, *ctx.options.keyring, ctx.scratch.path());
    ctx.result("signature.valid", sig.good ? Status::pass : Status::fail, kManifest,
               sig.good ? "good signature by " + sig.fingerprint : sig.problem,
               signature_details(sig), since(start));
    report_other_signatures(sig, ctx.report);
    if (!sig.good)
        return std::nullopt;
    signed_parts = parts;
    check_digests_outside_body(ctx, raw, sig.signed_text);
    return sig.signed_text;
}

// The client reads Current: anywhere in the file (spec §7.4), the
// signature covers only the body: a token for this repository anywhere
// else is the mirror's word, not the publisher's.
void check_current_outside_body(VerifyContext& ctx, const ClearsignedParts& parts,
                                const std::string& body) {
    const std::string signed_version = current_version(parse_as_client(body), ctx.repo);
    std::string armor;
    for (const std::string& header : parts.armor_headers)
        armor += header + "\n";
    const struct {
        const char* where;
        const std::string& text;
    } places[] = {{"before the signed message", parts.before},
                  {"in an armor header", armor},
                  {"after the signature", parts.after}};
    bool any = false;
    for (const auto& place : places) {
        for (const std::string& token : tokens_for(place.text, ctx.repo)) {
            any = true;
            const std::string version = token.substr(ctx.repo.size() + 1);
            // The one harmless case: an armor Comment: repeating the signed
            // version after the body (daily-gen's, the publisher's
            // current_in_comment), which the client never reaches first.
            const bool repeat = version == signed_version && place.where == places[1].where;
            ctx.result("signature.current-outside-body", repeat ? Status::warn : Status::fail,
                       kManifest,
                       "Current: " + token + " " + place.where +
                           (repeat ? ", repeating the signed version; the signature does not "
                                     "cover it"
                            : signed_version.empty()
                                ? ": the signature does not cover it and the signed body has "
                                  "none; the client would follow it"
                            : version == signed_version
                                ? ": the signature does not cover it, and the client reads "
                                  "it before the signed one"
                                : ": names another version than the signed " + signed_version +
                                      ", and the client may follow it"));
        }
    }
    if (!any)
        ctx.result("signature.current-outside-body", Status::pass, kManifest,
                   "Current: for " + ctx.repo + " only in the signed body");
}

} // namespace squashpub::verifier
