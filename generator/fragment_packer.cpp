#include "generator/fragment_packer.hpp"

#include <algorithm>

namespace squashpub::generator {

FragmentPacker::FragmentPacker(uint32_t block_size, PreviousImage* previous)
    : block_size_(block_size) {
    if (!previous)
        return;
    const size_t count = previous->fragments().size();
    slots_.resize(count);
    for (size_t i = 0; i < count; ++i) {
        slots_[i].block.content = previous->take_fragment_content(static_cast<uint32_t>(i));
        slots_[i].block.carried_from = static_cast<int64_t>(i);
        slots_[i].block.changed = false;
    }
}

void FragmentPacker::keep(FragmentPlace place, std::string_view content) {
    Slot& slot = slots_.at(place.index);
    slot.in_use = true;
    const uint32_t end = place.offset + static_cast<uint32_t>(content.size());
    uint32_t& live_end = slot.live[place.offset];
    live_end = std::max(live_end, end);
    by_content_.emplace(content, place);
}

void FragmentPacker::release_unkept() {
    for (Slot& slot : slots_) {
        std::string& content = slot.block.content;
        const std::string before = content;
        uint32_t covered = 0; // everything before this offset is decided
        for (const auto& [offset, end] : slot.live) {
            if (offset > covered)
                std::fill(content.begin() + covered, content.begin() + offset, '\0');
            covered = std::max(covered, end);
        }
        content.resize(std::min<size_t>(content.size(), covered));
        if (!slot.in_use)
            content.clear();
        slot.block.changed = content != before;
    }
}

bool FragmentPacker::try_fit(uint32_t index, std::string_view content, FragmentPlace& place) {
    Slot& slot = slots_[index];
    const auto size = static_cast<uint32_t>(content.size());
    uint32_t gap_start = 0;
    for (const auto& [offset, end] : slot.live) {
        if (offset >= gap_start && offset - gap_start >= size)
            break;
        gap_start = std::max(gap_start, end);
    }
    if (gap_start + uint64_t{size} > block_size_)
        return false;
    // The first gap that fits, possibly the free room after the last tail.
    auto next = slot.live.lower_bound(gap_start);
    if (next != slot.live.end() && next->first - gap_start < size)
        return false;
    place = {index, gap_start};
    put(index, gap_start, content);
    return true;
}

void FragmentPacker::put(uint32_t index, uint32_t offset, std::string_view content) {
    Slot& slot = slots_[index];
    std::string& block = slot.block.content;
    const size_t end = offset + content.size();
    if (block.size() < end)
        block.resize(end, '\0');
    std::copy(content.begin(), content.end(), block.begin() + offset);
    slot.live[offset] = static_cast<uint32_t>(end);
    slot.in_use = true;
    slot.block.changed = true;
}

uint32_t FragmentPacker::new_block() {
    for (uint32_t i = 0; i < slots_.size(); ++i) {
        if (!slots_[i].in_use) {
            slots_[i] = Slot{};
            return i;
        }
    }
    slots_.emplace_back();
    return static_cast<uint32_t>(slots_.size() - 1);
}

FragmentPlace FragmentPacker::place(std::string_view content, const std::vector<uint32_t>& near) {
    if (auto it = by_content_.find(content); it != by_content_.end())
        return it->second;
    FragmentPlace placed;
    bool fitted = false;
    for (size_t k = 0; k < near.size() && !fitted; ++k)
        fitted = near[k] < slots_.size() && try_fit(near[k], content, placed);
    if (!open_block_ && !slots_.empty() && slots_.back().in_use)
        open_block_ = static_cast<uint32_t>(slots_.size() - 1);
    fitted = fitted || (open_block_ && try_fit(*open_block_, content, placed));
    if (!fitted) {
        open_block_ = new_block();
        placed = {*open_block_, 0};
        put(*open_block_, 0, content);
    }
    by_content_.emplace(content, placed);
    return placed;
}

std::vector<FragmentBlock> FragmentPacker::take_blocks() {
    while (!slots_.empty() && !slots_.back().in_use)
        slots_.pop_back();
    std::vector<FragmentBlock> blocks;
    for (Slot& slot : slots_) {
        if (!slot.in_use) {
            // An index nothing uses any more but later ones keep alive:
            // a one-byte placeholder keeps the table valid.
            slot.block = FragmentBlock{std::string(1, '\0'), -1, true};
        }
        blocks.push_back(std::move(slot.block));
    }
    return blocks;
}

} // namespace squashpub::generator
