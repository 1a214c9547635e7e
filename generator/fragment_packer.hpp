#pragma once
// Packs the tails of files (whole small files, and the last partial block
// of larger ones) into fragment blocks so that a day's changes touch few
// blocks: tails that did not change keep their block and offset, the bytes
// of tails that went away become zeros (which compress to almost nothing),
// and new tails go first into the gap their previous version left or next to
// their siblings, then into the last block, then into new blocks.

#include "generator/previous_image.hpp"

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace squashpub::generator {

struct FragmentPlace {
    uint32_t index = 0;
    uint32_t offset = 0;
};

struct FragmentBlock {
    std::string content;
    // -1 for a block new in this image; else the previous image's index,
    // whose stored bytes can be copied when the content did not change.
    int64_t carried_from = -1;
    bool changed = true;
};

class FragmentPacker {
  public:
    // previous may be null (a fresh layout); its fragment contents are
    // taken over, not copied.
    FragmentPacker(uint32_t block_size, PreviousImage* previous);

    // Keeps an unchanged tail where the previous image had it. Call for
    // every kept tail before placing any new one.
    void keep(FragmentPlace place, std::string_view content);
    // Frees whatever no kept tail covers; call once, after the keeps.
    void release_unkept();
    // Places a new tail, trying the blocks in `near` first (the block of
    // the file's previous version, then those of its siblings: similar
    // content compresses best side by side), then the last block, then a
    // new one. Identical tails share one place.
    FragmentPlace place(std::string_view content, const std::vector<uint32_t>& near);

    std::vector<FragmentBlock> take_blocks();

  private:
    struct Slot {
        FragmentBlock block;
        std::map<uint32_t, uint32_t> live; // offset -> end of live ranges
        bool in_use = false;
    };
    bool try_fit(uint32_t index, std::string_view content, FragmentPlace& place);
    void put(uint32_t index, uint32_t offset, std::string_view content);
    uint32_t new_block();

    uint32_t block_size_;
    std::vector<Slot> slots_;
    std::unordered_map<std::string_view, FragmentPlace> by_content_;
    std::optional<uint32_t> open_block_;
};

} // namespace squashpub::generator
