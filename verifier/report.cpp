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

nlohmann::json Report::to_json(const std::string& source, const std::string& repo,
                               double seconds) const {
    std::lock_guard lock(mutex_);
    nlohmann::json checks = nlohmann::json::array();
    std::map<std::string, int> counts = {{"pass", 0}, {"fail", 0}, {"warn", 0}, {"skip", 0}};
    for (const CheckResult& result : results_) {
        ++counts[status_name(result.status)];
        checks.push_back({{"id", result.id},
                          {"status", status_name(result.status)},
                          {"file", result.file},
                          {"message", result.message},
                          {"seconds", result.seconds},
                          {"details", result.details}});
    }
    return {{"source", source},
            {"repo", repo},
            {"ok", counts["fail"] == 0},
            {"counts", counts},
            {"bytes_downloaded", downloaded_},
            {"seconds", seconds},
            {"checks", checks}};
}

std::string Report::to_junit(double seconds) const {
    std::lock_guard lock(mutex_);
    size_t failures = 0, skipped = 0;
    for (const CheckResult& result : results_) {
        failures += result.status == Status::fail;
        skipped += result.status == Status::skip;
    }
    std::ostringstream xml;
    xml << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<testsuite name=\"squashpub verify\" tests=\"" << results_.size() << "\" failures=\""
        << failures << "\" skipped=\"" << skipped << "\" time=\"" << seconds << "\">\n";
    for (const CheckResult& result : results_) {
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
    xml << "</testsuite>\n";
    return xml.str();
}

std::string Report::summary() const {
    std::lock_guard lock(mutex_);
    std::ostringstream text;
    size_t counts[4] = {};
    for (const CheckResult& result : results_) {
        ++counts[static_cast<int>(result.status)];
        if (result.status == Status::fail || result.status == Status::warn)
            text << status_name(result.status) << " " << result.id
                 << (result.file.empty() ? "" : " " + result.file) << ": " << result.message
                 << "\n";
    }
    text << counts[0] << " passed, " << counts[1] << " failed, " << counts[2] << " warnings, "
         << counts[3] << " skipped; " << downloaded_ << " bytes downloaded\n";
    return text.str();
}

} // namespace squashpub::verifier
