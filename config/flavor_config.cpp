#include "config/flavor_config.hpp"

#include "config/json_fields.hpp"
#include "core/error.hpp"
#include "core/names.hpp"

#include <set>

namespace squashpub::config {
namespace {

// A flavor is a pure function of the tree: mksquashfs's order and the
// revision time on every inode, never a layout carried from an earlier
// image (a stable layout only pays off for deltas, which flavors have not).
ImageOptions flavor_image(JsonObject& entry, const ImageOptions& main, const std::string& where) {
    ImageOptions image = main;
    image.layout = Layout::classic;
    image.timestamps = Timestamps::revision;
    image.level.reset();
    const std::optional<std::string> compressor = entry.string("compressor");
    if (!compressor)
        entry.fail("compressor", "required: lzo, lz4, gzip, xz or zstd");
    image.compressor = parse_compressor(*compressor, where + ".compressor");
    if (auto level = entry.unsigned_integer("level", 0, 22))
        image.level = static_cast<int>(*level);
    if (auto block_size = entry.unsigned_integer("block_size", 4096, 1 << 20))
        image.block_size = static_cast<uint32_t>(*block_size);
    validate_image_options(image, where);
    return image;
}

} // namespace

std::vector<Flavor> read_flavors(JsonObject& top, const ImageOptions& main) {
    const nlohmann::json* list = top.raw("flavors");
    if (!list)
        return {};
    if (!list->is_array())
        top.fail("flavors", "expected a list of {\"name\": ..., \"compressor\": ...} objects");
    std::vector<Flavor> flavors;
    std::set<std::string> names;
    for (size_t i = 0; i < list->size(); ++i) {
        const std::string key = "flavors[" + std::to_string(i) + "]";
        JsonObject entry((*list)[i], top.file(), top.path_of(key));
        Flavor flavor;
        const std::optional<std::string> name = entry.string("name");
        if (!name)
            entry.fail("name", "required: the flavor's name, as in ${repo}-${version}.NAME.sqfs");
        if (std::string problem = flavor_name_problem(*name); !problem.empty())
            entry.fail("name", "'" + *name + "' " + problem);
        if (!names.insert(*name).second)
            entry.fail("name", "'" + *name + "' is used by two flavors");
        flavor.name = *name;
        flavor.image = flavor_image(entry, main, top.file() + ": " + top.path_of(key));
        entry.reject_unknown_keys();
        flavors.push_back(flavor);
    }
    return flavors;
}

std::optional<CurrentAliases> read_current_aliases(JsonObject& top,
                                                   const std::vector<Flavor>& flavors) {
    const nlohmann::json* value = top.raw("current_aliases");
    if (!value || (value->is_boolean() && !value->get<bool>()))
        return std::nullopt;
    if (value->is_boolean())
        return CurrentAliases{};
    if (!value->is_object())
        top.fail(
            "current_aliases",
            "expected true, false or {\"mode\": \"symlink\" or \"copy\", \"main_infix\": ...}");
    JsonObject object = *top.object("current_aliases");
    CurrentAliases aliases;
    if (auto mode = object.string("mode")) {
        if (*mode == "symlink")
            aliases.mode = AliasMode::symlink;
        else if (*mode == "copy")
            aliases.mode = AliasMode::copy;
        else
            object.fail("mode", "expected \"symlink\" or \"copy\", got \"" + *mode + "\"");
    }
    if (auto infix = object.string("main_infix")) {
        if (std::string problem = flavor_name_problem(*infix); !problem.empty())
            object.fail("main_infix", "'" + *infix + "' " + problem);
        for (const Flavor& flavor : flavors)
            if (flavor.name == *infix)
                object.fail("main_infix", "'" + *infix +
                                              "' is also a flavor's name: both images would be "
                                              "${repo}-current." +
                                              *infix + ".sqfs");
        aliases.main_infix = *infix;
    }
    object.reject_unknown_keys();
    return aliases;
}

} // namespace squashpub::config
