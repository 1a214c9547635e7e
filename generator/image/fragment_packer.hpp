#pragma once
// Packs the tails of files (whole small files, and the last partial block
// of larger ones) into fragment blocks so that a day's changes touch few
// blocks: tails that did not change keep their block and offset, the bytes
// of tails that went away become zeros (which compress to almost nothing),
// and new tails go first into the gap their previous version left or next to
// their siblings, then into the last block, then into new blocks.
//
// The packer decides places only and never holds content: a tree's tails are
// nearly all of its bytes. Its result is a plan per block (what to keep of
// the previous image's block, which new tails go where) that the writer
// materialises one block at a time (materialise_fragment_block).

#include <array>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace squashpub::generator {

struct FragmentPlace {
    uint32_t index = 0;
    uint32_t offset = 0;
};

// A tail's SHA-256: identical tails share one place.
using TailDigest = std::array<uint8_t, 32>;

struct TailDigestHash {
    size_t operator()(const TailDigest& digest) const {
        size_t value;
        std::memcpy(&value, digest.data(), sizeof value);
        return value;
    }
};

// A new tail put into a block; owner is the caller's handle to read it again.
struct AddedTail {
    uint32_t offset = 0;
    uint32_t size = 0;
    size_t owner = 0;
};

struct FragmentBlockPlan {
    // -1 for a block new in this image; else the previous image's index,
    // whose stored bytes can be copied when the content did not change.
    int64_t carried_from = -1;
    // Ranges (offset -> end) of the previous block that stay; every other
    // byte of it becomes zero, and it ends at the last one.
    std::map<uint32_t, uint32_t> kept;
    std::vector<AddedTail> added;
    uint32_t size = 0; // content bytes of the block in this image
};

class FragmentPacker {
  public:
    // previous_blocks: the previous image's fragment block count (0 for a
    // fresh layout).
    FragmentPacker(uint32_t block_size, size_t previous_blocks);

    // Keeps an unchanged tail where the previous image had it. Call for
    // every kept tail before placing any new one.
    void keep(FragmentPlace place, uint32_t size, const TailDigest& digest);
    // Frees whatever no kept tail covers; call once, after the keeps.
    void release_unkept();
    // Places a new tail, trying the blocks in `near` first (the block of
    // the file's previous version, then those of its siblings: similar
    // content compresses best side by side), then the last block, then a
    // new one. Identical tails share one place (owner is then not recorded).
    FragmentPlace place(uint32_t size, const TailDigest& digest, size_t owner,
                        const std::vector<uint32_t>& near);

    std::vector<FragmentBlockPlan> take_blocks();

  private:
    struct Slot {
        FragmentBlockPlan plan;
        std::map<uint32_t, uint32_t> live; // offset -> end of live ranges
        bool in_use = false;
    };
    bool try_fit(uint32_t index, uint32_t size, size_t owner, FragmentPlace& place);
    void put(uint32_t index, uint32_t offset, uint32_t size, size_t owner);
    uint32_t new_block();

    uint32_t block_size_;
    std::vector<Slot> slots_;
    std::unordered_map<TailDigest, FragmentPlace, TailDigestHash> by_content_;
    std::optional<uint32_t> open_block_;
};

// A block's content in this image: previous_content (the carried block's,
// decompressed; empty when nothing is kept) with its released ranges zeroed,
// and the added tails (added[k] is plan.added[k]'s bytes) copied in. Throws
// if the plan does not fit the previous content (a corrupt previous image).
std::string materialise_fragment_block(const FragmentBlockPlan& plan, std::string previous_content,
                                       const std::vector<std::string>& added);

} // namespace squashpub::generator
