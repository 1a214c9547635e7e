#include "config/publisher_config.hpp"

#include "config/json_fields.hpp"
#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/names.hpp"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace squashpub::config {
namespace {

std::string required_string(JsonObject& top, const std::string& key) {
    auto value = top.string(key);
    if (!value || value->empty())
        top.fail(key, "required (a non-empty string)");
    return *value;
}

SigningConfig read_signing(JsonObject& signing) {
    SigningConfig config;
    auto key = signing.string("key");
    auto keys = signing.string_list("keys");
    if (key && keys)
        signing.fail("keys", "give either \"key\" (one fingerprint) or \"keys\" (a list), not "
                             "both");
    if (key && !key->empty())
        config.keys = {*key};
    else if (keys)
        config.keys = *keys;
    else
        signing.fail("key", "required: the signing key's fingerprint (or \"keys\": a list of "
                            "fingerprints)");
    if (config.keys.empty())
        signing.fail("keys", "must list at least one fingerprint");
    for (const std::string& fingerprint : config.keys)
        if (fingerprint.empty() ||
            std::count(config.keys.begin(), config.keys.end(), fingerprint) > 1)
            signing.fail("keys", "'" + fingerprint + "' is empty or listed twice");
    config.gnupg_home = signing.string("gnupg_home").value_or("");
    config.passphrase_file = signing.string("passphrase_file").value_or("");
    config.current_in_comment = signing.boolean("current_in_comment").value_or(false);
    signing.reject_unknown_keys();
    return config;
}

void check_repo_name(JsonObject& top, const std::string& repo) {
    if (std::string problem = repo_name_problem(repo); !problem.empty())
        top.fail("repo", "'" + repo + "' " + problem);
}

fs::path canonical_form(const std::string& directory) {
    fs::path path = fs::absolute(directory).lexically_normal();
    if (!path.has_filename()) // "dir/" names the same directory as "dir"
        path = path.parent_path();
    std::error_code error;
    fs::path resolved = fs::weakly_canonical(path, error);
    return error ? path : resolved;
}

bool is_within(const fs::path& inner, const fs::path& outer) {
    return std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end()).first ==
           outer.end();
}

// The mirror is public, the archive private and the state holds the lock
// and journal: sharing or nesting them lets one's cleanup delete the
// other's files, or publishes private files.
void check_directories_apart(JsonObject& top, const PublisherConfig& config) {
    const std::pair<const char*, const std::string*> keys[] = {{"mirror_dir", &config.mirror_dir},
                                                               {"archive_dir", &config.archive_dir},
                                                               {"state_dir", &config.state_dir}};
    for (size_t i = 0; i < 3; ++i)
        for (size_t j = i + 1; j < 3; ++j) {
            const fs::path a = canonical_form(*keys[i].second);
            const fs::path b = canonical_form(*keys[j].second);
            std::string relation;
            if (a == b)
                relation = "are the same directory (" + a.string() + ")";
            else if (is_within(a, b) || is_within(b, a))
                relation = "are nested (" + a.string() + ", " + b.string() + ")";
            if (!relation.empty())
                top.fail(keys[i].first, std::string("and ") + keys[j].first + " " + relation +
                                            "; they must be three separate directories");
        }
}

ArchiveKeep read_archive_keep(JsonObject& keep) {
    ArchiveKeep config;
    if (auto policy = keep.string("policy")) {
        if (*policy == "reverse-deltas")
            config.policy = ArchiveKeep::Policy::reverse_deltas;
        else if (*policy == "drop")
            config.policy = ArchiveKeep::Policy::drop;
        else
            keep.fail("policy", "expected \"reverse-deltas\" or \"drop\", got \"" + *policy + "\"");
    }
    if (auto cap = keep.unsigned_integer("max_versions", 1, 1000000))
        config.max_versions = static_cast<unsigned>(*cap);
    keep.reject_unknown_keys();
    return config;
}

// The metrics file tells how the private side runs: never in the public
// mirror, and it needs a directory of its own kind (node_exporter's).
void check_metrics_file(JsonObject& top, const PublisherConfig& config) {
    if (config.metrics_file.empty())
        return;
    const fs::path metrics = canonical_form(config.metrics_file);
    if (is_within(metrics, canonical_form(config.mirror_dir)))
        top.fail("metrics_file", "'" + config.metrics_file +
                                     "' is inside mirror_dir, which mirrors copy to the public");
    // Replaced after every run, success or failure: it must name none of
    // the publisher's own files, nor a file of the tree it publishes.
    const std::pair<const char*, const std::string*> owners[] = {
        {"state_dir", &config.state_dir},
        {"archive_dir", &config.archive_dir},
        {"source", &config.source}};
    for (const auto& [key, dir] : owners)
        if (is_within(metrics, canonical_form(*dir)))
            top.fail("metrics_file", "'" + config.metrics_file + "' is inside " + key + " (" +
                                         *dir + "), whose files it would replace after every run");
    if (metrics == canonical_form(config.file))
        top.fail("metrics_file", "'" + config.metrics_file +
                                     "' is this configuration file: the first run would "
                                     "replace it with metrics");
}

