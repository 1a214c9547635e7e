#pragma once
// What every part of a mirror check shares: the options, the fetcher, the
// scratch tree (removed on signals), the repository being checked and the
// report every result goes to. Each part takes it by reference.

#include "core/files.hpp"
#include "verifier/fetcher.hpp"
#include "verifier/mirror_verifier.hpp"
#include "verifier/report.hpp"
#include "verifier/tree_on_signal.hpp"

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace squashpub::verifier {

inline constexpr const char* kManifest = "sha512sum.txt";

// Seconds since start, for a result's timing.
double since(std::chrono::steady_clock::time_point start);

struct VerifyContext {
    explicit VerifyContext(const VerifyOptions& options);

    // Adds a result under the repository being checked.
    void result(const std::string& id, Status status, const std::string& file,
                const std::string& message, nlohmann::json details = nlohmann::json::object(),
                double seconds = 0);

    std::string downloads() const { return scratch.file("files"); }
    std::string rebuilt_dir() const { return scratch.file("rebuilt"); }

    // True once the run's --timeout has expired: later files are not checked.
    bool timed_out() const;

    const VerifyOptions& options;
    Clock::time_point start;
    std::unique_ptr<Fetcher> fetcher;
    TempDir scratch;
    TreeOnSignal on_signal;
    std::string repo; // the repository being checked; "" for the mirror's own checks
    Report report;
};

} // namespace squashpub::verifier
