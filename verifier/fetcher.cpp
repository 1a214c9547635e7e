#include "verifier/fetcher.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/safe_name.hpp"
#include "core/sha512.hpp"

#include <chrono>
#include <curl/curl.h>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;

namespace squashpub::verifier {
namespace {

void require_safe_name(const std::string& name, const std::string& where) {
    const std::string reason = unsafe_name_reason(name);
    if (!reason.empty())
        throw Error(where, "refused: the name is " + reason);
}

std::string too_large(uint64_t max_bytes) {
    return "larger than the limit of " + std::to_string(max_bytes) + " bytes: refused";
}

class DirectoryFetcher : public Fetcher {
  public:
    explicit DirectoryFetcher(std::string directory) : directory_(std::move(directory)) {
        directory_fd_ = UniqueFd(::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!directory_fd_)
            throw UnreachableError(directory_ + ": not a directory (" + errno_text(errno) + ")");
    }

    // Opened relative to the directory, never through a link, and without
    // blocking (a FIFO would wait for a writer); only then is it looked at.
    // Copied into scratch_dir while it is hashed, as a download is: the
    // bytes used later are the bytes hashed, whatever the mirror rewrites
    // in place meanwhile.
    Fetched fetch(const std::string& name, const std::string& scratch_dir,
                  uint64_t max_bytes) override {
        const std::string where = describe(name);
        require_safe_name(name, where);
        UniqueFd source(::openat(directory_fd_.get(), name.c_str(),
                                 O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
        if (!source) {
            if (errno == ENOENT)
                throw Error(where, "missing");
            if (errno == ELOOP)
                throw Error(where, "a symbolic link: a mirror's files are never followed");
            throw_errno(where, "cannot open");
        }
        struct stat st;
        if (::fstat(source.get(), &st) != 0)
            throw_errno(where, "cannot stat");
        if (!S_ISREG(st.st_mode))
            throw Error(where,
                        std::string("not a regular file (") + file_kind(st.st_mode) + "): refused");
        if (static_cast<uint64_t>(st.st_size) > max_bytes)
            throw Error(where, too_large(max_bytes));
        Fetched fetched;
        fetched.path = scratch_dir + "/" + name;
        UniqueFd copy(::open(fetched.path.c_str(),
                             O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (!copy)
            throw_errno(fetched.path, "cannot create");
        fetched.sha512 =
            copy_and_hash(source.get(), where, copy.get(), fetched.path, max_bytes, fetched.bytes);
        return fetched;
    }

    std::optional<std::string> link_target(const std::string& name) const override {
        const std::string where = describe(name);
        require_safe_name(name, where);
        struct stat st;
        if (::fstatat(directory_fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                throw Error(where, "missing");
            throw_errno(where, "cannot stat");
        }
        if (!S_ISLNK(st.st_mode))
            return std::nullopt;
        char target[4096];
        const ssize_t n = ::readlinkat(directory_fd_.get(), name.c_str(), target, sizeof target);
        if (n < 0)
            throw_errno(where, "cannot read the symbolic link");
        if (static_cast<size_t>(n) == sizeof target)
            throw Error(where, "a symbolic link with a target of 4096 bytes or more: refused");
        return std::string(target, static_cast<size_t>(n));
    }

    // Links are listed as they are, never followed: a loop or a dangling
    // link is one more name (unlisted, or a failed fetch), not an abort.
    std::optional<std::set<std::string>> list() const override {
        std::set<std::string> names;
        std::error_code error;
        fs::directory_iterator it(directory_, error), end;
        for (; !error && it != end; it.increment(error)) {
            std::error_code status_error;
            const fs::file_status status = it->symlink_status(status_error);
            if (!status_error && (fs::is_regular_file(status) || fs::is_symlink(status)))
                names.insert(it->path().filename());
        }
        if (error)
            throw Error(directory_, "cannot list: " + error.message());
        return names;
    }

    std::string describe(const std::string& name) const override { return directory_ + "/" + name; }

  private:
    static const char* file_kind(mode_t mode) {
        return S_ISFIFO(mode)   ? "a FIFO"
               : S_ISCHR(mode)  ? "a character device"
               : S_ISBLK(mode)  ? "a block device"
               : S_ISSOCK(mode) ? "a socket"
               : S_ISDIR(mode)  ? "a directory"
                                : "not a file";
    }

    // Hashes the file as it is copied; a file growing past the limit while
    // it is read is refused too.
    static std::string copy_and_hash(int fd, const std::string& where, int copy_fd,
                                     const std::string& copy_path, uint64_t max_bytes,
                                     uint64_t& bytes) {
        Sha512 hash;
        std::vector<char> buffer(1 << 20);
        for (;;) {
            const size_t n = read_some_at(fd, buffer.data(), buffer.size(), bytes, where);
            if (n == 0)
                break;
            bytes += n;
            if (bytes > max_bytes)
                throw Error(where, too_large(max_bytes));
            hash.update(buffer.data(), n);
            write_all(copy_fd, buffer.data(), n, copy_path);
        }
        return hash.hex_digest();
    }

    std::string directory_;
    UniqueFd directory_fd_;
};

void global_curl_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// One transfer target: appends to a file and to a running hash, so that a
// resumed download continues both where they stopped.
struct Sink {
    int fd = -1;
    std::string path;
    std::unique_ptr<Sha512> hash = std::make_unique<Sha512>();
    uint64_t written = 0;
    uint64_t transferred = 0;
    uint64_t max_bytes = UINT64_MAX;
    bool over_limit = false;

    static size_t write(char* data, size_t size, size_t count, void* self) {
        auto* sink = static_cast<Sink*>(self);
        const size_t bytes = size * count;
        // An endless or oversize body stops here, not when the disk is full.
        if (sink->written + bytes > sink->max_bytes) {
            sink->over_limit = true;
            return 0;
        }
        try {
            write_all(sink->fd, data, bytes, sink->path);
        } catch (const Error&) {
            return 0;
        }
        sink->hash->update(data, bytes);
        sink->written += bytes;
        sink->transferred += bytes;
        return bytes;
    }

    void reset() {
        if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0)
            throw_errno(path, "cannot truncate");
        hash = std::make_unique<Sha512>();
        written = 0;
    }
};

// Why a transfer was stopped from the progress callback.
struct Watchdog {
    Clock::time_point start = Clock::now();
    std::optional<Clock::time_point> deadline;
    uint64_t min_speed = 0;
    unsigned grace = 0;
    std::string stopped; // empty while the transfer may go on

    static int progress(void* self, curl_off_t, curl_off_t now_down, curl_off_t, curl_off_t) {
        auto* dog = static_cast<Watchdog*>(self);
        const Clock::time_point now = Clock::now();
        if (dog->deadline && now >= *dog->deadline) {
            dog->stopped = "the run's --timeout expired during the transfer";
            return 1;
        }
        const double seconds = std::chrono::duration<double>(now - dog->start).count();
        if (dog->min_speed > 0 && seconds > dog->grace &&
            static_cast<double>(now_down) < dog->min_speed * (seconds - dog->grace)) {
            dog->stopped = "too slow: " + std::to_string(static_cast<uint64_t>(now_down)) +
                           " bytes in " + std::to_string(static_cast<int>(seconds)) +
                           " s, below the minimum average of " + std::to_string(dog->min_speed) +
                           " bytes/s (--min-speed)";
            return 1;
        }
        return 0;
    }
};

class HttpFetcher : public Fetcher {
  public:
    HttpFetcher(std::string base, HttpOptions options) : base_(std::move(base)), options_(options) {
        global_curl_init();
        if (base_.back() != '/')
            base_ += '/';
    }

    Fetched fetch(const std::string& name, const std::string& scratch_dir,
                  uint64_t max_bytes) override {
        const std::string url = url_of(name);
        require_safe_name(name, url);
        Fetched fetched;
        fetched.path = scratch_dir + "/" + name;
        UniqueFd fd(::open(fetched.path.c_str(),
                           O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644));
        if (!fd)
            throw_errno(fetched.path, "cannot create");
        Sink sink;
        sink.fd = fd.get();
        sink.path = fetched.path;
        sink.max_bytes = max_bytes;
        std::string last_problem;
        bool any_response = false;
        unsigned delay = options_.backoff_ms;
        for (unsigned attempt = 0; attempt <= options_.retries; ++attempt) {
            if (attempt > 0) {
                if (options_.deadline &&
                    Clock::now() + std::chrono::milliseconds(delay) >= *options_.deadline)
                    break;
                std::this_thread::sleep_for(std::chrono::milliseconds(delay));
                delay *= 2;
            }
            if (options_.deadline && Clock::now() >= *options_.deadline) {
                last_problem = "the run's --timeout expired";
                any_response = true; // the mirror is not unreachable: we are out of time
                break;
            }
            const Outcome outcome = transfer(url, sink);
            any_response = any_response || outcome.http_status != 0;
            if (outcome.done) {
                fetched.sha512 = sink.hash->hex_digest();
                fetched.bytes = sink.written;
                fetched.downloaded = sink.transferred;
                return fetched;
            }
            last_problem = outcome.problem;
            if (!outcome.retry)
                break;
        }
        if (!any_response)
            throw UnreachableError(url + ": " + last_problem);
        throw Error(url, last_problem);
    }

    std::optional<std::set<std::string>> list() const override { return std::nullopt; }
    std::string describe(const std::string& name) const override { return url_of(name); }

  private:
    struct Outcome {
        bool done = false;
        bool retry = false;
        long http_status = 0;
        std::string problem;
    };

    std::string url_of(const std::string& name) const {
        std::unique_ptr<char, decltype(&curl_free)> escaped(
            curl_easy_escape(nullptr, name.c_str(), static_cast<int>(name.size())), curl_free);
        return base_ + (escaped ? escaped.get() : name);
    }

    void set_limits(CURL* curl, const Sink& sink, Watchdog& dog) const {
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_MAXREDIRS, options_.max_redirects);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, long(options_.connect_timeout));
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
        curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, long(options_.stall_timeout));
        // The announced length is refused before any byte is written; the
        // sink enforces the limit on what actually arrives.
        if (sink.max_bytes < UINT64_MAX / 2)
            curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
                             curl_off_t(sink.max_bytes - sink.written));
        if (options_.deadline) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                *options_.deadline - Clock::now());
            curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, long(std::max<int64_t>(left.count(), 1)));
        }
        dog.deadline = options_.deadline;
        dog.min_speed = options_.min_speed;
        dog.grace = options_.speed_grace;
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &Watchdog::progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &dog);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    }

    Outcome transfer(const std::string& url, Sink& sink) {
        std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(),
                                                                 curl_easy_cleanup);
        char error[CURL_ERROR_SIZE] = {};
        Watchdog dog;
        curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
        curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
        set_limits(curl.get(), sink, dog);
        curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYPEER, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYHOST, 2L);
        curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "squashpub-verify");
        curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &Sink::write);
        curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &sink);
        const uint64_t resume_from = sink.written;
        if (resume_from > 0)
            curl_easy_setopt(curl.get(), CURLOPT_RESUME_FROM_LARGE, curl_off_t(resume_from));
        // A server that answers a range request with the whole file (200)
        // would append it after the partial data: check before writing.
        curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, &on_header);
        HeaderState header{&sink, resume_from};
        curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &header);

        const CURLcode code = curl_easy_perform(curl.get());
        Outcome outcome;
        curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &outcome.http_status);
        if (code == CURLE_OK && (outcome.http_status == 200 || outcome.http_status == 206)) {
            outcome.done = true;
            return outcome;
        }
        if (code == CURLE_OK || code == CURLE_HTTP_RETURNED_ERROR) {
            outcome.problem = "HTTP " + std::to_string(outcome.http_status);
            // 4xx is the mirror's answer; 408, 429 and 5xx may pass.
            outcome.retry = outcome.http_status >= 500 || outcome.http_status == 408 ||
                            outcome.http_status == 429;
            sink.reset();
            return outcome;
        }
        outcome.problem =
            std::string(curl_easy_strerror(code)) + (error[0] ? std::string(": ") + error : "");
        if (code == CURLE_PARTIAL_FILE || code == CURLE_RECV_ERROR)
            outcome.problem = "connection closed after " + std::to_string(sink.written) +
                              " bytes (truncated download): " + outcome.problem;
        // What the mirror did on purpose is not retried: too large, too
        // slow, out of time, redirected too often or off http(s).
        // curl times out to the millisecond, a little before the deadline.
        const bool out_of_time =
            options_.deadline &&
            Clock::now() + std::chrono::milliseconds(500) >= *options_.deadline;
        const bool refused = sink.over_limit || code == CURLE_FILESIZE_EXCEEDED ||
                             !dog.stopped.empty() || out_of_time ||
                             code == CURLE_TOO_MANY_REDIRECTS || code == CURLE_UNSUPPORTED_PROTOCOL;
        if (out_of_time && dog.stopped.empty())
            dog.stopped =
                "the run's --timeout expired during the transfer (" + outcome.problem + ")";
        if (sink.over_limit || code == CURLE_FILESIZE_EXCEEDED)
            outcome.problem = too_large(sink.max_bytes);
        else if (!dog.stopped.empty())
            outcome.problem = dog.stopped;
        else if (code == CURLE_TOO_MANY_REDIRECTS)
            outcome.problem = "more than " + std::to_string(options_.max_redirects) +
                              " redirects: refused (" + outcome.problem + ")";
        else if (code == CURLE_UNSUPPORTED_PROTOCOL)
            outcome.problem = "redirected off http(s): refused (" + outcome.problem + ")";
        if (refused)
            outcome.http_status = std::max(outcome.http_status, 1L); // the mirror did answer
        outcome.retry = !refused && code != CURLE_SSL_CACERT &&
                        code != CURLE_PEER_FAILED_VERIFICATION && code != CURLE_URL_MALFORMAT;
        return outcome;
    }

    struct HeaderState {
        Sink* sink;
        uint64_t resume_from;
    };

    static size_t on_header(char* data, size_t size, size_t count, void* self) {
        auto* state = static_cast<HeaderState*>(self);
        const std::string line(data, size * count);
        // The status line of the final response: restart if a resumed
        // request got the whole file again.
        if (line.rfind("HTTP/", 0) == 0 && state->resume_from > 0 &&
            line.find(" 200") != std::string::npos) {
            try {
                state->sink->reset();
            } catch (const Error&) {
                return 0;
            }
        }
        return size * count;
    }

    std::string base_;
    HttpOptions options_;
};

} // namespace

std::optional<std::string> Fetcher::link_target(const std::string&) const {
    return std::nullopt;
}

std::unique_ptr<Fetcher> make_fetcher(const std::string& source, const HttpOptions& http) {
    if (source.rfind("http://", 0) == 0 || source.rfind("https://", 0) == 0)
        return std::make_unique<HttpFetcher>(source, http);
    return std::make_unique<DirectoryFetcher>(source);
}

} // namespace squashpub::verifier
