#pragma once
// What this applier's own compressor made of a block's content, keyed by
// the compression value and the content's SHA-256. Applying many deltas to
// one target (a publisher test-applying a night's deltas) then compresses
// each distinct block once. The results are the applier's own, never the
// generator's; a wrong reuse would need a SHA-256 collision, and the
// caller's SHA-512 check of the rebuilt image would still catch it.

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace squashpub::verifier {

class RecompressionMemo {
  public:
    explicit RecompressionMemo(uint64_t max_bytes = 256ull << 20) : max_bytes_(max_bytes) {}

    std::optional<std::vector<uint8_t>> find(const std::string& key) const;
    // Ignored once max_bytes of results are held.
    void store(const std::string& key, const std::vector<uint8_t>& compressed);
    static std::string key(uint32_t compression, const uint8_t* plain, size_t size);

  private:
    mutable std::mutex mutex_;
    std::map<std::string, std::vector<uint8_t>> results_;
    uint64_t bytes_ = 0;
    uint64_t max_bytes_;
};

} // namespace squashpub::verifier
