#pragma once
// sha512sum.txt as the client reads it (spec §7.2-7.4), plus what a
// verifier needs to judge it: the clearsigned structure (the signed body,
// the armor headers, text outside), and every line the client would
// misread (CRLF, binary markers, escaped names, trailing whitespace).

#include <map>
#include <string>
#include <vector>

namespace squashpub::verifier {

struct ClearsignedParts {
    bool is_signed = false;
    std::string before;                     // text before "-----BEGIN PGP SIGNED MESSAGE-----"
    std::string body;                       // the signed text, dash-escaping undone
    std::vector<std::string> armor_headers; // of the signature block
    std::string after;                      // text after "-----END PGP SIGNATURE-----"
};

// Splits a clearsigned message; an unsigned file is all body.
ClearsignedParts split_clearsigned(const std::string& text);

struct DigestLine {
    std::string name; // exactly as the client takes it (no trimming)
    std::string sha512;
    size_t line_number = 0;
};

struct ClientView {
    std::vector<DigestLine> lines;              // every digest line, in order
    std::map<std::string, std::string> digests; // name -> hash, the last line wins
    std::vector<std::string> current_tokens;    // after "current:", in file order
    bool has_crlf = false;
};

// Parses text with the Portage module's rules: a digest line matches
// ^[0-9A-Fa-f]{128}\s+(.*)$; any line containing "current:" (any case),
// a digest line's name included, contributes the whitespace-separated
// tokens after it.
ClientView parse_as_client(const std::string& text);

// The version for repo: the first token matching ^repo-(.*)$.
std::string current_version(const ClientView& view, const std::string& repo);

bool is_valid_utf8(const std::string& text);

} // namespace squashpub::verifier
