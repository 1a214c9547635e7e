#include "publisher/current_aliases.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/log.hpp"
#include "core/names.hpp"
#include "core/sha512.hpp"
#include "publisher/flavors.hpp"
#include "publisher/plan.hpp"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;

namespace squashpub::publisher {
namespace {

void make_symlink(const std::string& target, const std::string& path) {
    if (::symlink(target.c_str(), path.c_str()) != 0)
        throw_errno(path, "cannot create a symbolic link to " + target);
}

// A complete, fsynced copy (the alias must survive a crash as the
// dated file does).
void make_copy(const std::string& from, const std::string& path) {
    UniqueFd source = open_for_reading(from);
    const uint64_t size = file_size_of(source.get(), from);
    AtomicOutput out(path);
    copy_range(source.get(), from, out.fd(), out.temp_path(), 0, size);
    out.commit();
}

bool alias_is_right(const config::CurrentAliases& aliases, const std::string& path,
                    const std::string& target, const std::string& listed_hash) {
    std::error_code error;
    const fs::file_status status = fs::symlink_status(path, error);
    if (error)
        return false;
    if (aliases.mode == config::AliasMode::symlink)
        return fs::is_symlink(status) && fs::read_symlink(path, error) == target && !error;
    return fs::is_regular_file(status) && sha512_of_file(path) == listed_hash;
}

} // namespace

std::vector<AliasTarget> current_alias_targets(const config::PublisherConfig& config,
                                               const std::string& version) {
    if (!config.current_aliases)
        return {};
    std::vector<AliasTarget> aliases = {
        {current_alias_name(config.repo, config.current_aliases->main_infix),
         snapshot_name(config.repo, version)}};
    for (const config::Flavor& flavor : config.flavors)
        aliases.push_back({current_alias_name(config.repo, flavor.name),
                           flavor_image_name(config.repo, version, flavor.name)});
    return aliases;
}

std::map<std::string, std::string> stage_current_aliases(
    const config::PublisherConfig& config, const std::vector<AliasTarget>& aliases,
    const std::map<std::string, std::string>& images, const std::string& staging_dir) {
    std::map<std::string, std::string> staged;
    for (const AliasTarget& alias : aliases) {
        const std::string path = staging_dir + "/" + alias.alias;
        if (config.current_aliases->mode == config::AliasMode::symlink)
            make_symlink(alias.target, path);
        else
            make_copy(images.at(alias.target), path);
        staged[alias.alias] = path;
    }
    fsync_directory(staging_dir);
    return staged;
}

std::vector<std::string> reconcile_current_aliases(const config::PublisherConfig& config,
                                                   const Mirror& mirror,
                                                   const std::string& staging_root) {
    std::vector<std::string> fixed;
    const std::optional<Manifest> live = mirror.live_manifest(config.repo);
    if (!config.current_aliases || !live)
        return fixed;
    const std::string version = live->current.substr(config.repo.size() + 1);
    for (const AliasTarget& alias : current_alias_targets(config, version)) {
        const auto listed = live->files.find(alias.alias);
        const auto target = live->files.find(alias.target);
        if (listed == live->files.end() || target == live->files.end() ||
            listed->second != target->second)
            continue; // not this config's alias of the live version: left to pruning
        if (alias_is_right(*config.current_aliases, mirror.path(alias.alias), alias.target,
                           listed->second))
            continue;
        log_info("bringing " + alias.alias + " back to " + alias.target);
        const std::string staged = staging_root + "/" + alias.alias;
        fs::remove(staged);
        if (config.current_aliases->mode == config::AliasMode::symlink)
            make_symlink(alias.target, staged);
        else
            make_copy(mirror.path(alias.target), staged);
        mirror.move_in(staged, alias.alias);
        fixed.push_back(alias.alias);
    }
    if (!fixed.empty())
        mirror.sync();
    return fixed;
}

} // namespace squashpub::publisher
