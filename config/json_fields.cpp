#include "config/json_fields.hpp"

#include "core/error.hpp"
#include "core/files.hpp"

namespace squashpub::config {

nlohmann::json parse_json_file(const std::string& path) {
    std::string text;
    try {
        text = read_whole_file(path);
    } catch (const Error& e) {
        throw UsageError(e.subject(), e.problem());
    }
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw UsageError(path, std::string("invalid JSON: ") + e.what());
    }
}

JsonObject::JsonObject(const nlohmann::json& value, std::string file, std::string key_path)
    : value_(value), file_(std::move(file)), key_path_(std::move(key_path)) {
    if (!value_.is_object())
        throw UsageError(file_, (key_path_.empty() ? std::string("top level") : key_path_) +
                                    ": expected a JSON object");
}

std::string JsonObject::path_of(const std::string& key) const {
    return key_path_.empty() ? key : key_path_ + "." + key;
}

void JsonObject::fail(const std::string& key, const std::string& problem) const {
    throw UsageError(file_, path_of(key) + ": " + problem);
}

bool JsonObject::has(const std::string& key) const {
    auto it = value_.find(key);
    return it != value_.end() && !it->is_null();
}

const nlohmann::json* JsonObject::find(const std::string& key) {
    known_.insert(key);
    auto it = value_.find(key);
    if (it == value_.end() || it->is_null())
        return nullptr;
    return &*it;
}

std::optional<std::string> JsonObject::string(const std::string& key) {
    const nlohmann::json* value = find(key);
    if (!value)
        return std::nullopt;
    if (!value->is_string())
        fail(key, "expected a string");
    return value->get<std::string>();
}

std::optional<uint64_t> JsonObject::unsigned_integer(const std::string& key, uint64_t min,
                                                     uint64_t max) {
    const nlohmann::json* value = find(key);
    if (!value)
        return std::nullopt;
    const std::string range =
        "expected an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (!value->is_number_integer())
        fail(key, range);
    if (value->is_number_unsigned()) {
        uint64_t n = value->get<uint64_t>();
        if (n < min || n > max)
            fail(key, range + ", got " + std::to_string(n));
        return n;
    }
    int64_t n = value->get<int64_t>();
    if (n < 0 || static_cast<uint64_t>(n) < min || static_cast<uint64_t>(n) > max)
        fail(key, range + ", got " + std::to_string(n));
    return static_cast<uint64_t>(n);
}

std::optional<double> JsonObject::number_above(const std::string& key, double above, double max) {
    const nlohmann::json* value = find(key);
    if (!value)
        return std::nullopt;
    if (!value->is_number() || value->get<double>() <= above || value->get<double>() > max)
        fail(key, "expected a number above " + nlohmann::json(above).dump() + " and at most " +
                      nlohmann::json(max).dump());
    return value->get<double>();
}

std::optional<bool> JsonObject::boolean(const std::string& key) {
    const nlohmann::json* value = find(key);
    if (!value)
        return std::nullopt;
    if (!value->is_boolean())
        fail(key, "expected true or false");
    return value->get<bool>();
}

std::optional<std::vector<std::string>> JsonObject::string_list(const std::string& key) {
    const nlohmann::json* value = find(key);
    if (!value)
        return std::nullopt;
    if (!value->is_array())
        fail(key, "expected a list of strings");
    std::vector<std::string> items;
    for (const auto& item : *value) {
        if (!item.is_string())
            fail(key, "expected a list of strings");
        items.push_back(item.get<std::string>());
    }
    return items;
}

std::optional<JsonObject> JsonObject::object(const std::string& key) {
    const nlohmann::json* value = find(key);
    if (!value)
        return std::nullopt;
    return JsonObject(*value, file_, path_of(key));
}

void JsonObject::reject_unknown_keys() const {
    for (const auto& item : value_.items())
        if (!known_.count(item.key()))
            throw UsageError(file_, path_of(item.key()) + ": unknown key");
}

} // namespace squashpub::config
