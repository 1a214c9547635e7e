#include "verifier/manifest_form.hpp"

#include "core/error.hpp"
#include "verifier/client_manifest.hpp"

#include <cctype>
#include <sstream>
#include <vector>

namespace squashpub::verifier {

std::string fetch_manifest(VerifyContext& ctx) {
    const auto start = std::chrono::steady_clock::now();
    try {
        Fetched fetched =
            ctx.fetcher->fetch(kManifest, ctx.downloads(), ctx.options.max_manifest_bytes);
        ctx.report.add_downloaded(fetched.downloaded);
        ctx.result("manifest.fetch", Status::pass, kManifest, "fetched", {}, since(start));
        return read_whole_file(fetched.path);
    } catch (const UnreachableError&) {
        throw;
    } catch (const Error& e) {
        ctx.result("manifest.fetch", Status::fail, kManifest, e.what(), {}, since(start));
        return "";
    }
}

// §8 items 18 and 22: what would make the client misread the file.
void check_text_form(VerifyContext& ctx, const std::string& raw) {
    ctx.result("manifest.utf8", is_valid_utf8(raw) ? Status::pass : Status::fail, kManifest,
               is_valid_utf8(raw) ? "valid UTF-8"
                                  : "not valid UTF-8: the client fails to decode it");
    const ClientView view = parse_as_client(raw);
    ctx.result("manifest.line-endings", view.has_crlf ? Status::fail : Status::pass, kManifest,
               view.has_crlf ? "CRLF line endings: every name keeps a trailing CR and no lookup "
                               "ever matches"
                             : "LF line endings");
    std::vector<std::string> starred, trailing;
    for (const DigestLine& line : view.lines) {
        if (!line.name.empty() && line.name.front() == '*')
            starred.push_back(line.name);
        if (!line.name.empty() && std::isspace(static_cast<unsigned char>(line.name.back())) &&
            !view.has_crlf)
            trailing.push_back(line.name);
    }
    ctx.result("manifest.binary-markers", starred.empty() ? Status::pass : Status::fail, kManifest,
               starred.empty() ? "text-mode lines"
                               : "binary-mode '*' markers: the client looks up '" +
                                     starred.front() + "' and never finds it",
               {{"names", starred}});
    ctx.result("manifest.trailing-whitespace", trailing.empty() ? Status::pass : Status::fail,
               kManifest,
               trailing.empty() ? "no trailing whitespace"
                                : "trailing whitespace in names: the client keeps it",
               {{"names", trailing}});
    size_t escaped = 0;
    std::istringstream lines(raw);
    for (std::string line; std::getline(lines, line);)
        if (line.size() > 129 && line[0] == '\\' &&
            std::isxdigit(static_cast<unsigned char>(line[1])))
            ++escaped;
    ctx.result("manifest.escaped-names", escaped ? Status::fail : Status::pass, kManifest,
               escaped ? std::to_string(escaped) +
                             " escaped lines ('\\' prefix): the client does not unescape them"
                       : "no escaped names");
}

} // namespace squashpub::verifier
