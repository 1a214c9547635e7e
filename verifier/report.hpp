#pragma once
// The verifier's findings: one result per check (stable id, status, the
// file it concerns, a message), rendered for people, as JSON and as JUnit.

#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace squashpub::verifier {

enum class Status { pass, fail, warn, skip };

struct CheckResult {
    std::string id; // e.g. "delta.apply"; stable across releases
    Status status = Status::pass;
    std::string file;
    std::string message;
    double seconds = 0;
    nlohmann::json details = nlohmann::json::object();
};

class Report {
  public:
    Report() = default;
    Report(Report&& other) noexcept
        : results_(std::move(other.results_)), downloaded_(other.downloaded_) {}

    void add(CheckResult result);
    void add_downloaded(uint64_t bytes);
    bool has_failures() const;
    std::vector<CheckResult> results() const;

    nlohmann::json to_json(const std::string& source, const std::string& repo,
                           double seconds) const;
    std::string to_junit(double seconds) const;
    std::string summary() const; // one line per failure and warning, then totals

  private:
    mutable std::mutex mutex_;
    std::vector<CheckResult> results_;
    uint64_t downloaded_ = 0;
};

const char* status_name(Status status);

} // namespace squashpub::verifier
