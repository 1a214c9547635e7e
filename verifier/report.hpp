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
    std::string id;   // e.g. "delta.apply"; stable across releases
    std::string repo; // the repository it concerns; "" for the mirror as a whole
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
        : results_(std::move(other.results_)), repos_(std::move(other.repos_)),
          downloaded_(other.downloaded_) {}

    void add(CheckResult result);
    void add_downloaded(uint64_t bytes);
    // The repositories checked, in report order; with more than one, every
    // rendering groups the results per repository.
    void set_repos(std::vector<std::string> repos);
    std::vector<std::string> repos() const;
    bool has_failures() const;
    std::vector<CheckResult> results() const;

    // "repo" is the one repository checked ("" when several); "repos" and
    // "repositories" (name -> ok, counts) list them all.
    nlohmann::json to_json(const std::string& source, double seconds) const;
    std::string to_junit(double seconds) const;
    std::string summary() const; // one line per failure and warning, then totals

  private:
    mutable std::mutex mutex_;
    std::vector<CheckResult> results_;
    std::vector<std::string> repos_;
    uint64_t downloaded_ = 0;
};

const char* status_name(Status status);

} // namespace squashpub::verifier
