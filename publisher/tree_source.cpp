#include "publisher/tree_source.hpp"

#include "core/error.hpp"
#include "core/names.hpp"
#include "generator/source/directory_source.hpp"
#include "generator/source/git_source.hpp"

#include <ctime>

namespace squashpub::publisher {

std::unique_ptr<generator::TreeSource> open_source(const config::PublisherConfig& config,
                                                   const std::optional<std::string>& rev) {
    const generator::ExcludeRules exclude(config.image.exclude);
    std::optional<std::string> revision = rev ? rev : config.rev;
    if (!revision && generator::is_bare_repository(config.source))
        revision = "HEAD";
    if (revision)
        return std::make_unique<generator::GitSource>(config.source, *revision, exclude);
    return std::make_unique<generator::DirectorySource>(config.source, exclude);
}

std::string choose_version(const config::PublisherConfig& config,
                           const generator::TreeSource& source,
                           const std::optional<std::string>& override_version) {
    std::string version;
    if (override_version) {
        version = *override_version;
    } else if (config.version == config::VersionScheme::commit) {
        auto id = source.revision_id();
        if (!id)
            throw UsageError(config.file, "version: \"commit\" needs a git source, but " +
                                              source.describe() + " has no commit");
        version = id->substr(0, 12);
    } else {
        auto time = source.revision_time();
        if (!time)
            throw UsageError(config.file, "version: \"date\" needs a git source (or --version): " +
                                              source.describe() + " has no commit");
        const std::time_t seconds = *time;
        std::tm utc;
        gmtime_r(&seconds, &utc);
        char text[16];
        std::strftime(text, sizeof text, "%Y%m%d", &utc);
        version = text;
    }
    require_valid_version(version, override_version ? "--version" : config.file);
    return version;
}

} // namespace squashpub::publisher
