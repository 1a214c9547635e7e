#include "core/cleanup.hpp"

#include <array>
#include <atomic>
#include <climits>
#include <csignal>
#include <cstring>
#include <mutex>
#include <unistd.h>

namespace squashpub::cleanup {
namespace {

constexpr int kSlots = 256;

struct PathSlot {
    std::atomic<bool> active{false};
    bool is_directory = false;
    char path[PATH_MAX] = {};
};

std::array<PathSlot, kSlots> path_slots;
std::array<std::atomic<pid_t>, kSlots> child_slots;
std::mutex slot_mutex;

void on_fatal_signal(int signal_number) {
    for (auto& child : child_slots) {
        pid_t pid = child.load();
        if (pid > 0)
            kill(pid, SIGTERM);
    }
    // Files first (newest slot last registered first), then directories.
    for (int pass = 0; pass < 2; ++pass) {
        for (int i = kSlots - 1; i >= 0; --i) {
            PathSlot& slot = path_slots[i];
            if (!slot.active.load() || slot.is_directory != (pass == 1))
                continue;
            if (slot.is_directory)
                rmdir(slot.path);
            else
                unlink(slot.path);
        }
    }
    std::signal(signal_number, SIG_DFL);
    raise(signal_number);
}

} // namespace

void install_signal_handlers() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction action = {};
        action.sa_handler = on_fatal_signal;
        sigemptyset(&action.sa_mask);
        for (int signal_number : {SIGINT, SIGTERM, SIGHUP})
            sigaction(signal_number, &action, nullptr);
    });
}

int watch_path(const std::string& path, bool is_directory) {
    if (path.size() >= PATH_MAX)
        return -1;
    std::lock_guard lock(slot_mutex);
    for (int i = 0; i < kSlots; ++i) {
        PathSlot& slot = path_slots[i];
        if (slot.active.load())
            continue;
        std::memcpy(slot.path, path.c_str(), path.size() + 1);
        slot.is_directory = is_directory;
        slot.active.store(true);
        return i;
    }
    return -1; // Out of slots: the path is still removed on every normal exit path.
}

void release_path(int slot) {
    if (slot >= 0)
        path_slots[slot].active.store(false);
}

int watch_child(pid_t pid) {
    std::lock_guard lock(slot_mutex);
    for (int i = 0; i < kSlots; ++i) {
        pid_t expected = 0;
        if (child_slots[i].compare_exchange_strong(expected, pid))
            return i;
    }
    return -1;
}

void release_child(int slot) {
    if (slot >= 0)
        child_slots[slot].store(0);
}

} // namespace squashpub::cleanup
