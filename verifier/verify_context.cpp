#include "verifier/verify_context.hpp"

#include <filesystem>

namespace squashpub::verifier {
namespace {

HttpOptions http_options(const VerifyOptions& options, Clock::time_point start) {
    HttpOptions http;
    http.min_speed = options.min_speed;
    http.max_redirects = options.max_redirects;
    if (options.timeout_seconds > 0)
        http.deadline = start + std::chrono::seconds(options.timeout_seconds);
    return http;
}

} // namespace

double since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

VerifyContext::VerifyContext(const VerifyOptions& options)
    : options(options), start(Clock::now()),
      fetcher(make_fetcher(options.source, http_options(options, start))),
      scratch(options.temp_dir, "squashpub-verify"), on_signal(scratch.path()) {
    std::filesystem::create_directory(downloads());
    std::filesystem::create_directory(rebuilt_dir());
}

void VerifyContext::result(const std::string& id, Status status, const std::string& file,
                           const std::string& message, nlohmann::json details, double seconds) {
    report.add({id, repo, status, file, message, seconds, std::move(details)});
}

bool VerifyContext::timed_out() const {
    return options.timeout_seconds > 0 &&
           Clock::now() >= start + std::chrono::seconds(options.timeout_seconds);
}

} // namespace squashpub::verifier
