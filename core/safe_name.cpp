#include "core/safe_name.hpp"

namespace squashpub {

std::string unsafe_name_reason(const std::string& name) {
    if (name.empty())
        return "empty name";
    if (name == "." || name == "..")
        return "'" + name + "' names a directory";
    if (name.size() > 255)
        return "longer than 255 bytes";
    for (unsigned char c : name) {
        if (c == '/')
            return "contains '/': a path, not a file name";
        if (c < 0x20 || c == 0x7f)
            return "contains a control character";
    }
    return "";
}

} // namespace squashpub
