#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace squashpub {

unsigned effective_jobs(unsigned requested) {
    return requested ? requested : std::max(1u, std::thread::hardware_concurrency());
}

void parallel_for(size_t count, unsigned jobs, const std::function<void(size_t, unsigned)>& body) {
    const unsigned workers = static_cast<unsigned>(std::min<size_t>(effective_jobs(jobs), count));
    if (workers <= 1) {
        for (size_t i = 0; i < count; ++i)
            body(i, 0);
        return;
    }
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::exception_ptr first_error;
    std::mutex error_mutex;
    auto work = [&](unsigned worker) {
        for (size_t i; !failed && (i = next++) < count;) {
            try {
                body(i, worker);
            } catch (...) {
                std::lock_guard lock(error_mutex);
                if (!first_error)
                    first_error = std::current_exception();
                failed = true;
            }
        }
    };
    std::vector<std::thread> threads;
    for (unsigned w = 1; w < workers; ++w)
        threads.emplace_back(work, w);
    work(0);
    for (std::thread& thread : threads)
        thread.join();
    if (first_error)
        std::rethrow_exception(first_error);
}

} // namespace squashpub
