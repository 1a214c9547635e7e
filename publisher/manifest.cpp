#include "publisher/manifest.hpp"

#include "core/error.hpp"

#include <sstream>

namespace squashpub::publisher {
namespace {

bool is_hex_digest(const std::string& text) {
    if (text.size() != 128)
        return false;
    for (char c : text)
        if (!std::isxdigit(static_cast<unsigned char>(c)))
            return false;
    return true;
}

} // namespace

std::set<std::string> Manifest::names() const {
    std::set<std::string> names;
    for (const auto& [name, hash] : files)
        names.insert(name);
    return names;
}

std::string Manifest::body() const {
    std::string text = "Current: " + current + "\n";
    for (const auto& [name, hash] : files)
        text += hash + "  " + name + "\n";
    return text;
}

Manifest Manifest::parse(const std::string& text, const std::string& subject) {
    Manifest manifest;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.size() > 130 && is_hex_digest(line.substr(0, 128)) &&
            (line[128] == ' ' || line[128] == '\t')) {
            size_t start = 129;
            while (start < line.size() && (line[start] == ' ' || line[start] == '\t'))
                ++start;
            manifest.files[line.substr(start)] = line.substr(0, 128);
            continue;
        }
        const size_t marker = line.find("Current:");
        if (marker != std::string::npos && manifest.current.empty()) {
            std::istringstream tokens(line.substr(marker + 8));
            tokens >> manifest.current;
        }
    }
    if (manifest.current.empty())
        throw Error(subject, "no Current: line");
    return manifest;
}

} // namespace squashpub::publisher
