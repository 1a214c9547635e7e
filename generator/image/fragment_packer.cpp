#include "generator/image/fragment_packer.hpp"

#include "core/error.hpp"

#include <algorithm>

namespace squashpub::generator {

FragmentPacker::FragmentPacker(uint32_t block_size, size_t previous_blocks)
    : block_size_(block_size), slots_(previous_blocks) {
    for (size_t i = 0; i < previous_blocks; ++i)
        slots_[i].plan.carried_from = static_cast<int64_t>(i);
}

void FragmentPacker::keep(FragmentPlace place, uint32_t size, const TailDigest& digest) {
    Slot& slot = slots_.at(place.index);
    slot.in_use = true;
    const uint32_t end = place.offset + size;
    uint32_t& live_end = slot.live[place.offset];
    live_end = std::max(live_end, end);
    by_content_.emplace(digest, place);
}

void FragmentPacker::release_unkept() {
    // What is live now is exactly what the previous blocks keep; the bytes
    // around it are zeroed when the block is materialised.
    for (Slot& slot : slots_) {
        slot.plan.kept = slot.live;
        slot.plan.size = 0;
        for (const auto& [offset, end] : slot.live)
            slot.plan.size = std::max(slot.plan.size, end);
    }
}

bool FragmentPacker::try_fit(uint32_t index, uint32_t size, size_t owner, FragmentPlace& place) {
    Slot& slot = slots_[index];
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
    put(index, gap_start, size, owner);
    return true;
}

void FragmentPacker::put(uint32_t index, uint32_t offset, uint32_t size, size_t owner) {
    Slot& slot = slots_[index];
    const uint32_t end = offset + size;
    slot.plan.size = std::max(slot.plan.size, end);
    slot.plan.added.push_back({offset, size, owner});
    slot.live[offset] = end;
    slot.in_use = true;
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

FragmentPlace FragmentPacker::place(uint32_t size, const TailDigest& digest, size_t owner,
                                    const std::vector<uint32_t>& near) {
    if (auto it = by_content_.find(digest); it != by_content_.end())
        return it->second;
    FragmentPlace placed;
    bool fitted = false;
    for (size_t k = 0; k < near.size() && !fitted; ++k)
        fitted = near[k] < slots_.size() && try_fit(near[k], size, owner, placed);
    if (!open_block_ && !slots_.empty() && slots_.back().in_use)
        open_block_ = static_cast<uint32_t>(slots_.size() - 1);
    fitted = fitted || (open_block_ && try_fit(*open_block_, size, owner, placed));
    if (!fitted) {
        open_block_ = new_block();
        placed = {*open_block_, 0};
        put(*open_block_, 0, size, owner);
    }
    by_content_.emplace(digest, placed);
    return placed;
}

std::vector<FragmentBlockPlan> FragmentPacker::take_blocks() {
    while (!slots_.empty() && !slots_.back().in_use)
        slots_.pop_back();
    std::vector<FragmentBlockPlan> blocks;
    blocks.reserve(slots_.size());
    for (Slot& slot : slots_) {
        if (!slot.in_use) {
            // An index nothing uses any more but later ones keep alive:
            // a one-byte placeholder keeps the table valid.
            slot.plan = FragmentBlockPlan{};
            slot.plan.size = 1;
        }
        blocks.push_back(std::move(slot.plan));
    }
    slots_.clear();
    return blocks;
}

std::string materialise_fragment_block(const FragmentBlockPlan& plan, std::string content,
                                       const std::vector<std::string>& added) {
    uint32_t covered = 0; // everything before this offset is decided
    for (const auto& [offset, end] : plan.kept) {
        if (end > content.size())
            throw Error("fragment block", "a kept tail lies outside its previous block");
        if (offset > covered)
            std::fill(content.begin() + covered, content.begin() + offset, '\0');
        covered = std::max(covered, end);
    }
    content.resize(covered);
    for (size_t k = 0; k < plan.added.size(); ++k) {
        const AddedTail& tail = plan.added[k];
        if (added.at(k).size() != tail.size)
            throw Error("fragment block", "a tail changed size since it was placed");
        if (content.size() < tail.offset + tail.size)
            content.resize(tail.offset + tail.size, '\0');
        std::copy(added[k].begin(), added[k].end(), content.begin() + tail.offset);
    }
    content.resize(plan.size, '\0'); // a placeholder's one byte
    return content;
}

} // namespace squashpub::generator
