#include "verifier/report.hpp"

#include <map>
#include <sstream>

namespace squashpub::verifier {
namespace {

std::string xml_escape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '&':
            out += "&amp;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            // XML 1.0 forbids most control characters, even escaped.
            out += (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') ? '?' : c;
        }
    }
    return out;
}

} // namespace

const char* status_name(Status status) {
    switch (status) {
    case Status::pass:
        return "pass";
    case Status::fail:
        return "fail";
    case Status::warn:
        return "warn";
    case Status::skip:
        return "skip";
    }
    return "?";
}

void Report::add(CheckResult result) {
    std::lock_guard lock(mutex_);
    results_.push_back(std::move(result));
}

void Report::add_downloaded(uint64_t bytes) {
    std::lock_guard lock(mutex_);
    downloaded_ += bytes;
}

void Report::set_repos(std::vector<std::string> repos) {
    std::lock_guard lock(mutex_);
    repos_ = std::move(repos);
}

std::vector<std::string> Report::repos() const {
    std::lock_guard lock(mutex_);
    return repos_;
}

bool Report::has_failures() const {
    std::lock_guard lock(mutex_);
    for (const CheckResult& result : results_)
        if (result.status == Status::fail)
            return true;
    return false;
}

std::vector<CheckResult> Report::results() const {
    std::lock_guard lock(mutex_);
    return results_;
}

namespace {

using Counts = std::map<std::string, int>;

Counts count(const std::vector<CheckResult>& results, const std::string* repo) {
    Counts counts = {{"pass", 0}, {"fail", 0}, {"warn", 0}, {"skip", 0}};
    for (const CheckResult& result : results)
        if (!repo || result.repo == *repo)
            ++counts[status_name(result.status)];
    return counts;
}

// The mirror's own checks first (""), then one group per repository.
std::vector<std::string> groups(const std::vector<std::string>& repos) {
    std::vector<std::string> out{""};
    out.insert(out.end(), repos.begin(), repos.end());
    return out;
}

void junit_cases(std::ostringstream& xml, const std::vector<CheckResult>& results,
                 const std::string* repo) {
    for (const CheckResult& result : results) {
        if (repo && result.repo != *repo)
            continue;
        xml << "  <testcase classname=\"" << xml_escape(result.id) << "\" name=\""
            << xml_escape(result.file.empty() ? result.id : result.file) << "\" time=\""
            << result.seconds << "\">";
        if (result.status == Status::fail)
            xml << "<failure message=\"" << xml_escape(result.message) << "\"/>";
        else if (result.status == Status::skip)
            xml << "<skipped message=\"" << xml_escape(result.message) << "\"/>";
        else if (result.status == Status::warn)
            xml << "<system-out>warning: " << xml_escape(result.message) << "</system-out>";
        xml << "</testcase>\n";
    }
}

void summary_lines(std::ostringstream& text, const std::vector<CheckResult>& results,
                   const std::string* repo, const char* indent) {
    for (const CheckResult& result : results)
        if ((!repo || result.repo == *repo) &&
            (result.status == Status::fail || result.status == Status::warn))
            text << indent << status_name(result.status) << " " << result.id
                 << (result.file.empty() ? "" : " " + result.file) << ": " << result.message
                 << "\n";
}

std::string totals(Counts counts) {
    return std::to_string(counts["pass"]) + " passed, " + std::to_string(counts["fail"]) +
           " failed, " + std::to_string(counts["warn"]) + " warnings, " +
           std::to_string(counts["skip"]) + " skipped";
}

} // namespace

nlohmann::json Report::to_json(const std::string& source, double seconds) const {
    std::lock_guard lock(mutex_);
    nlohmann::json checks = nlohmann::json::array();
    for (const CheckResult& result : results_)
        checks.push_back({{"id", result.id},
                          {"repo", result.repo},
                          {"status", status_name(result.status)},
                          {"file", result.file},
                          {"message", result.message},
                          {"seconds", result.seconds},
                          {"details", result.details}});
    nlohmann::json repositories = nlohmann::json::object();
    for (const std::string& repo : repos_) {
        Counts counts = count(results_, &repo);
        repositories[repo] = {{"ok", counts["fail"] == 0}, {"counts", counts}};
    }
    Counts counts = count(results_, nullptr);
    return {{"source", source},
            {"repo", repos_.size() == 1 ? repos_.front() : ""},
            {"repos", repos_},
            {"ok", counts["fail"] == 0},
            {"counts", counts},
            {"repositories", repositories},
            {"bytes_downloaded", downloaded_},
            {"seconds", seconds},
            {"checks", checks}};
}

std::string Report::to_junit(double seconds) const {
    std::lock_guard lock(mutex_);
    std::ostringstream xml;
    xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    auto suite = [&](const std::string& name, const std::string* repo) {
        Counts counts = count(results_, repo);
        const int tests = counts["pass"] + counts["fail"] + counts["warn"] + counts["skip"];
        xml << "<testsuite name=\"" << xml_escape(name) << "\" tests=\"" << tests
            << "\" failures=\"" << counts["fail"] << "\" skipped=\"" << counts["skip"]
            << "\" time=\"" << seconds << "\">\n";
        junit_cases(xml, results_, repo);
        xml << "</testsuite>\n";
    };
    if (repos_.size() <= 1) {
        suite("squashpub verify", nullptr);
        return xml.str();
    }
    // One suite per repository, so that CI shows which one failed.
    xml << "<testsuites name=\"squashpub verify\">\n";
    for (const std::string& group : groups(repos_))
        suite(group.empty() ? "squashpub verify" : "squashpub verify: " + group, &group);
    xml << "</testsuites>\n";
    return xml.str();
}

std::string Report::summary() const {
    std::lock_guard lock(mutex_);
    std::ostringstream text;
    if (repos_.size() <= 1) {
        summary_lines(text, results_, nullptr, "");
    } else {
        const std::string mirror; // the checks not about one repository
        summary_lines(text, results_, &mirror, "");
        for (const std::string& repo : repos_) {
            Counts counts = count(results_, &repo);
            text << "repository " << repo << ": " << (counts["fail"] ? "FAILED" : "ok") << " ("
                 << totals(counts) << ")\n";
            summary_lines(text, results_, &repo, "  ");
        }
    }
    text << totals(count(results_, nullptr)) << "; " << downloaded_ << " bytes downloaded\n";
    return text.str();
}

} // namespace squashpub::verifier
