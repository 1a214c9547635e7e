#pragma once
// Reads files ahead of a sequential reader on worker threads: a tree
// source whose reads cost CPU (a git revision: inflating, delta-resolving
// and filtering blobs) would otherwise do it all on the image writer's
// thread. Files are read in tree order, the order both image writers
// consume them; at most window_bytes are held ahead. A request the
// workers have not reached, or one already passed (a second read), gets
// nothing: the caller then reads the file itself, so order mismatches
// only cost speed. Workers claim and hand over files in small batches:
// one lock and one wake-up per file (Gentoo's 157,000 files, most a few
// KiB) cost more than inflating them.

#include "generator/source/tree.hpp"

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace squashpub::generator {

class ReadAhead {
  public:
    // Reads one file's whole content; each worker gets its own (libgit2
    // handles must not be shared between threads).
    using FileReader = std::function<std::string(const Node&)>;

    ReadAhead(const Node& root, unsigned threads, uint64_t window_bytes,
              const std::function<FileReader()>& make_reader);
    ~ReadAhead();
    ReadAhead(const ReadAhead&) = delete;
    ReadAhead& operator=(const ReadAhead&) = delete;

    // The file's content if read ahead, waiting for it if a worker is on it.
    std::optional<std::string> take(const Node& file);
    // True once every file was taken or passed over: the workers have
    // nothing left to read, and the read-ahead can be released.
    bool finished();

  private:
    // Where each file stands; slots and contents are indexed like order_.
    enum class Slot : uint8_t { unread, reading, ready, gone };
    struct Batch {
        size_t begin = 0, end = 0;
    };

    void work(const FileReader& read);
    bool has_room() const;
    bool can_claim() const;
    Batch claim();
    void hand_over(const Batch& batch, std::vector<std::optional<std::string>>& contents);
    void drop_ready(size_t begin, size_t end);

    std::vector<const Node*> order_;
    std::unordered_map<const Node*, size_t> index_;
    uint64_t window_bytes_;

    std::mutex mutex_;
    std::condition_variable room_;       // workers: the window has room, or stop
    std::condition_variable file_ready_; // the reader: a batch was handed over
    size_t next_claim_ = 0;              // the next file a worker reads
    size_t consumed_ = 0;                // files below were taken or passed over
    uint64_t held_bytes_ = 0;
    std::vector<Slot> slots_;
    std::vector<std::string> contents_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

} // namespace squashpub::generator
