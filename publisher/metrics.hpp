#pragma once
// The Prometheus textfile-collector file (node_exporter's text format),
// written after every publish run, successful or not, so that a failed or
// missing night raises an alert instead of waiting for someone to read logs.
//
// MetricsText is a small writer: gauge() adds one sample (the HELP and
// TYPE lines are written once per name), so a new metric is one line.
// RunMetrics collects one run's facts and writes the file at its end.

#include "config/publisher_config.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace squashpub::publisher {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class MetricsText {
  public:
    // Every sample carries repo="..." (several repositories may publish on
    // one host, each with its own file).
    explicit MetricsText(std::string repo) : repo_(std::move(repo)) {}

    // name without the squashpub_ prefix; samples of one name share help.
    void gauge(const std::string& name, const std::string& help, double value,
               const MetricLabels& labels = {});
    std::string text() const;

  private:
    struct Family {
        std::string name;
        std::string help;
        std::vector<std::string> samples;
    };
    std::string repo_;
    std::vector<Family> families_;
};

// What a run found out, filled in while it goes (a failed run reports the
// phases it finished).
struct RunFacts {
    std::map<std::string, double> phase_seconds; // image, deltas, sign, publish
    uint64_t image_bytes = 0;
    uint64_t delta_bytes = 0; // published deltas together
    size_t deltas_published = 0;
    std::vector<std::string> rejected; // failed their test-apply
    std::vector<std::string> oversize; // over max_delta_ratio
    bool changed = false;              // a new version went live
};

class RunMetrics {
  public:
    explicit RunMetrics(const config::PublisherConfig& config);

    RunFacts& facts() { return facts_; }
    // Throws unless metrics_file is absent, empty or a metrics file this
    // publisher wrote: a typo must not replace an unrelated file each run.
    void check_target() const;
    // Writes metrics_file (if configured); never throws: a metrics problem
    // is logged and must not turn a good run into a failed one.
    void finish(bool succeeded) noexcept;

  private:
    MetricsText render(bool succeeded, std::optional<double> last_success) const;
    std::optional<double> previous_success() const;
    void add_signing_key_expiry(MetricsText& m) const;

    const config::PublisherConfig& config_;
    RunFacts facts_;
    double start_time_; // seconds since the epoch
    std::chrono::steady_clock::time_point start_;
};

// squashpub_last_success_timestamp_seconds for repo in a metrics file's
// text, if present (how a failed run carries the last success over).
std::optional<double> last_success_in(const std::string& text, const std::string& repo);

} // namespace squashpub::publisher
