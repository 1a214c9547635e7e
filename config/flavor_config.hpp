#pragma once
// The publisher's `flavors` and `current_aliases` keys (issue #13):
// extra full-download images of the same tree with another compressor,
// and stable ${repo}-current[.${infix}].sqfs names for the current image
// of each flavor.

#include "config/image_config.hpp"

#include <optional>
#include <string>
#include <vector>

namespace squashpub::config {

class JsonObject;

struct Flavor {
    std::string name;   // ${repo}-${version}.${name}.sqfs
    ImageOptions image; // the main image's options with this compressor, level and block size
};

enum class AliasMode {
    symlink, // a relative symbolic link in the mirror directory
    copy,    // a regular file with the same bytes (for servers or mirrors that drop links)
};

struct CurrentAliases {
    AliasMode mode = AliasMode::symlink;
    // The main image's alias is ${repo}-current.${main_infix}.sqfs when set
    // (Gentoo serves its lzo image as gentoo-current.lzo.sqfs), else
    // ${repo}-current.sqfs.
    std::string main_infix;
};

// Reads the list at top's "flavors" key (absent: none); main is the
// validated `image` section they derive from.
std::vector<Flavor> read_flavors(JsonObject& top, const ImageOptions& main);
// Reads "current_aliases": absent, null or false: none; true: symlinks;
// {"mode": "symlink"|"copy", "main_infix": NAME}.
std::optional<CurrentAliases> read_current_aliases(JsonObject& top,
                                                   const std::vector<Flavor>& flavors);

} // namespace squashpub::config
