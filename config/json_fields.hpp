#pragma once
// Typed access to one JSON object of a config file. Every error names the
// file and the key path ("gentoo.json: image.level: expected an integer
// from 1 to 9"); keys the schema does not know are an error too, so typos
// cannot silently fall back to defaults.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace squashpub::config {

nlohmann::json parse_json_file(const std::string& path);

class JsonObject {
  public:
    // key_path: "" for the top level, else e.g. "image".
    JsonObject(const nlohmann::json& value, std::string file, std::string key_path);

    bool has(const std::string& key) const;
    std::optional<std::string> string(const std::string& key);
    std::optional<uint64_t> unsigned_integer(const std::string& key, uint64_t min, uint64_t max);
    // A number in (above, max]: strictly above the lower bound.
    std::optional<double> number_above(const std::string& key, double above, double max);
    std::optional<bool> boolean(const std::string& key);
    std::optional<std::vector<std::string>> string_list(const std::string& key);
    // The sub-object at key (null counts as absent).
    std::optional<JsonObject> object(const std::string& key);
    // The value at key, of any type, for keys with several forms (null or
    // absent: nullptr); the key counts as known.
    const nlohmann::json* raw(const std::string& key) { return find(key); }
    // "image.level" for key "level" of the "image" object.
    std::string path_of(const std::string& key) const;

    // Throws for every key not read through this object.
    void reject_unknown_keys() const;

    [[noreturn]] void fail(const std::string& key, const std::string& problem) const;
    const std::string& file() const { return file_; }

  private:
    const nlohmann::json* find(const std::string& key);

    const nlohmann::json& value_;
    std::string file_;
    std::string key_path_;
    std::set<std::string> known_;
};

} // namespace squashpub::config
