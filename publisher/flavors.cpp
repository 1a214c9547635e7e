#include "publisher/flavors.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/sha512.hpp"
#include "generator/image/image_writer.hpp"

#include <filesystem>

namespace fs = std::filesystem;

namespace squashpub::publisher {

std::string flavor_image_name(const std::string& repo, const std::string& version,
                              const std::string& flavor) {
    return repo + "-" + version + "." + flavor + ".sqfs";
}

void check_version_against_flavors(const config::PublisherConfig& config,
                                   const std::string& version) {
    const size_t dot = version.rfind('.');
    if (dot == std::string::npos)
        return;
    const std::string last = version.substr(dot + 1);
    const std::string infix = config.current_aliases ? config.current_aliases->main_infix : "";
    bool clash = !infix.empty() && last == infix;
    for (const config::Flavor& flavor : config.flavors)
        clash = clash || flavor.name == last;
    if (clash)
        throw Error(config.file, "version '" + version + "' ends in '." + last +
                                     "', a flavor's name: " + config.repo + "-" + version +
                                     ".sqfs would be the " + last + " image of version " +
                                     version.substr(0, dot) + "; choose another version");
}

std::vector<BuiltFlavor> build_flavor_images(const generator::TreeSource& source,
                                             const config::PublisherConfig& config,
                                             const std::string& version, uint32_t mtime,
                                             const std::string& staging_dir) {
    std::vector<BuiltFlavor> built;
    for (const config::Flavor& flavor : config.flavors) {
        BuiltFlavor image;
        image.flavor = flavor.name;
        image.file = flavor_image_name(config.repo, version, flavor.name);
        image.staged_path = staging_dir + "/" + image.file;
        config::ImageOptions options = flavor.image;
        options.jobs = config.jobs;
        generator::write_image(source, options, mtime, image.staged_path);
        image.sha512 = sha512_of_file(image.staged_path);
        image.bytes = fs::file_size(image.staged_path);
        log_info("built " + image.file + " (" + format_bytes(image.bytes) + ")");
        built.push_back(image);
    }
    return built;
}

std::vector<std::string> kept_flavor_images(const config::PublisherConfig& config,
                                            const std::vector<std::string>& kept_snapshots,
                                            const std::set<std::string>& mirror_files) {
    std::vector<std::string> kept;
    const std::string prefix = config.repo + "-";
    for (const std::string& snapshot : kept_snapshots) {
        if (!snapshot.starts_with(prefix) || !snapshot.ends_with(".sqfs"))
            continue;
        const std::string version =
            snapshot.substr(prefix.size(), snapshot.size() - prefix.size() - 5);
        for (const config::Flavor& flavor : config.flavors) {
            const std::string name = flavor_image_name(config.repo, version, flavor.name);
            if (mirror_files.count(name))
                kept.push_back(name);
        }
    }
    return kept;
}

} // namespace squashpub::publisher
