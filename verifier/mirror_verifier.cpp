#include "verifier/mirror_verifier.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/parallel.hpp"
#include "core/sha512.hpp"
#include "verifier/applier.hpp"
#include "verifier/client_manifest.hpp"
#include "verifier/fetcher.hpp"
#include "verifier/image_walk.hpp"
#include "verifier/recompression_memo.hpp"
#include "verifier/signature.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace squashpub::verifier {
namespace {

const char* kManifest = "sha512sum.txt";

double since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return text;
}

bool blank(const std::string& text) {
    return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

class MirrorCheck {
  public:
    explicit MirrorCheck(const VerifyOptions& options)
        : options_(options), fetcher_(make_fetcher(options.source)),
          scratch_(options.temp_dir, "squashpub-verify") {}

    Report run() {
        const std::string raw = fetch_manifest();
        if (raw.empty() && report_.has_failures())
            return std::move(report_);
        check_text_form(raw);
        const std::string trusted = trusted_body(raw);
        const ClientView view = parse_as_client(trusted);
        check_duplicates(view);
        const std::string version = check_current(view);
        check_listed_files(view, version);
        return std::move(report_);
    }

  private:
    void result(const std::string& id, Status status, const std::string& file,
                const std::string& message, nlohmann::json details = nlohmann::json::object(),
                double seconds = 0) {
        report_.add({id, status, file, message, seconds, std::move(details)});
    }

    std::string fetch_manifest() {
        const auto start = std::chrono::steady_clock::now();
        try {
            Fetched fetched = fetcher_->fetch(kManifest, scratch_.path());
            report_.add_downloaded(fetched.downloaded);
            result("manifest.fetch", Status::pass, kManifest, "fetched", {}, since(start));
            return read_whole_file(fetched.path);
        } catch (const UnreachableError&) {
            throw;
        } catch (const Error& e) {
            result("manifest.fetch", Status::fail, kManifest, e.what(), {}, since(start));
            return "";
        }
    }

    // §8 items 18 and 22: what would make the client misread the file.
    void check_text_form(const std::string& raw) {
        result("manifest.utf8", is_valid_utf8(raw) ? Status::pass : Status::fail, kManifest,
               is_valid_utf8(raw) ? "valid UTF-8"
                                  : "not valid UTF-8: the client fails to decode it");
        const ClientView view = parse_as_client(raw);
        result("manifest.line-endings", view.has_crlf ? Status::fail : Status::pass, kManifest,
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
        result("manifest.binary-markers", starred.empty() ? Status::pass : Status::fail, kManifest,
               starred.empty() ? "text-mode lines"
                               : "binary-mode '*' markers: the client looks up '" +
                                     starred.front() + "' and never finds it",
               {{"names", starred}});
        result("manifest.trailing-whitespace", trailing.empty() ? Status::pass : Status::fail,
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
        result("manifest.escaped-names", escaped ? Status::fail : Status::pass, kManifest,
               escaped ? std::to_string(escaped) +
                             " escaped lines ('\\' prefix): the client does not unescape them"
                       : "no escaped names");
    }

    // §8 item 12: only the signed body may be trusted.
    std::string trusted_body(const std::string& raw) {
        const ClearsignedParts parts = split_clearsigned(raw);
        if (parts.is_signed && (!blank(parts.before) || !blank(parts.after)))
            result("manifest.outside-signed-text", Status::warn, kManifest,
                   "text before or after the signed message: the client parses it too");
        bool armor_current = false;
        for (const std::string& header : parts.armor_headers)
            armor_current = armor_current || lower(header).find("current:") != std::string::npos;

        std::string trusted = parts.is_signed ? parts.body : raw;
        if (options_.openpgp == OpenPgpMode::no) {
            result("signature.valid", Status::skip, kManifest, "OpenPGP checking disabled");
        } else if (!parts.is_signed) {
            result("signature.valid",
                   options_.openpgp == OpenPgpMode::required ? Status::fail : Status::warn,
                   kManifest, "the manifest is not signed");
        } else {
            const auto start = std::chrono::steady_clock::now();
            SignatureCheck sig = verify_clearsigned(raw, *options_.keyring, scratch_.path());
            result("signature.valid", sig.good ? Status::pass : Status::fail, kManifest,
                   sig.good ? "good signature by " + sig.fingerprint : sig.problem,
                   {{"fingerprint", sig.fingerprint}}, since(start));
            if (sig.good)
                trusted = sig.signed_text;
        }
        const bool body_current = !current_version(parse_as_client(trusted), options_.repo).empty();
        if (armor_current && !body_current)
            result("signature.current-in-armor-only", Status::fail, kManifest,
                   "Current: appears only in an armor header, which the signature does not "
                   "cover");
        else if (armor_current)
            result("signature.current-in-armor-only", Status::pass, kManifest,
                   "Current: is in the signed body (and repeated in an armor header)");
        return trusted;
    }

    // §8 item 17.
    void check_duplicates(const ClientView& view) {
        std::map<std::string, std::set<std::string>> hashes;
        std::map<std::string, int> count;
        for (const DigestLine& line : view.lines) {
            hashes[line.name].insert(line.sha512);
            ++count[line.name];
        }
        for (const auto& [name, n] : count) {
            if (n < 2)
                continue;
            if (hashes[name].size() > 1)
                result("manifest.duplicates", Status::fail, name,
                       "listed " + std::to_string(n) +
                           " times with different hashes; the client keeps the last");
            else
                result("manifest.duplicates", Status::warn, name,
                       "listed " + std::to_string(n) + " times with the same hash");
        }
    }

    // §8 items 13 and 21.
    std::string check_current(const ClientView& view) {
        std::vector<std::string> ours;
        for (const std::string& token : view.current_tokens)
            if (token.rfind(options_.repo + "-", 0) == 0)
                ours.push_back(token);
        const std::string version = current_version(view, options_.repo);
        if (version.empty()) {
            result("current.token", Status::fail, kManifest,
                   "no Current: " + options_.repo + "-VERSION in the trusted text");
            return "";
        }
        std::set<std::string> distinct(ours.begin(), ours.end());
        result("current.token", distinct.size() == 1 ? Status::pass : Status::fail, kManifest,
               distinct.size() == 1
                   ? "Current: " + ours.front()
                   : std::to_string(distinct.size()) + " different Current: tokens for " +
                         options_.repo + "; the client takes the first");
        if (version.find('-') != std::string::npos)
            result("names.version", Status::warn, kManifest,
                   "version '" + version +
                       "' contains '-': delta names become ambiguous, and it may be another "
                       "repository's name ('" +
                       options_.repo + "-' is its prefix)");
        if (options_.repo.find_first_of(".*+?[](){}|^$\\") != std::string::npos)
            result("names.repo", Status::warn, kManifest,
                   "repository name has regex metacharacters; the client does not escape them");
        return version;
    }

    struct Listed {
        std::string name;
        std::string sha512;
        std::optional<Fetched> fetched;
        bool good = false;
    };

    Listed fetch_listed(const std::string& name, const std::string& sha512) {
        Listed listed{name, sha512, std::nullopt, false};
        const auto start = std::chrono::steady_clock::now();
        try {
            listed.fetched = fetcher_->fetch(name, scratch_.path());
        } catch (const UnreachableError& e) {
            result("file.present", Status::fail, name, e.what(), {}, since(start));
            return listed;
        } catch (const Error& e) {
            result("file.present", Status::fail, name,
                   std::string("listed but cannot be fetched: ") + e.what(), {}, since(start));
            return listed;
        }
        report_.add_downloaded(listed.fetched->downloaded);
        listed.good = listed.fetched->sha512 == sha512;
        result("file.hash", listed.good ? Status::pass : Status::fail, name,
               listed.good ? "SHA-512 matches"
                           : "SHA-512 does not match the listed hash (tampered or truncated)",
               {{"bytes", listed.fetched->bytes}}, since(start));
        return listed;
    }

    // §8 items 10, 14-16, 19, 20, and the client replay.
    void check_listed_files(const ClientView& view, const std::string& version) {
        const std::string snapshot_name = options_.repo + "-" + version + ".sqfs";
        if (version.empty())
            return;
        const bool snapshot_listed = view.digests.count(snapshot_name) > 0;
        result("current.listed", snapshot_listed ? Status::pass : Status::fail, snapshot_name,
               snapshot_listed ? "the current snapshot is listed"
                               : "the current snapshot is not listed: initial syncs fail");

        std::map<std::string, Listed> files;
        for (const auto& [name, hash] : view.digests)
            if (!name.ends_with(".sqdelta"))
                files[name] = fetch_listed(name, hash);
        check_unlisted(view);
        if (snapshot_listed && files[snapshot_name].good)
            check_initial_sync(files[snapshot_name]);
        const std::string current_link = options_.repo + "-current.sqfs";
        if (view.digests.count(current_link) && snapshot_listed)
            result("current.symlink",
                   view.digests.at(current_link) == view.digests.at(snapshot_name) ? Status::pass
                                                                                   : Status::fail,
                   current_link, "must list the same hash as " + snapshot_name);

        std::vector<std::pair<std::string, std::string>> deltas;
        for (const auto& [name, hash] : view.digests)
            if (name.ends_with(".sqdelta"))
                deltas.push_back({name, hash});
        RecompressionMemo memo;
        parallel_for(deltas.size(), options_.jobs, [&](size_t i, unsigned) {
            check_delta(deltas[i].first, deltas[i].second, version, snapshot_listed, files,
                        view.digests, memo);
        });
    }

    void check_unlisted(const ClientView& view) {
        std::optional<std::set<std::string>> present = fetcher_->list();
        if (!present) {
            result("mirror.unlisted", Status::skip, "", "an http mirror cannot be listed");
            return;
        }
        size_t unlisted = 0;
        for (const std::string& name : *present) {
            if (name == kManifest || name.front() == '.' || view.digests.count(name))
                continue;
            ++unlisted;
            result("mirror.unlisted", Status::warn, name,
                   "present but not listed: no client uses it");
        }
        if (unlisted == 0)
            result("mirror.unlisted", Status::pass, "", "every file is listed");
    }

    void check_initial_sync(const Listed& snapshot) {
        const auto start = std::chrono::steady_clock::now();
        try {
            WalkStats stats = walk_image(snapshot.fetched->path);
            result("snapshot.walk", Status::pass, snapshot.name,
                   "opened and walked: " + std::to_string(stats.files) + " files, " +
                       std::to_string(stats.directories) + " directories",
                   {{"files", stats.files},
                    {"directories", stats.directories},
                    {"symlinks", stats.symlinks},
                    {"bytes", stats.bytes}},
                   since(start));
        } catch (const Error& e) {
            result("snapshot.walk", Status::fail, snapshot.name, e.what(), {}, since(start));
        }
    }

    std::optional<std::string> source_image(const std::string& old_version,
                                            const std::map<std::string, Listed>& files) {
        const std::string name = options_.repo + "-" + old_version + ".sqfs";
        auto listed = files.find(name);
        if (listed != files.end() && listed->second.good)
            return listed->second.fetched->path;
        for (const std::string& dir : options_.image_dirs)
            if (fs::exists(dir + "/" + name))
                return dir + "/" + name;
        return std::nullopt;
    }

    void check_delta(const std::string& name, const std::string& hash, const std::string& version,
                     bool snapshot_listed, const std::map<std::string, Listed>& files,
                     const std::map<std::string, std::string>& digests, RecompressionMemo& memo) {
        const std::string prefix = options_.repo + "-";
        const std::string suffix = "-" + version + ".sqdelta";
        if (name.rfind(prefix, 0) != 0 || !name.ends_with(suffix) ||
            name.size() <= prefix.size() + suffix.size()) {
            result("delta.target", Status::warn, name,
                   "does not lead to the current version: no client will ever use it");
            fetch_listed(name, hash);
            return;
        }
        if (!snapshot_listed) {
            result("delta.target", Status::fail, name, "its target snapshot is not listed");
            return;
        }
        Listed delta = fetch_listed(name, hash);
        if (!delta.good)
            return;
        const std::string old_version =
            name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
        std::optional<std::string> old_image = source_image(old_version, files);
        if (!old_image) {
            result("delta.apply", Status::skip, name,
                   "no image of " + old_version + " (listed, --cache or --archive) to apply it to");
            return;
        }
        const auto start = std::chrono::steady_clock::now();
        const std::string rebuilt = scratch_.file(name + ".rebuilt");
        try {
            apply_delta(*old_image, delta.fetched->path, rebuilt, {scratch_.path(), 1, &memo});
            const bool exact = sha512_of_file(rebuilt) == digests.at(prefix + version + ".sqfs");
            fs::remove(rebuilt);
            result("delta.apply", exact ? Status::pass : Status::fail, name,
                   exact ? "rebuilds " + prefix + version + ".sqfs exactly"
                         : "applies, but the rebuilt image does not match the listed hash of " +
                               prefix + version + ".sqfs",
                   {{"source", *old_image}}, since(start));
        } catch (const Error& e) {
            result("delta.apply", Status::fail, name, e.what(), {{"source", *old_image}},
                   since(start));
        }
    }

    const VerifyOptions& options_;
    std::unique_ptr<Fetcher> fetcher_;
    TempDir scratch_;
    Report report_;
};

} // namespace

Report verify_mirror(const VerifyOptions& options) {
    return MirrorCheck(options).run();
}

} // namespace squashpub::verifier
