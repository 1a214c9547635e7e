#include "config/publisher_config.hpp"

#include "config/json_fields.hpp"
#include "core/error.hpp"

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
    if (!key || key->empty())
        signing.fail("key", "required: the signing key's fingerprint");
    config.key = *key;
    config.gnupg_home = signing.string("gnupg_home").value_or("");
    config.passphrase_file = signing.string("passphrase_file").value_or("");
    config.current_in_comment = signing.boolean("current_in_comment").value_or(false);
    signing.reject_unknown_keys();
    return config;
}

void check_repo_name(JsonObject& top, const std::string& repo) {
    // The client matches "^${repo}-" as a regex and splits nothing: a name
    // with '/' cannot be a file name, and metacharacters would mislead it.
    if (repo.find_first_of("/\n\\.*+?[](){}|^$") != std::string::npos)
        top.fail("repo", "'" + repo +
                             "' contains characters that break file names or the "
                             "client's regex; use letters, digits, '_' and '-'");
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
    if (auto jobs = top.unsigned_integer("jobs", 1, 256))
        config.jobs = static_cast<unsigned>(*jobs);
    if (!document.contains("signing"))
        top.fail("signing", "required: an object with the key's fingerprint, or null to publish "
                            "an unsigned manifest on purpose");
    if (auto signing = top.object("signing"))
        config.signing = read_signing(*signing);
    top.reject_unknown_keys();
    return config;
}

} // namespace squashpub::config
