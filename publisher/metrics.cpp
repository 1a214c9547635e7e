#include "publisher/metrics.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "publisher/retention.hpp"
#include "publisher/signer.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>

namespace fs = std::filesystem;

namespace squashpub::publisher {
namespace {

const char* kPrefix = "squashpub_";
const char* kLastSuccess = "last_success_timestamp_seconds";
const char* kLastSuccessFile = "last-success"; // in state_dir: seconds since the epoch

// The exposition format's label value escapes: backslash, quote, newline.
std::string escape_label(const std::string& value) {
    std::string out;
    for (char c : value) {
        if (c == '\\' || c == '"')
            out += '\\';
        out += c == '\n' ? std::string("\\n") : std::string(1, c);
    }
    return out;
}

std::string escape_help(const std::string& value) {
    std::string out;
    for (char c : value)
        out += c == '\\' ? std::string("\\\\") : c == '\n' ? std::string("\\n") : std::string(1, c);
    return out;
}

// Shortest text that reads back as the same double (timestamps stay exact).
std::string number(double value) {
    if (std::isinf(value))
        return value > 0 ? "+Inf" : "-Inf"; // the exposition format's spelling
    char text[64];
    const auto end = std::to_chars(text, text + sizeof text, value).ptr;
    return std::string(text, end);
}

double wall_clock_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::optional<double> read_number(const std::string& text) {
    double value = 0;
    const char* begin = text.data();
    const char* end = begin + text.size();
    while (end > begin && (end[-1] == '\n' || end[-1] == ' '))
        --end;
    const auto [ptr, error] = std::from_chars(begin, end, value);
    if (error != std::errc() || ptr != end || !std::isfinite(value))
        return std::nullopt;
    return value;
}

} // namespace

void MetricsText::gauge(const std::string& name, const std::string& help, double value,
                        const MetricLabels& labels) {
    auto family = std::find_if(families_.begin(), families_.end(),
                               [&](const Family& f) { return f.name == name; });
    if (family == families_.end())
        family = families_.insert(families_.end(), {name, help, {}});
    std::string sample = kPrefix + name + "{repo=\"" + escape_label(repo_) + "\"";
    for (const auto& [key, label] : labels)
        sample += "," + key + "=\"" + escape_label(label) + "\"";
    family->samples.push_back(sample + "} " + number(value));
}

std::string MetricsText::text() const {
    std::string text;
    for (const Family& family : families_) {
        text += "# HELP " + (kPrefix + family.name) + " " + escape_help(family.help) + "\n";
        text += "# TYPE " + (kPrefix + family.name) + " gauge\n";
        for (const std::string& sample : family.samples)
            text += sample + "\n";
    }
    return text;
}

std::optional<double> last_success_in(const std::string& text, const std::string& repo) {
    const std::string sample =
        kPrefix + std::string(kLastSuccess) + "{repo=\"" + escape_label(repo) + "\"} ";
    for (size_t at = 0; at < text.size();) {
        size_t end = text.find('\n', at);
        if (end == std::string::npos)
            end = text.size();
        if (text.compare(at, sample.size(), sample) == 0)
            return read_number(text.substr(at + sample.size(), end - at - sample.size()));
        at = end + 1;
    }
    return std::nullopt;
}

void RunMetrics::check_target() const {
    if (config_.metrics_file.empty())
        return;
    std::error_code error;
    const fs::file_status status = fs::symlink_status(config_.metrics_file, error);
    if (error || status.type() == fs::file_type::not_found)
        return;
    if (!fs::is_regular_file(status))
        throw Error(config_.metrics_file,
                    "metrics_file names something that is not a regular file (a directory or a "
                    "symbolic link?): refusing to replace it");
    const std::string text = read_whole_file(config_.metrics_file);
    if (!text.empty() && !text.starts_with(std::string("# HELP ") + kPrefix))
        throw Error(config_.metrics_file,
                    "metrics_file names an existing file that squashpub did not write (it does "
                    "not start with '# HELP squashpub_'): refusing to replace it; check the "
                    "path, or remove the file");
}

RunMetrics::RunMetrics(const config::PublisherConfig& config)
    : config_(config), start_time_(wall_clock_now()), start_(std::chrono::steady_clock::now()) {}

// The state directory's record first (it survives a deleted metrics file),
// else the previous metrics file.
std::optional<double> RunMetrics::previous_success() const {
    std::error_code error;
    const std::string recorded = config_.state_dir + "/" + kLastSuccessFile;
    if (fs::exists(recorded, error))
        if (auto value = read_number(read_whole_file(recorded)))
            return value;
    if (fs::exists(config_.metrics_file, error))
        return last_success_in(read_whole_file(config_.metrics_file), config_.repo);
    return std::nullopt;
}

// When each signing key and its signing subkey expire (+Inf: never), so an
// alert fires weeks before the night publishing would fail. A key GnuPG
// cannot show (the run's own error says why) leaves the gauge out.
void RunMetrics::add_signing_key_expiry(MetricsText& m) const {
    if (!config_.signing)
        return;
    std::vector<KeyExpiry> keys;
    try {
        keys = signing_key_expiries(*config_.signing);
    } catch (const std::exception& error) {
        log_warning(std::string("metrics: no signing key expiry: ") + error.what());
        return;
    }
    auto seconds = [](const std::optional<UtcTime>& when) {
        return when ? static_cast<double>(when->time_since_epoch().count())
                    : std::numeric_limits<double>::infinity();
    };
    const char* help = "When a signing key (key=\"primary\") or the subkey it signs with "
                       "(key=\"signing_subkey\") expires; +Inf: never.";
    for (const KeyExpiry& key : keys) {
        m.gauge("signing_key_expiry_timestamp_seconds", help, seconds(key.key_expires),
                {{"fingerprint", key.fingerprint}, {"key", "primary"}});
        if (!key.signing_subkey.empty() && key.signing_subkey != key.fingerprint)
            m.gauge("signing_key_expiry_timestamp_seconds", help,
                    seconds(key.signing_subkey_expires),
                    {{"fingerprint", key.fingerprint}, {"key", "signing_subkey"}});
    }
}

MetricsText RunMetrics::render(bool succeeded, std::optional<double> last_success) const {
    MetricsText m(config_.repo);
    m.gauge(kLastSuccess, "Completion time of the last successful publish run (0: none yet).",
            last_success.value_or(0));
    m.gauge("last_run_start_timestamp_seconds", "Start time of the last publish run.", start_time_);
    m.gauge("last_run_success", "1 if the last publish run succeeded, else 0.", succeeded);
    m.gauge("last_run_changed", "1 if the last run published a new version, else 0.",
            facts_.changed);
    m.gauge("last_run_duration_seconds", "Wall time of the last publish run.",
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    for (const auto& [phase, seconds] : facts_.phase_seconds)
        m.gauge("last_run_phase_seconds", "Wall time of each phase the last run finished.", seconds,
                {{"phase", phase}});
    m.gauge("image_bytes", "Size of the snapshot image the last run built.",
            static_cast<double>(facts_.image_bytes));
    m.gauge("delta_bytes", "Total size of the deltas the last run published.",
            static_cast<double>(facts_.delta_bytes));
    m.gauge("deltas_published", "Deltas the last run published.",
            static_cast<double>(facts_.deltas_published));
    m.gauge("deltas_rejected", "Deltas the last run built but left out, by reason.",
            static_cast<double>(facts_.rejected.size()), {{"reason", "test_apply"}});
    m.gauge("deltas_rejected", "", static_cast<double>(facts_.oversize.size()),
            {{"reason", "oversize"}});
    const ArchiveDiskUse archive = archive_disk_use(config_);
    m.gauge("archive_bytes", "Disk use of the private archive, by kind of file.",
            static_cast<double>(archive.full_bytes), {{"kind", "full"}});
    m.gauge("archive_bytes", "", static_cast<double>(archive.reverse_delta_bytes),
            {{"kind", "reverse_delta"}});
    m.gauge("archive_versions", "Versions held by the private archive.",
            static_cast<double>(archive.versions));
    add_signing_key_expiry(m);
    return m;
}

void RunMetrics::finish(bool succeeded) noexcept {
    if (config_.metrics_file.empty())
        return;
    try {
        const double now = wall_clock_now();
        std::optional<double> last_success = succeeded ? now : previous_success();
        if (succeeded) {
            const std::string text = number(now) + "\n";
            AtomicOutput record(config_.state_dir + "/" + kLastSuccessFile);
            write_all(record.fd(), text.data(), text.size(), record.temp_path());
            record.commit();
        }
        check_target();
        const std::string text = render(succeeded, last_success).text();
        AtomicOutput out(config_.metrics_file);
        write_all(out.fd(), text.data(), text.size(), out.temp_path());
        out.commit();
    } catch (const std::exception& error) {
        log_error(config_.metrics_file + ": cannot write the metrics file: " + error.what());
    }
}

} // namespace squashpub::publisher
