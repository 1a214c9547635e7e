#include "verifier/mirror_verifier.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/names.hpp"
#include "core/parallel.hpp"
#include "core/safe_name.hpp"
#include "core/sha512.hpp"
#include "verifier/applier.hpp"
#include "verifier/client_manifest.hpp"
#include "verifier/fetcher.hpp"
#include "verifier/freshness_check.hpp"
#include "verifier/image_walk.hpp"
#include "verifier/recompression_memo.hpp"
#include "verifier/signature.hpp"
#include "verifier/signature_report.hpp"
#include "verifier/tree_on_signal.hpp"

#include <algorithm>
#include <cctype>
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

bool blank(const std::string& text) {
    return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

HttpOptions http_options(const VerifyOptions& options, Clock::time_point start) {
    HttpOptions http;
    http.min_speed = options.min_speed;
    http.max_redirects = options.max_redirects;
    if (options.timeout_seconds > 0)
        http.deadline = start + std::chrono::seconds(options.timeout_seconds);
    return http;
}

bool contains_current_marker(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return text.find("current:") != std::string::npos;
}

// Tokens for repo in a piece of text the client reads.
std::vector<std::string> tokens_for(const std::string& text, const std::string& repo) {
    std::vector<std::string> ours;
    for (const std::string& token : parse_as_client(text).current_tokens)
        if (token.rfind(repo + "-", 0) == 0)
            ours.push_back(token);
    return ours;
}

class MirrorCheck {
  public:
    explicit MirrorCheck(const VerifyOptions& options)
        : options_(options), start_(Clock::now()),
          fetcher_(make_fetcher(options.source, http_options(options, start_))),
          scratch_(options.temp_dir, "squashpub-verify"), on_signal_(scratch_.path()),
          freshness_(options.source, options.freshness) {
        std::filesystem::create_directory(downloads());
        std::filesystem::create_directory(rebuilt_dir());
    }

    Report run() {
        const std::string raw = fetch_manifest();
        if (raw.empty() && report_.has_failures())
            return std::move(report_);
        check_text_form(raw);
        const std::optional<std::string> trusted = trusted_body(raw);
        if (!trusted) {
            // Nothing an untrusted manifest lists is fetched, let alone applied.
            result("mirror.files", Status::skip, "",
                   "not checked: the manifest's signature is not valid, so nothing it lists is "
                   "fetched or applied");
            report_.set_repos(options_.repos);
            return std::move(report_);
        }
        freshness_.check_manifest(signed_parts_ ? &*trusted : nullptr, report_);
        ClientView view = parse_as_client(*trusted);
        check_names(view);
        check_duplicates(view);
        const std::vector<std::string> repos =
            options_.repos.empty() ? discover_repos(view) : options_.repos;
        report_.set_repos(repos);
        std::map<std::string, Listed> files = fetch_files(view, repos);
        check_unlisted(view);
        std::map<std::string, std::vector<std::string>> deltas = deltas_by_repo(view, repos);
        for (const std::string& repo : repos) {
            repo_ = repo;
            target_walk_.reset();
            if (signed_parts_)
                check_current_outside_body(*signed_parts_, *trusted);
            check_current_in_names(view);
            const std::string version = check_current(view);
            check_client_view(raw, version);
            freshness_.check_repo(repo, version, report_);
            check_listed_files(view, version, files, deltas[repo]);
        }
        repo_.clear();
        // Deltas no repository checked here can use.
        for (const std::string& name : deltas[""]) {
            result("delta.target", Status::warn, name,
                   "does not lead to the current version of a repository: no client will ever "
                   "use it");
            fetch_listed(name, view.digests.at(name), options_.max_file_bytes);
        }
        if (timed_out())
            result("run.timeout", Status::fail, "",
                   "the run's --timeout of " + std::to_string(options_.timeout_seconds) +
                       " s expired: later files were not checked");
        freshness_.record(report_);
        return std::move(report_);
    }

  private:
    struct Listed {
        std::string name;
        std::string sha512;
        std::optional<Fetched> fetched;
        bool good = false;
    };

    void result(const std::string& id, Status status, const std::string& file,
                const std::string& message, nlohmann::json details = nlohmann::json::object(),
                double seconds = 0) {
        report_.add({id, repo_, status, file, message, seconds, std::move(details)});
    }

    std::string downloads() const { return scratch_.file("files"); }
    std::string rebuilt_dir() const { return scratch_.file("rebuilt"); }

    bool timed_out() const {
        return options_.timeout_seconds > 0 &&
               Clock::now() >= start_ + std::chrono::seconds(options_.timeout_seconds);
    }

    std::string fetch_manifest() {
        const auto start = std::chrono::steady_clock::now();
        try {
            Fetched fetched = fetcher_->fetch(kManifest, downloads(), options_.max_manifest_bytes);
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

    // §8 item 12: only the signed body may be trusted. nullopt when a
    // signature is there but not valid, or required and missing: then
    // nothing the file lists may be acted on.
    std::optional<std::string> trusted_body(const std::string& raw) {
        const ClearsignedParts parts = split_clearsigned(raw);
        if (parts.is_signed && (!blank(parts.before) || !blank(parts.after)))
            result("manifest.outside-signed-text", Status::warn, kManifest,
                   "text before or after the signed message: the client parses it too");
        if (options_.openpgp == OpenPgpMode::no) {
            result("signature.valid", Status::skip, kManifest, "OpenPGP checking disabled");
            return parts.is_signed ? parts.body : raw;
        }
        if (!parts.is_signed) {
            const bool required = options_.openpgp == OpenPgpMode::required;
            result("signature.valid", required ? Status::fail : Status::warn, kManifest,
                   "the manifest is not signed");
            if (required)
                return std::nullopt;
            return raw;
        }
        const auto start = std::chrono::steady_clock::now();
        SignatureCheck sig = verify_clearsigned(raw, *options_.keyring, scratch_.path());
        result("signature.valid", sig.good ? Status::pass : Status::fail, kManifest,
               sig.good ? "good signature by " + sig.fingerprint : sig.problem,
               signature_details(sig), since(start));
        report_other_signatures(sig, report_);
        if (!sig.good)
            return std::nullopt;
        signed_parts_ = parts;
        check_digests_outside_body(raw, sig.signed_text);
        return sig.signed_text;
    }

    // The client builds its digest map from the whole file, the last line
    // for a name winning (spec §7.2): a line outside the signed message
    // that adds a name or changes a hash makes it fetch and accept content
    // nobody signed. The maps must be equal.
    void check_digests_outside_body(const std::string& raw, const std::string& body) {
        const std::map<std::string, std::string> client = parse_as_client(raw).digests;
        const std::map<std::string, std::string> trusted = parse_as_client(body).digests;
        const size_t max_reported = 100; // a mirror may add millions of lines
        size_t differences = 0;
        auto report = [&](const std::string& name, const std::string& message) {
            if (++differences <= max_reported)
                result("signature.digests-outside-body", Status::fail, name, message);
        };
        for (const auto& [name, hash] : client) {
            const auto it = trusted.find(name);
            if (it == trusted.end())
                report(name, "listed outside the signed message, not in the signed body: the "
                             "client would fetch and accept content nobody signed");
            else if (it->second != hash)
                report(name, "a line outside the signed message changes its hash to " +
                                 hash.substr(0, 16) + "…, the signed body says " +
                                 it->second.substr(0, 16) + "…: the client takes the last line");
        }
        for (const auto& [name, hash] : trusted)
            if (!client.count(name))
                report(name, "in the signed body, but the client reading the whole file does "
                             "not see it");
        if (differences > max_reported)
            result("signature.digests-outside-body", Status::fail, kManifest,
                   std::to_string(differences) + " names differ in all, " +
                       std::to_string(max_reported) + " reported");
        if (differences == 0)
            result("signature.digests-outside-body", Status::pass, kManifest,
                   "the client's digest map, read from the whole file, is the signed one");
    }

    // The client reads Current: anywhere in the file (spec §7.4), the
    // signature covers only the body: a token for this repository anywhere
    // else is the mirror's word, not the publisher's.
    void check_current_outside_body(const ClearsignedParts& parts, const std::string& body) {
        const std::string signed_version = current_version(parse_as_client(body), repo_);
        std::string armor;
        for (const std::string& header : parts.armor_headers)
            armor += header + "\n";
        const struct {
            const char* where;
            const std::string& text;
        } places[] = {{"before the signed message", parts.before},
                      {"in an armor header", armor},
                      {"after the signature", parts.after}};
        bool any = false;
        for (const auto& place : places) {
            for (const std::string& token : tokens_for(place.text, repo_)) {
                any = true;
                const std::string version = token.substr(repo_.size() + 1);
                // The one harmless case: an armor Comment: repeating the signed
                // version after the body (daily-gen's, the publisher's
                // current_in_comment), which the client never reaches first.
                const bool repeat = version == signed_version && place.where == places[1].where;
                result("signature.current-outside-body", repeat ? Status::warn : Status::fail,
                       kManifest,
                       "Current: " + token + " " + place.where +
                           (repeat ? ", repeating the signed version; the signature does not "
                                     "cover it"
                            : signed_version.empty()
                                ? ": the signature does not cover it and the signed body has "
                                  "none; the client would follow it"
                            : version == signed_version
                                ? ": the signature does not cover it, and the client reads "
                                  "it before the signed one"
                                : ": names another version than the signed " + signed_version +
                                      ", and the client may follow it"));
            }
        }
        if (!any)
            result("signature.current-outside-body", Status::pass, kManifest,
                   "Current: for " + repo_ + " only in the signed body");
    }

    // What the client, which reads the whole file, would take as current.
    void check_client_view(const std::string& raw, const std::string& version) {
        if (version.empty())
            return;
        const std::string client = current_version(parse_as_client(raw), repo_);
        result("current.client-view", client == version ? Status::pass : Status::fail, kManifest,
               client == version ? "the client reads the same version, " + version
                                 : "the client reading the whole file takes version '" + client +
                                       "', the trusted text says '" + version + "'");
    }

    // A listed name containing "current:" is also a Current: line to the
    // client (spec §7.4): a failure when it yields a token for this
    // repository, which the client may follow, a warning otherwise.
    void check_current_in_names(const ClientView& view) {
        bool any = false;
        for (const DigestLine& line : view.lines) {
            if (!contains_current_marker(line.name))
                continue;
            const std::vector<std::string> ours = tokens_for(line.name, repo_);
            any = true;
            result("manifest.current-in-name", ours.empty() ? Status::warn : Status::fail,
                   line.name,
                   "line " + std::to_string(line.line_number) +
                       ": the name contains \"current:\", which the client reads as a "
                       "Current: line" +
                       (ours.empty() ? std::string(" (no token for " + repo_ + ")")
                                     : "; it yields " + ours.front() + " for " + repo_));
        }
        if (!any)
            result("manifest.current-in-name", Status::pass, kManifest,
                   "no listed name contains \"current:\"");
    }

    // Names are data: a listed name that is not a plain file name is never
    // fetched, opened or written (a "../../etc/passwd" line would otherwise
    // write outside the scratch directory, or read outside the mirror).
    void check_names(ClientView& view) {
        std::set<std::string> refused;
        for (const DigestLine& line : view.lines) {
            const std::string reason = unsafe_name_reason(line.name);
            if (reason.empty() || refused.count(line.name))
                continue;
            refused.insert(line.name);
            result("manifest.names", Status::fail, line.name,
                   "line " + std::to_string(line.line_number) + ": not a plain file name (" +
                       reason + "); never fetched, opened or written");
        }
        for (const std::string& name : refused)
            view.digests.erase(name);
        std::erase_if(view.lines,
                      [&](const DigestLine& line) { return refused.count(line.name) > 0; });
        if (refused.empty())
            result("manifest.names", Status::pass, kManifest,
                   "every listed name is a plain file name");
    }

    // The repositories the trusted body's Current: tokens name, read the
    // way the client reads them; the version has no '-' (core/names), so
    // the repository is everything before the last one. A name outside the
    // repository grammar is reported and never checked.
    std::vector<std::string> discover_repos(const ClientView& view) {
        std::vector<std::string> repos;
        for (const std::string& token : view.current_tokens) {
            const size_t dash = token.rfind('-');
            const std::string repo = dash == std::string::npos ? "" : token.substr(0, dash);
            const std::string problem =
                repo.empty() ? "is not ${repo}-${version}" : repo_name_problem(repo);
            if (!problem.empty()) {
                result("names.repo", Status::fail, kManifest,
                       "Current: token '" + token.substr(0, 200) + "': repository '" +
                           repo.substr(0, 100) + "' " + problem + "; not checked");
                continue;
            }
            if (std::find(repos.begin(), repos.end(), repo) == repos.end())
                repos.push_back(repo);
        }
        if (repos.empty())
            result("current.token", Status::fail, kManifest,
                   "no Current: ${repo}-${version} token in the trusted text names a repository");
        return repos;
    }

    // The checked repository a listed name belongs to: the longest whose
    // "${repo}-" prefixes it ("gentoo-kde-1.sqfs" is gentoo-kde's, not
    // gentoo's); "" for none.
    static std::string owner(const std::string& name, const std::vector<std::string>& repos) {
        std::string best;
        for (const std::string& repo : repos)
            if (name.rfind(repo + "-", 0) == 0 && repo.size() > best.size())
                best = repo;
        return best;
    }

    // Every listed file but the deltas, fetched once, each result under the
    // repository it belongs to.
    std::map<std::string, Listed> fetch_files(const ClientView& view,
                                              const std::vector<std::string>& repos) {
        std::map<std::string, Listed> files;
        for (const auto& [name, hash] : view.digests)
            if (!name.ends_with(".sqdelta")) {
                repo_ = owner(name, repos);
                files[name] = fetch_listed(name, hash, options_.max_file_bytes);
            }
        repo_.clear();
        return files;
    }

    std::map<std::string, std::vector<std::string>>
    deltas_by_repo(const ClientView& view, const std::vector<std::string>& repos) {
        std::map<std::string, std::vector<std::string>> deltas;
        for (const auto& [name, hash] : view.digests)
            if (name.ends_with(".sqdelta"))
                deltas[owner(name, repos)].push_back(name);
        return deltas;
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
            if (token.rfind(repo_ + "-", 0) == 0)
                ours.push_back(token);
        const std::string version = current_version(view, repo_);
        if (version.empty()) {
            result("current.token", Status::fail, kManifest,
                   "no Current: " + repo_ + "-VERSION in the trusted text");
            return "";
        }
        std::set<std::string> distinct(ours.begin(), ours.end());
        result("current.token", distinct.size() == 1 ? Status::pass : Status::fail, kManifest,
               distinct.size() == 1
                   ? "Current: " + ours.front()
                   : std::to_string(distinct.size()) + " different Current: tokens match " + repo_ +
                         "-: the client's match is ambiguous and it takes the "
                         "first, " +
                         ours.front());
        // Spec §7.4: "gentoo-kde-20150401" matches ^gentoo-(.*)$ with
        // version "kde-20150401": another repository's snapshot.
        if (version.find('-') != std::string::npos)
            result("current.prefix-collision", Status::fail, kManifest,
                   "Current: " + repo_ + "-" + version + " matches '" + repo_ +
                       "-' only as a prefix: the client takes version '" + version +
                       "', which may be repository '" + repo_ + "-" +
                       version.substr(0, version.find('-')) + "''s snapshot");
        else
            result("current.prefix-collision", Status::pass, kManifest,
                   "the version has no '-': no other repository's name can match");
        const std::string snapshot = repo_ + "-" + version + ".sqfs";
        if (!is_safe_name(snapshot)) {
            result("manifest.names", Status::fail, snapshot,
                   "the current snapshot's name is not a plain file name (" +
                       unsafe_name_reason(snapshot) + "); never fetched");
            return "";
        }
        if (repo_.find_first_of(".*+?[](){}|^$\\") != std::string::npos)
            result("names.repo", Status::warn, kManifest,
                   "repository name has regex metacharacters; the client does not escape them");
        return version;
    }

    Listed fetch_listed(const std::string& name, const std::string& sha512, uint64_t max_bytes) {
        Listed listed{name, sha512, std::nullopt, false};
        const auto start = std::chrono::steady_clock::now();
        try {
            listed.fetched = fetcher_->fetch(name, downloads(), max_bytes);
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
    void check_listed_files(const ClientView& view, const std::string& version,
                            std::map<std::string, Listed>& files,
                            const std::vector<std::string>& delta_names) {
        const std::string snapshot_name = repo_ + "-" + version + ".sqfs";
        if (version.empty())
            return;
        const bool snapshot_listed = view.digests.count(snapshot_name) > 0;
        result("current.listed", snapshot_listed ? Status::pass : Status::fail, snapshot_name,
               snapshot_listed ? "the current snapshot is listed"
                               : "the current snapshot is not listed: initial syncs fail");

        if (snapshot_listed && files[snapshot_name].good)
            check_initial_sync(files[snapshot_name]);
        // A client downloads the snapshot rather than a delta larger than it.
        const uint64_t max_delta =
            snapshot_listed && files[snapshot_name].fetched
                ? std::min(files[snapshot_name].fetched->bytes, options_.max_file_bytes)
                : options_.max_file_bytes;
        const std::string current_link = repo_ + "-current.sqfs";
        if (view.digests.count(current_link) && snapshot_listed)
            result("current.symlink",
                   view.digests.at(current_link) == view.digests.at(snapshot_name) ? Status::pass
                                                                                   : Status::fail,
                   current_link, "must list the same hash as " + snapshot_name);

        std::vector<std::pair<std::string, std::string>> deltas;
        for (const std::string& name : delta_names)
            deltas.push_back({name, view.digests.at(name)});
        RecompressionMemo memo;
        parallel_for(deltas.size(), options_.jobs, [&](size_t i, unsigned) {
            if (timed_out())
                return;
            check_delta(deltas[i].first, deltas[i].second, version, snapshot_listed, files,
                        view.digests, memo, max_delta);
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
            target_walk_ = stats;
            result("snapshot.walk", Status::pass, snapshot.name,
                   "opened and walked: " + std::to_string(stats.files) + " files, " +
                       std::to_string(stats.directories) + " directories",
                   {{"files", stats.files},
                    {"directories", stats.directories},
                    {"symlinks", stats.symlinks},
                    {"bytes", stats.bytes}},
                   since(start));
        } catch (const Error& e) {
            result("snapshot.walk", Status::fail, snapshot.name,
                   relabel(e.what(), snapshot.fetched->path, fetcher_->describe(snapshot.name)), {},
                   since(start));
        }
    }

    struct SourceImage {
        std::string path;  // to open
        std::string label; // for people: the mirror's name for it, or the path
    };

    std::optional<SourceImage> source_image(const std::string& old_version,
                                            const std::map<std::string, Listed>& files) {
        const std::string name = repo_ + "-" + old_version + ".sqfs";
        auto listed = files.find(name);
        if (listed != files.end() && listed->second.good)
            return SourceImage{listed->second.fetched->path, fetcher_->describe(name)};
        for (const std::string& dir : options_.image_dirs)
            if (fs::exists(dir + "/" + name))
                return SourceImage{dir + "/" + name, dir + "/" + name};
        return std::nullopt;
    }

    // Messages name files as the mirror does, not by the descriptor or
    // download path they were read through.
    static std::string relabel(std::string text, const std::string& path,
                               const std::string& label) {
        for (size_t at = text.find(path); at != std::string::npos;
             at = text.find(path, at + label.size()))
            text.replace(at, path.size(), label);
        return text;
    }

    void check_delta(const std::string& name, const std::string& hash, const std::string& version,
                     bool snapshot_listed, const std::map<std::string, Listed>& files,
                     const std::map<std::string, std::string>& digests, RecompressionMemo& memo,
                     uint64_t max_delta) {
        const std::string prefix = repo_ + "-";
        const std::string suffix = "-" + version + ".sqdelta";
        if (name.rfind(prefix, 0) != 0 || !name.ends_with(suffix) ||
            name.size() <= prefix.size() + suffix.size()) {
            result("delta.target", Status::warn, name,
                   "does not lead to the current version: no client will ever use it");
            fetch_listed(name, hash, max_delta);
            return;
        }
        if (!snapshot_listed) {
            result("delta.target", Status::fail, name, "its target snapshot is not listed");
            return;
        }
        Listed delta = fetch_listed(name, hash, max_delta);
        if (!delta.good)
            return;
        const auto target = files.find(prefix + version + ".sqfs");
        if (target == files.end() || !target->second.good) {
            result("delta.apply", Status::skip, name,
                   "not applied: its target snapshot failed its own checks, so the most this "
                   "delta may produce is not known");
            return;
        }
        const std::string old_version =
            name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
        std::optional<SourceImage> old_image = source_image(old_version, files);
        if (!old_image) {
            result("delta.apply", Status::skip, name,
                   "no image of " + old_version + " (listed, --cache or --archive) to apply it to");
            return;
        }
        const auto start = std::chrono::steady_clock::now();
        const std::string rebuilt = rebuilt_dir() + "/" + name;
        try {
            ApplyOptions apply{scratch_.path(), 1, &memo};
            apply.max_output = expanded_target_bound(target->second.fetched->bytes);
            apply_delta(old_image->path, delta.fetched->path, rebuilt, apply);
            const bool exact = sha512_of_file(rebuilt) == digests.at(prefix + version + ".sqfs");
            fs::remove(rebuilt);
            result("delta.apply", exact ? Status::pass : Status::fail, name,
                   exact ? "rebuilds " + prefix + version + ".sqfs exactly"
                         : "applies, but the rebuilt image does not match the listed hash of " +
                               prefix + version + ".sqfs",
                   {{"source", old_image->label}}, since(start));
        } catch (const Error& e) {
            const std::string message =
                relabel(relabel(e.what(), delta.fetched->path, fetcher_->describe(name)),
                        old_image->path, old_image->label);
            result("delta.apply", Status::fail, name, message, {{"source", old_image->label}},
                   since(start));
        }
    }

    // The most an expanded target for this snapshot can hold (spec §2.5):
    // the image, the decompressed content of its blocks (the files' bytes,
    // as the walk read them, and the metadata of every entry), their list
    // and the trailer. Twice the image covers lists, fragment and metadata
    // slack; without a walk, content is assumed to compress 8:1.
    uint64_t expanded_target_bound(uint64_t image_bytes) const {
        uint64_t content = 8 * image_bytes;
        if (target_walk_) {
            const WalkStats& w = *target_walk_;
            content = w.bytes + 512 * (w.files + w.directories + w.symlinks + w.other);
        }
        return 2 * image_bytes + content + (1u << 20);
    }

    const VerifyOptions& options_;
    Clock::time_point start_;
    std::unique_ptr<Fetcher> fetcher_;
    TempDir scratch_;
    TreeOnSignal on_signal_;
    FreshnessCheck freshness_;
    std::optional<WalkStats> target_walk_;
    std::optional<ClearsignedParts> signed_parts_; // when the signature checked out
    std::string repo_; // the repository being checked; "" for the mirror's own checks
    Report report_;
};

} // namespace

Report verify_mirror(const VerifyOptions& options) {
    return MirrorCheck(options).run();
}

} // namespace squashpub::verifier
