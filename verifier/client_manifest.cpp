#include "verifier/client_manifest.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace squashpub::verifier {
namespace {

const char* kBeginSigned = "-----BEGIN PGP SIGNED MESSAGE-----";
const char* kBeginSignature = "-----BEGIN PGP SIGNATURE-----";
const char* kEndSignature = "-----END PGP SIGNATURE-----";

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line))
        lines.push_back(line);
    return lines;
}

std::string strip_cr(std::string line) {
    if (!line.empty() && line.back() == '\r')
        line.pop_back();
    return line;
}

bool is_hex(char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

} // namespace

ClearsignedParts split_clearsigned(const std::string& text) {
    ClearsignedParts parts;
    const std::vector<std::string> lines = split_lines(text);
    size_t i = 0;
    while (i < lines.size() && strip_cr(lines[i]) != kBeginSigned)
        parts.before += lines[i++] + "\n";
    if (i == lines.size()) {
        parts.body = text;
        parts.before.clear();
        return parts;
    }
    parts.is_signed = true;
    ++i;
    while (i < lines.size() && !strip_cr(lines[i]).empty()) // Hash: headers
        ++i;
    ++i;
    std::string body;
    for (; i < lines.size() && strip_cr(lines[i]) != kBeginSignature; ++i) {
        const std::string& line = lines[i];
        body += (line.rfind("- ", 0) == 0 ? line.substr(2) : line) + "\n";
    }
    // The final newline before the signature belongs to the armor (RFC 4880 §7.1).
    if (!body.empty())
        body.pop_back();
    parts.body = body.empty() ? body : body + "\n";
    for (++i; i < lines.size() && !strip_cr(lines[i]).empty(); ++i)
        parts.armor_headers.push_back(strip_cr(lines[i]));
    while (i < lines.size() && strip_cr(lines[i]) != kEndSignature)
        ++i;
    for (++i; i < lines.size(); ++i)
        parts.after += lines[i] + "\n";
    return parts;
}

ClientView parse_as_client(const std::string& text) {
    ClientView view;
    view.has_crlf = text.find("\r\n") != std::string::npos;
    const std::vector<std::string> lines = split_lines(text);
    for (size_t n = 0; n < lines.size(); ++n) {
        const std::string& line = lines[n];
        if (line.size() > 128 && std::all_of(line.begin(), line.begin() + 128, is_hex) &&
            std::isspace(static_cast<unsigned char>(line[128]))) {
            size_t start = 128;
            while (start < line.size() && std::isspace(static_cast<unsigned char>(line[start])))
                ++start;
            DigestLine digest{line.substr(start), line.substr(0, 128), n + 1};
            std::transform(digest.sha512.begin(), digest.sha512.end(), digest.sha512.begin(),
                           [](unsigned char c) { return std::tolower(c); });
            view.digests[digest.name] = digest.sha512;
            view.lines.push_back(digest);
            continue;
        }
        std::string lower = line;
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        const size_t marker = lower.find("current:");
        if (marker == std::string::npos)
            continue;
        std::istringstream tokens(line.substr(marker + 8));
        std::string token;
        while (tokens >> token)
            view.current_tokens.push_back(token);
    }
    return view;
}

std::string current_version(const ClientView& view, const std::string& repo) {
    const std::string prefix = repo + "-";
    for (const std::string& token : view.current_tokens)
        if (token.rfind(prefix, 0) == 0 && token.size() > prefix.size())
            return token.substr(prefix.size());
    return "";
}

bool is_valid_utf8(const std::string& text) {
    size_t i = 0;
    while (i < text.size()) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        size_t extra = c < 0x80         ? 0
                       : (c >> 5) == 6  ? 1
                       : (c >> 4) == 14 ? 2
                       : (c >> 3) == 30 ? 3
                                        : 9;
        if (extra == 9 || i + extra >= text.size() + (extra == 0))
            return false;
        for (size_t k = 1; k <= extra; ++k)
            if ((static_cast<unsigned char>(text[i + k]) >> 6) != 2)
                return false;
        i += extra + 1;
    }
    return true;
}

} // namespace squashpub::verifier
