#include "core/log.hpp"

#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace squashpub {
namespace {

std::atomic<Verbosity> current_verbosity{Verbosity::normal};
std::mutex output_mutex;

// Syslog priorities (sd-daemon(3)): journald reads a "<N>" line prefix as
// the line's level when it is the service's stderr.
enum class Priority { error = 3, warning = 4, info = 6, debug = 7 };

void emit(Priority priority, const char* kind, const std::string& message) {
    std::lock_guard lock(output_mutex);
    if (stderr_is_journal())
        std::fprintf(stderr, "<%d>squashpub: %s%s\n", static_cast<int>(priority), kind,
                     message.c_str());
    else
        std::fprintf(stderr, "squashpub: %s%s\n", kind, message.c_str());
}

} // namespace

// systemd sets JOURNAL_STREAM to "DEVICE:INODE" of the stream it connects to
// stderr; a redirected stderr (2>file, a pipe) no longer matches, so the
// prefixes never leak into files. Checked on every line: cheap, and exact
// if stderr is redirected while running.
bool stderr_is_journal() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (!stream)
        return false;
    unsigned long long device = 0, inode = 0;
    char extra = 0;
    if (std::sscanf(stream, "%llu:%llu%c", &device, &inode, &extra) != 2)
        return false;
    struct stat info;
    if (fstat(STDERR_FILENO, &info) != 0)
        return false;
    return static_cast<unsigned long long>(info.st_dev) == device &&
           static_cast<unsigned long long>(info.st_ino) == inode;
}

void set_verbosity(Verbosity verbosity) {
    current_verbosity = verbosity;
}
Verbosity verbosity() {
    return current_verbosity;
}

void log_info(const std::string& message) {
    if (current_verbosity != Verbosity::quiet)
        emit(Priority::info, "", message);
}

void log_verbose(const std::string& message) {
    if (current_verbosity == Verbosity::verbose)
        emit(Priority::debug, "", message);
}

void log_warning(const std::string& message) {
    emit(Priority::warning, "warning: ", message);
}
void log_error(const std::string& message) {
    emit(Priority::error, "error: ", message);
}

std::string Stopwatch::lap() {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - last_).count();
    last_ = now;
    char text[32];
    std::snprintf(text, sizeof text, "%.3f s", seconds);
    return text;
}

std::string format_bytes(uint64_t bytes) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    return text;
}

Progress::Progress(std::string label, uint64_t total, std::string unit)
    : label_(std::move(label)), unit_(std::move(unit)), total_(total),
      enabled_(isatty(STDERR_FILENO) && current_verbosity != Verbosity::quiet) {}

Progress::~Progress() {
    finish();
}

void Progress::advance(uint64_t amount) {
    done_ += amount;
    if (!enabled_)
        return;
    auto now = std::chrono::steady_clock::now();
    std::unique_lock lock(draw_mutex_, std::try_to_lock);
    if (lock && now - last_draw_ > std::chrono::milliseconds(100)) {
        last_draw_ = now;
        draw(false);
    }
}

void Progress::finish() {
    std::lock_guard lock(draw_mutex_);
    if (finished_ || !enabled_)
        return;
    finished_ = true;
    draw(true);
}

void Progress::draw(bool final_draw) {
    const uint64_t done = done_.load();
    const unsigned percent = total_ ? static_cast<unsigned>(done * 100 / total_) : 100;
    std::lock_guard lock(output_mutex);
    std::fprintf(stderr, "\r\033[K%s: %3u%% (%llu/%llu%s%s)%s", label_.c_str(), percent,
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 unit_.empty() ? "" : " ", unit_.c_str(), final_draw ? "\n" : "");
    std::fflush(stderr);
}

} // namespace squashpub
