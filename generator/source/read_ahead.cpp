#include "generator/source/read_ahead.hpp"

#include <algorithm>

namespace squashpub::generator {
namespace {

// Small enough that the writer rarely waits for a whole batch.
constexpr size_t kBatchFiles = 32;
constexpr uint64_t kBatchBytes = 128 << 10;

// Regular files in tree order (children sorted, depth first), each node
// once: a hard link's second name reads nothing new.
void collect_files(const Node& directory, std::vector<const Node*>& order,
                   std::unordered_map<const Node*, size_t>& index) {
    for (const Entry& child : directory.children) {
        const Node* node = child.node.get();
        if (node->kind == NodeKind::directory)
            collect_files(*node, order, index);
        else if (node->kind == NodeKind::file && index.emplace(node, order.size()).second)
            order.push_back(node);
    }
}

} // namespace

ReadAhead::ReadAhead(const Node& root, unsigned threads, uint64_t window_bytes,
                     const std::function<FileReader()>& make_reader)
    : window_bytes_(window_bytes) {
    collect_files(root, order_, index_);
    slots_.assign(order_.size(), Slot::unread);
    contents_.resize(order_.size());
    // Every reader made before any thread starts: a failure to make one
    // (an unreadable repository) must not leave threads running.
    std::vector<FileReader> readers;
    for (unsigned t = 0; t < threads; ++t)
        readers.push_back(make_reader());
    for (FileReader& read : readers)
        threads_.emplace_back([this, read = std::move(read)] { work(read); });
}

ReadAhead::~ReadAhead() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    room_.notify_all();
    for (std::thread& thread : threads_)
        thread.join();
}

// Workers wait until a batch's worth of the window is free, not one file's:
// otherwise, once the writer falls behind, each file it takes wakes a
// worker for one more. One file over the window is still read when nothing
// else is held.
bool ReadAhead::has_room() const {
    const uint64_t refill = std::clamp<uint64_t>(window_bytes_ / 4, 1, kBatchBytes);
    return held_bytes_ == 0 || held_bytes_ + refill <= window_bytes_;
}

bool ReadAhead::can_claim() const {
    return next_claim_ < order_.size() && has_room();
}

// The next files in tree order, as many as fit a batch and the window (at
// least one). Called with the lock held and can_claim() true.
ReadAhead::Batch ReadAhead::claim() {
    Batch batch{next_claim_, next_claim_};
    uint64_t bytes = 0;
    do {
        const uint64_t size = order_[batch.end]->size;
        slots_[batch.end++] = Slot::reading;
        held_bytes_ += size;
        bytes += size;
    } while (batch.end < order_.size() && batch.end - batch.begin < kBatchFiles &&
             bytes < kBatchBytes && held_bytes_ < window_bytes_);
    next_claim_ = batch.end;
    return batch;
}

void ReadAhead::work(const FileReader& read) {
    std::vector<std::optional<std::string>> contents;
    std::unique_lock lock(mutex_);
    for (;;) {
        room_.wait(lock, [&] { return stopping_ || can_claim(); });
        if (stopping_)
            return;
        const Batch batch = claim();
        lock.unlock();
        contents.assign(batch.end - batch.begin, std::nullopt);
        for (size_t index = batch.begin; index < batch.end; ++index) {
            try {
                contents[index - batch.begin] = read(*order_[index]);
            } catch (...) {
                // The reader's own read reports the error, with its context.
            }
        }
        lock.lock();
        hand_over(batch, contents);
    }
}

// Called with the lock held. Files passed over while they were read, and
// failed reads, give their room back at once.
void ReadAhead::hand_over(const Batch& batch, std::vector<std::optional<std::string>>& contents) {
    bool freed = false;
    for (size_t index = batch.begin; index < batch.end; ++index) {
        std::optional<std::string>& content = contents[index - batch.begin];
        if (content && index >= consumed_) {
            contents_[index] = std::move(*content);
            slots_[index] = Slot::ready;
        } else {
            slots_[index] = Slot::gone;
            held_bytes_ -= order_[index]->size;
            freed = true;
        }
    }
    file_ready_.notify_all();
    if (freed && has_room())
        room_.notify_all();
}

// Called with the lock held: files in [begin, end) were passed over.
void ReadAhead::drop_ready(size_t begin, size_t end) {
    for (size_t index = begin; index < end; ++index)
        if (slots_[index] == Slot::ready) {
            std::string().swap(contents_[index]);
            slots_[index] = Slot::gone;
            held_bytes_ -= order_[index]->size;
        }
}

bool ReadAhead::finished() {
    std::lock_guard lock(mutex_);
    return consumed_ >= order_.size();
}

std::optional<std::string> ReadAhead::take(const Node& file) {
    const auto found = index_.find(&file);
    if (found == index_.end())
        return std::nullopt;
    const size_t index = found->second;
    std::unique_lock lock(mutex_);
    if (index < consumed_)
        return std::nullopt;
    // Files before this one were passed over: their reads are wasted.
    drop_ready(consumed_, std::min(index, next_claim_));
    if (index >= next_claim_) {
        // Not reached yet: the caller reads it; the workers skip ahead.
        consumed_ = next_claim_ = index + 1;
        room_.notify_all();
        return std::nullopt;
    }
    // consumed_ = index while waiting, so the worker on it keeps its result.
    consumed_ = index;
    file_ready_.wait(lock, [&] { return slots_[index] != Slot::reading; });
    consumed_ = index + 1;
    std::optional<std::string> content;
    if (slots_[index] == Slot::ready) {
        content = std::move(contents_[index]);
        slots_[index] = Slot::gone;
        held_bytes_ -= file.size;
    }
    if (has_room()) // cheap without waiters
        room_.notify_all();
    return content;
}

} // namespace squashpub::generator