std::optional<std::chrono::seconds> duration(JsonObject& top, const std::string& key) {
    std::optional<std::string> text = top.string(key);
    if (!text)
        return std::nullopt;
    try {
        return parse_duration(*text, key);
    } catch (const UsageError& error) {
        top.fail(key, error.problem());
    }
}

// resign_after defaults to half of valid_for, so that a missed night or
// two still leaves clients a valid manifest.
void read_freshness(JsonObject& top, PublisherConfig& config) {
    config.valid_for = duration(top, "valid_for");
    config.resign_after = duration(top, "resign_after");
    if (config.resign_after && !config.valid_for)
        top.fail("resign_after", "needs valid_for (re-signing refreshes Valid-Until)");
    if (config.valid_for && !config.resign_after)
        config.resign_after = *config.valid_for / 2;
    if (config.valid_for && *config.resign_after >= *config.valid_for) {
        // Appended, not `"(" + ...`: GCC 12 at -O3 warns falsely (-Wrestrict)
        // on prepending a literal to a temporary string.
        std::string problem = "(";
        problem += format_duration(*config.resign_after);
        problem += ") must be shorter than valid_for (" + format_duration(*config.valid_for) +
                   "), or the manifest expires before it is re-signed";
        top.fail("resign_after", problem);
    }
    if (auto days = top.unsigned_integer("warn_key_expiry", 0, 3650))
        config.warn_key_expiry_days = static_cast<unsigned>(*days);
}

} // namespace

PublisherConfig load_publisher_config(const std::string& path) {
    nlohmann::json document = parse_json_file(path);
    JsonObject top(document, path, "");
    PublisherConfig config;
    config.file = path;
    config.repo = required_string(top, "repo");
    check_repo_name(top, config.repo);
    config.source = required_string(top, "source");
    config.rev = top.string("rev");
    config.mirror_dir = required_string(top, "mirror_dir");
    config.archive_dir = required_string(top, "archive_dir");
    config.state_dir = required_string(top, "state_dir");
    check_directories_apart(top, config);
    if (auto scheme = top.string("version")) {
        if (*scheme == "date")
            config.version = VersionScheme::date;
        else if (*scheme == "commit")
            config.version = VersionScheme::commit;
        else
            top.fail("version", "expected \"date\" or \"commit\", got \"" + *scheme + "\"");
    }
    if (auto image = top.object("image"))
        config.image = read_image_options(*image, path);
    config.flavors = read_flavors(top, config.image);
    config.current_aliases = read_current_aliases(top, config.flavors);
    if (auto window = top.unsigned_integer("delta_window", 0, 10000))
        config.delta_window = static_cast<unsigned>(*window);
    if (auto ratio = top.number_above("max_delta_ratio", 0, 1))
        config.max_delta_ratio = *ratio;
    if (auto keep = top.unsigned_integer("keep_snapshots", 0, 10000))
        config.keep_snapshots = static_cast<unsigned>(*keep);
    if (auto grace = top.unsigned_integer("grace_generations", 0, 1000))
        config.grace_generations = static_cast<unsigned>(*grace);
    if (auto archive = top.string("archive")) {
        if (*archive == "full")
            config.archive = ArchiveMode::full;
        else if (*archive == "reverse-deltas")
            config.archive = ArchiveMode::reverse_deltas;
        else
            top.fail("archive",
                     "expected \"full\" or \"reverse-deltas\", got \"" + *archive + "\"");
    }
    if (auto keep = top.object("archive_keep"))
        config.archive_keep = read_archive_keep(*keep);
    config.metrics_file = top.string("metrics_file").value_or("");
    check_metrics_file(top, config);
    if (auto jobs = top.unsigned_integer("jobs", 1, 256))
        config.jobs = static_cast<unsigned>(*jobs);
    if (!document.contains("signing"))
        top.fail("signing", "required: an object with the key's fingerprint, or null to publish "
                            "an unsigned manifest on purpose");
    if (auto signing = top.object("signing"))
        config.signing = read_signing(*signing);
    read_freshness(top, config);
    top.reject_unknown_keys();
    return config;
}

} // namespace squashpub::config
