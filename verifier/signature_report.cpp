#include "verifier/signature_report.hpp"

#include <algorithm>

namespace squashpub::verifier {

nlohmann::json signature_details(const SignatureCheck& check) {
    nlohmann::json signatures = nlohmann::json::array();
    for (const SignatureInfo& info : check.signatures)
        signatures.push_back({{"fingerprint", info.fingerprint},
                              {"digest", info.digest},
                              {"good", info.good},
                              {"key_in_keyring", info.key_known},
                              {"problem", info.problem}});
    return {{"fingerprint", check.fingerprint}, {"signatures", signatures}};
}

void report_other_signatures(const SignatureCheck& check, Report& report) {
    if (!check.good || check.signatures.size() < 2)
        return; // signature.valid says why none is good
    std::string unknown, suspicious;
    for (const SignatureInfo& info : check.signatures) {
        if (info.good)
            continue;
        std::string& list = info.key_known ? suspicious : unknown;
        list += (list.empty() ? "" : "; ") + info.fingerprint + ": " + info.problem;
    }
    const size_t good = static_cast<size_t>(std::count_if(
        check.signatures.begin(), check.signatures.end(), [](const auto& s) { return s.good; }));
    std::string message = std::to_string(good) + " of " + std::to_string(check.signatures.size()) +
                          " signatures good";
    if (!suspicious.empty())
        message += "; by keys of the keyring, not good: " + suspicious;
    if (!unknown.empty())
        message += "; by keys not in the keyring (not checked): " + unknown;
    const Status status = suspicious.empty() ? Status::pass : Status::warn;
    report.add(
        {"signature.others", "", status, "sha512sum.txt", message, 0, signature_details(check)});
}

} // namespace squashpub::verifier
