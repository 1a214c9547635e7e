#include "verifier/freshness_check.hpp"

#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/files.hpp"
#include "verifier/freshness.hpp"

#include <fcntl.h>
#include <sys/file.h>

namespace squashpub::verifier {
namespace {

const char* kManifest = "sha512sum.txt";

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const std::string& part : parts)
        out += (out.empty() ? "" : "; ") + part;
    return out;
}

// Held while the state is re-read, merged and replaced, so that two runs
// sharing a file do not lose each other's updates.
class StateLock {
  public:
    explicit StateLock(const std::string& state_file) {
        const std::string path = state_file + ".lock";
        fd_ = UniqueFd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
        if (!fd_)
            throw_errno(path, "cannot open the state's lock file");
        if (::flock(fd_.get(), LOCK_EX) != 0)
            throw_errno(path, "cannot lock");
    }

  private:
    UniqueFd fd_;
};

} // namespace

FreshnessCheck::FreshnessCheck(const std::string& source, const FreshnessOptions& options)
    : options_(options), mirror_(mirror_key(source)), now_(utc_now()) {
    if (options_.state_file)
        state_ = AcceptedState::load(*options_.state_file);
}

void FreshnessCheck::result(Report& report, const std::string& id, const std::string& repo,
                            Status status, const std::string& message, nlohmann::json details) {
    const std::string file = id.starts_with("state.") ? *options_.state_file : kManifest;
    report.add({id, repo, status, file, message, 0, std::move(details)});
}

void FreshnessCheck::check_manifest(const std::string* verified_text, Report& report) {
    now_ = utc_now();
    if (!verified_text) {
        result(report, "manifest.fresh", "", options_.requested() ? Status::fail : Status::skip,
               std::string("no verified signature: an unsigned Date: proves nothing") +
                   (options_.requested() ? ", so --max-age and --state cannot be satisfied" : ""));
        return;
    }
    verified_ = true;
    const FreshnessLines lines = parse_freshness(*verified_text);
    date_ = lines.date;
    std::vector<std::string> problems = lines.problems;
    for (const std::string& problem : freshness_problems(lines, {options_.max_age}, now_))
        problems.push_back(problem);
    nlohmann::json details = {{"now", format_utc(now_)}};
    if (lines.date)
        details["date"] = format_utc(*lines.date);
    if (lines.valid_until)
        details["valid_until"] = format_utc(*lines.valid_until);
    if (options_.max_age)
        details["max_age_seconds"] = options_.max_age->count();
    for (const std::string& problem : problems)
        result(report, "manifest.fresh", "", Status::fail, problem, details);
    if (!problems.empty())
        return;
    if (!lines.date && !lines.valid_until) {
        result(report, "manifest.fresh", "", Status::skip,
               "no Date: or Valid-Until: in the signed body (an older publisher): its age is "
               "unknown",
               details);
        return;
    }
    std::string message = lines.date ? "signed Date " + describe_age(*lines.date, now_) : "";
    if (lines.valid_until)
        message += (message.empty() ? "" : ", ") + std::string("valid until ") +
                   describe_age(*lines.valid_until, now_);
    result(report, "manifest.fresh", "", Status::pass, message, details);
}

void FreshnessCheck::check_repo(const std::string& repo, const std::string& version,
                                Report& report) {
    if (!state_)
        return;
    if (!verified_ || version.empty()) {
        result(report, "state.current", repo, Status::skip,
               "not compared: no verified Current: version");
        return;
    }
    const AcceptedRepo* last = state_->find(mirror_, repo);
    nlohmann::json details = {{"mirror", mirror_}, {"version", version}};
    if (!last) {
        result(report, "state.current", repo, Status::pass,
               "first run for " + repo + " on " + mirror_ + ": Current: " + version +
                   " becomes the baseline",
               details);
    } else {
        details["last_version"] = last->current;
        if (last->date)
            details["last_date"] = format_utc(*last->date);
        check_date(report, repo, *last, details);
        const std::string current_problem = current_rollback(*last, version);
        result(report, "state.current", repo, current_problem.empty() ? Status::pass : Status::fail,
               current_problem.empty()
                   ? (version == last->current ? "Current: " + version + " unchanged"
                                               : "Current: " + version + " after " + last->current)
                   : current_problem,
               details);
    }
    accepted_.push_back({repo, version});
}

void FreshnessCheck::check_date(Report& report, const std::string& repo, const AcceptedRepo& last,
                                const nlohmann::json& details) {
    const std::string problem = date_rollback(last, date_);
    if (!problem.empty())
        result(report, "state.date", repo, Status::fail, problem, details);
    else if (!date_)
        result(report, "state.date", repo, Status::warn,
               "no Date: in the signed body, nor in the manifest accepted last: a replayed older "
               "manifest is only told by its Current:",
               details);
    else
        result(report, "state.date", repo, Status::pass,
               "Date " + format_utc(*date_) + ", not older than the manifest accepted last (" +
                   (last.date ? format_utc(*last.date) : std::string("undated")) + ")",
               details);
}

void FreshnessCheck::record(Report& report) {
    if (!state_)
        return;
    if (report.has_failures() || accepted_.empty()) {
        result(report, "state.update", "", Status::skip,
               "not updated: only a fully passing run is recorded");
        return;
    }
    try {
        const std::string kept = merge_and_save();
        result(report, "state.update", "", kept.empty() ? Status::pass : Status::warn,
               kept.empty() ? "recorded Date and Current: for " + mirror_ : kept,
               {{"mirror", mirror_}});
    } catch (const Error& e) {
        result(report, "state.update", "", Status::fail, e.what());
    }
}

// Re-reads the file under a lock and applies this run's acceptances to what
// it holds now: another run may have recorded a newer manifest meanwhile,
// which must not be rolled back by this one. Returns "" or what was kept.
std::string FreshnessCheck::merge_and_save() {
    StateLock lock(*options_.state_file);
    AcceptedState latest = AcceptedState::load(*options_.state_file);
    std::vector<std::string> kept;
    for (const Accepted& accepted : accepted_) {
        const AcceptedRepo* last = latest.find(mirror_, accepted.repo);
        if (last && (!date_rollback(*last, date_).empty() ||
                     !current_rollback(*last, accepted.version).empty())) {
            kept.push_back(accepted.repo);
            continue;
        }
        latest.accept(mirror_, accepted.repo, date_, accepted.version, now_);
    }
    latest.save(*options_.state_file);
    if (kept.empty())
        return "";
    return "another run recorded a newer manifest meanwhile for " + join(kept) + "; kept it";
}

} // namespace squashpub::verifier
