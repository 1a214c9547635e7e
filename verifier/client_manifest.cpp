#include "verifier/client_manifest.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <string_view>

namespace squashpub::verifier {
namespace {

const char* kBeginSigned = "-----BEGIN PGP SIGNED MESSAGE-----";
const char* kBeginSignature = "-----BEGIN PGP SIGNATURE-----";
const char* kEndSignature = "-----END PGP SIGNATURE-----";

// Calls fn(line) for every line, without its '\n', as std::getline splits
// them; no copy of the whole list, so a file of millions of empty lines
// costs no more memory than the file itself.
template <typename Fn> void for_each_line(const std::string& text, Fn fn) {
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos)
            end = text.size();
        fn(std::string_view(text).substr(start, end - start));
        start = end + 1;
    }
}

std::string_view strip_cr(std::string_view line) {
    if (!line.empty() && line.back() == '\r')
        line.remove_suffix(1);
    return line;
}

bool is_hex(char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

} // namespace

ClearsignedParts split_clearsigned(const std::string& text) {
    enum class Part { before, hash_headers, body, armor_headers, armor, after };
    ClearsignedParts parts;
    Part part = Part::before;
    std::string body;
    for_each_line(text, [&](std::string_view raw) {
        const std::string_view line = strip_cr(raw);
        switch (part) {
        case Part::before:
            if (line == kBeginSigned)
                part = Part::hash_headers;
            else
                parts.before.append(raw).append("\n");
            break;
        case Part::hash_headers:
            if (line.empty())
                part = Part::body;
            break;
        case Part::body:
            if (line == kBeginSignature)
                part = Part::armor_headers;
            else
                body.append(raw.substr(raw.rfind("- ", 0) == 0 ? 2 : 0)).append("\n");
            break;
        case Part::armor_headers:
            if (line.empty())
                part = Part::armor;
            else
                parts.armor_headers.emplace_back(line);
            break;
        case Part::armor:
            if (line == kEndSignature)
                part = Part::after;
            break;
        case Part::after:
            parts.after.append(raw).append("\n");
            break;
        }
    });
    if (part == Part::before) {
        parts.before.clear();
        parts.body = text;
        return parts;
    }
    parts.is_signed = true;
    // The final newline before the signature belongs to the armor (RFC 4880 §7.1).
    if (!body.empty())
        body.pop_back();
    parts.body = body.empty() ? body : body + "\n";
    return parts;
}

ClientView parse_as_client(const std::string& text) {
    ClientView view;
    view.has_crlf = text.find("\r\n") != std::string::npos;
    size_t n = 0;
    for_each_line(text, [&](std::string_view line) {
        ++n;
        if (line.size() > 128 && std::all_of(line.begin(), line.begin() + 128, is_hex) &&
            std::isspace(static_cast<unsigned char>(line[128]))) {
            size_t start = 128;
            while (start < line.size() && std::isspace(static_cast<unsigned char>(line[start])))
                ++start;
            DigestLine digest{std::string(line.substr(start)), std::string(line.substr(0, 128)), n};
            std::transform(digest.sha512.begin(), digest.sha512.end(), digest.sha512.begin(),
                           [](unsigned char c) { return std::tolower(c); });
            view.digests[digest.name] = digest.sha512;
            view.lines.push_back(std::move(digest));
            // No return: the client also looks for "current:" on this line,
            // in the name too (spec §7.4).
        }
        std::string lower(line);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        const size_t marker = lower.find("current:");
        if (marker == std::string::npos)
            return;
        std::istringstream tokens(std::string(line.substr(marker + 8)));
        std::string token;
        while (tokens >> token)
            view.current_tokens.push_back(token);
    });
    return view;
}

std::string current_version(const ClientView& view, const std::string& repo) {
    const std::string prefix = repo + "-";
    for (const std::string& token : view.current_tokens)
        if (token.rfind(prefix, 0) == 0 && token.size() > prefix.size())
            return token.substr(prefix.size());
    return "";
}

// RFC 3629 §4, as Python's strict decoder (the client) reads it: no
// overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(const std::string& text) {
    auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    size_t i = 0;
    while (i < text.size()) {
        const unsigned char lead = byte(i);
        if (lead < 0x80) {
            ++i;
            continue;
        }
        // The sequence length and the range of the second byte, which is
        // where overlong forms, surrogates and code points past U+10FFFF show.
        size_t length = 0;
        unsigned char low = 0x80, high = 0xBF;
        if (lead >= 0xC2 && lead <= 0xDF)
            length = 2;
        else if (lead >= 0xE0 && lead <= 0xEF) {
            length = 3;
            low = lead == 0xE0 ? 0xA0 : 0x80;
            high = lead == 0xED ? 0x9F : 0xBF;
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            length = 4;
            low = lead == 0xF0 ? 0x90 : 0x80;
            high = lead == 0xF4 ? 0x8F : 0xBF;
        } else
            return false;
        if (text.size() - i < length || byte(i + 1) < low || byte(i + 1) > high)
            return false;
        for (size_t k = 2; k < length; ++k)
            if ((byte(i + k) >> 6) != 2)
                return false;
        i += length;
    }
    return true;
}

} // namespace squashpub::verifier
