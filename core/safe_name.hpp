#pragma once
// Names read from a manifest or served by a mirror are data, never paths:
// before one is joined to a directory it must be a plain file name.

#include <string>

namespace squashpub {

// "" when name is a plain file name (non-empty, at most 255 bytes, no '/',
// no NUL or other control character, not "." or ".."); otherwise why not.
std::string unsafe_name_reason(const std::string& name);

inline bool is_safe_name(const std::string& name) {
    return unsafe_name_reason(name).empty();
}

} // namespace squashpub
