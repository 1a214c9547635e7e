#include "verifier/recompression_memo.hpp"

#include "core/sha256.hpp"

namespace squashpub::verifier {

std::optional<std::vector<uint8_t>> RecompressionMemo::find(const std::string& key) const {
    std::lock_guard lock(mutex_);
    auto it = results_.find(key);
    if (it == results_.end())
        return std::nullopt;
    return it->second;
}

void RecompressionMemo::store(const std::string& key, const std::vector<uint8_t>& compressed) {
    std::lock_guard lock(mutex_);
    if (bytes_ + compressed.size() > max_bytes_ || results_.count(key))
        return;
    results_[key] = compressed;
    bytes_ += compressed.size();
}

std::string RecompressionMemo::key(uint32_t compression, const uint8_t* plain, size_t size) {
    const std::string prefix(reinterpret_cast<const char*>(&compression), sizeof compression);
    return prefix + std::to_string(size) + ":" + sha256_digest(plain, size);
}

} // namespace squashpub::verifier
