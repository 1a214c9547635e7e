#pragma once
// verify's freshness and rollback checks, around the mirror check: the
// signed Date:/Valid-Until: (manifest.fresh), and with --state the last
// accepted Date and Current: per mirror and repository (state.date,
// state.current), recorded only after a fully passing run (state.update).
// Freshness needs a verified signature: an unsigned Date proves nothing.

#include "core/utc_time.hpp"
#include "verifier/accepted_state.hpp"
#include "verifier/report.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::verifier {

struct FreshnessOptions {
    std::optional<std::chrono::seconds> max_age; // --max-age
    std::optional<std::string> state_file;       // --state
    bool requested() const { return max_age || state_file; }
};

class FreshnessCheck {
  public:
    // Loads the state file now, so that a corrupt one is refused (an Error
    // naming it) before anything is fetched.
    FreshnessCheck(const std::string& source, const FreshnessOptions& options);

    // verified_text: the body the signature covers; nullptr when no
    // signature was verified (then --max-age and --state fail).
    void check_manifest(const std::string* verified_text, Report& report);
    // After the repository's Current: version is known ("" when it is not).
    void check_repo(const std::string& repo, const std::string& version, Report& report);
    // At the end of the run: records what was accepted if nothing failed.
    void record(Report& report);

  private:
    void result(Report& report, const std::string& id, const std::string& repo, Status status,
                const std::string& message, nlohmann::json details = nlohmann::json::object());
    void check_date(Report& report, const std::string& repo, const AcceptedRepo& last,
                    const nlohmann::json& details);
    std::string merge_and_save();

    FreshnessOptions options_;
    std::string mirror_;
    UtcTime now_;
    std::optional<AcceptedState> state_;
    bool verified_ = false;
    std::optional<UtcTime> date_; // the signed Date:, once verified
    struct Accepted {
        std::string repo, version;
    };
    std::vector<Accepted> accepted_;
};

} // namespace squashpub::verifier
