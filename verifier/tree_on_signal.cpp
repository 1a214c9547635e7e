#include "verifier/tree_on_signal.hpp"

#include "core/cleanup.hpp"

#include <array>
#include <atomic>
#include <climits>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <mutex>
#include <sys/syscall.h>
#include <unistd.h>

namespace squashpub::verifier {
namespace {

constexpr int kSlots = 8;
constexpr int kMaxDepth = 8; // a scratch tree is two or three levels deep

struct TreeSlot {
    std::atomic<bool> active{false};
    char path[PATH_MAX] = {};
};

std::array<TreeSlot, kSlots> tree_slots;
std::mutex slot_mutex;
struct sigaction previous[3];
const int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};

struct LinuxDirent64 {
    ino64_t d_ino;
    off64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

// Empties the directory open as fd, depth levels deep at most. Reads it
// again after a pass that removed something (removal shifts getdents'
// position) and stops after a pass that removed nothing.
void remove_contents(int fd, int depth) {
    alignas(LinuxDirent64) char buffer[4096];
    for (int pass = 0; pass < 64; ++pass) {
        bool removed = false;
        lseek(fd, 0, SEEK_SET);
        for (;;) {
            const long n = syscall(SYS_getdents64, fd, buffer, sizeof buffer);
            if (n <= 0)
                break;
            for (long at = 0; at < n;) {
                const auto* entry = reinterpret_cast<const LinuxDirent64*>(buffer + at);
                at += entry->d_reclen;
                const char* name = entry->d_name;
                if (!std::strcmp(name, ".") || !std::strcmp(name, ".."))
                    continue;
                if (unlinkat(fd, name, 0) == 0) {
                    removed = true;
                    continue;
                }
                if (depth >= kMaxDepth)
                    continue;
                const int child = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (child < 0)
                    continue;
                remove_contents(child, depth + 1);
                close(child);
                removed = unlinkat(fd, name, AT_REMOVEDIR) == 0 || removed;
            }
        }
        if (!removed)
            return;
    }
}

void on_fatal_signal(int signal_number) {
    for (TreeSlot& slot : tree_slots) {
        if (!slot.active.load())
            continue;
        const int fd = open(slot.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue;
        remove_contents(fd, 0);
        close(fd);
        rmdir(slot.path);
    }
    // core/cleanup's handler: stops children, removes its files, re-raises.
    for (int i = 0; i < 3; ++i)
        if (kSignals[i] == signal_number && previous[i].sa_handler != SIG_DFL &&
            previous[i].sa_handler != SIG_IGN) {
            previous[i].sa_handler(signal_number);
            return;
        }
    std::signal(signal_number, SIG_DFL);
    raise(signal_number);
}

void install_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        cleanup::install_signal_handlers();
        struct sigaction action = {};
        action.sa_handler = on_fatal_signal;
        sigemptyset(&action.sa_mask);
        for (int i = 0; i < 3; ++i)
            sigaction(kSignals[i], &action, &previous[i]);
    });
}

} // namespace

TreeOnSignal::TreeOnSignal(const std::string& directory) {
    install_once();
    if (directory.size() >= PATH_MAX)
        return;
    std::lock_guard lock(slot_mutex);
    for (int i = 0; i < kSlots; ++i) {
        TreeSlot& slot = tree_slots[i];
        if (slot.active.load())
            continue;
        std::memcpy(slot.path, directory.c_str(), directory.size() + 1);
        slot.active.store(true);
        slot_ = i;
        return;
    }
}

TreeOnSignal::~TreeOnSignal() {
    if (slot_ >= 0)
        tree_slots[slot_].active.store(false);
}

} // namespace squashpub::verifier
