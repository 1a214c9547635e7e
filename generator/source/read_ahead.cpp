#include "generator/source/read_ahead.hpp"

namespace squashpub::generator {
namespace {

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
    changed_.notify_all();
    for (std::thread& thread : threads_)
        thread.join();
}

// One file over the window is still read when nothing else is held.
bool ReadAhead::can_claim() const {
    return next_claim_ < order_.size() && (held_bytes_ < window_bytes_ || held_bytes_ == 0);
}

void ReadAhead::work(const FileReader& read) {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [&] { return stopping_ || can_claim(); });
        if (stopping_)
            return;
        const size_t index = next_claim_++;
        const uint64_t size = order_[index]->size;
        held_bytes_ += size;
        in_flight_.insert(index);
        lock.unlock();
        std::optional<std::string> content;
        try {
            content = read(*order_[index]);
        } catch (...) {
            // The reader's own read reports the error, with its context.
        }
        lock.lock();
        in_flight_.erase(index);
        if (content && index >= consumed_)
            ready_.emplace(index, std::move(*content));
        else
            held_bytes_ -= size;
        changed_.notify_all();
    }
}

void ReadAhead::drop_ready_below(size_t index) {
    while (!ready_.empty() && ready_.begin()->first < index) {
        held_bytes_ -= order_[ready_.begin()->first]->size;
        ready_.erase(ready_.begin());
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
    drop_ready_below(index);
    if (index >= next_claim_) {
        // Not reached yet: the caller reads it; the workers skip ahead.
        consumed_ = next_claim_ = index + 1;
        changed_.notify_all();
        return std::nullopt;
    }
    // consumed_ = index while waiting, so the worker on it keeps its result.
    consumed_ = index;
    changed_.wait(lock, [&] { return !in_flight_.count(index); });
    consumed_ = index + 1;
    const auto ready = ready_.find(index);
    if (ready == ready_.end())
        return std::nullopt;
    std::string content = std::move(ready->second);
    ready_.erase(ready);
    held_bytes_ -= file.size;
    changed_.notify_all();
    return content;
}

} // namespace squashpub::generator
