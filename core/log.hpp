#pragma once
// Logging and progress. Messages are plain "squashpub: ..." lines on
// stderr, with a syslog priority prefix ("<3>" error, "<4>" warning, "<6>"
// info, "<7>" verbose) when stderr is the systemd journal. Progress
// redraws one line on a terminal and stays silent otherwise (cron), apart
// from the log lines the caller writes.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace squashpub {

enum class Verbosity { quiet, normal, verbose };

void set_verbosity(Verbosity verbosity);
Verbosity verbosity();

void log_info(const std::string& message);    // normal and verbose
void log_verbose(const std::string& message); // verbose only
void log_warning(const std::string& message); // always
void log_error(const std::string& message);   // always

// True when stderr is the stream systemd's JOURNAL_STREAM names.
bool stderr_is_journal();

// A counter shown as "label: 42% (123/456 unit)" on a terminal. Thread-safe.
class Progress {
  public:
    Progress(std::string label, uint64_t total, std::string unit = "");
    ~Progress();
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    void advance(uint64_t amount = 1);
    void finish();

  private:
    void draw(bool final_draw);

    std::string label_;
    std::string unit_;
    uint64_t total_;
    std::atomic<uint64_t> done_{0};
    bool enabled_;
    bool finished_ = false;
    std::mutex draw_mutex_;
    std::chrono::steady_clock::time_point last_draw_;
};

// Measures phases for --verbose output: lap() returns "0.123 s" since the
// previous lap (or construction).
class Stopwatch {
  public:
    std::string lap();

  private:
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Human-readable byte count: "1.5 MiB".
std::string format_bytes(uint64_t bytes);

} // namespace squashpub
