#include "verifier/fetcher.hpp"

#include "core/error.hpp"
#include "core/files.hpp"
#include "core/sha512.hpp"

#include <chrono>
#include <curl/curl.h>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;

namespace squashpub::verifier {
namespace {

class DirectoryFetcher : public Fetcher {
  public:
    explicit DirectoryFetcher(std::string directory) : directory_(std::move(directory)) {
        if (!fs::is_directory(directory_))
            throw UnreachableError(directory_ + ": not a directory");
    }

    Fetched fetch(const std::string& name, const std::string&) override {
        Fetched fetched;
        fetched.path = directory_ + "/" + name;
        if (!fs::exists(fetched.path))
            throw Error(fetched.path, "missing");
        fetched.sha512 = sha512_of_file(fetched.path);
        fetched.bytes = fs::file_size(fetched.path);
        return fetched;
    }

    std::optional<std::set<std::string>> list() const override {
        std::set<std::string> names;
        for (const auto& item : fs::directory_iterator(directory_))
            if (item.is_regular_file() || item.is_symlink())
                names.insert(item.path().filename());
        return names;
    }

    std::string describe(const std::string& name) const override { return directory_ + "/" + name; }

  private:
    std::string directory_;
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
    bool restarted = false; // the server ignored our Range request

    static size_t write(char* data, size_t size, size_t count, void* self) {
        auto* sink = static_cast<Sink*>(self);
        const size_t bytes = size * count;
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

class HttpFetcher : public Fetcher {
  public:
    HttpFetcher(std::string base, HttpOptions options) : base_(std::move(base)), options_(options) {
        global_curl_init();
        if (base_.back() != '/')
            base_ += '/';
    }

    Fetched fetch(const std::string& name, const std::string& scratch_dir) override {
        const std::string url = url_of(name);
        Fetched fetched;
        fetched.path = scratch_dir + "/" + name;
        UniqueFd fd(::open(fetched.path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
        if (!fd)
            throw_errno(fetched.path, "cannot create");
        Sink sink;
        sink.fd = fd.get();
        sink.path = fetched.path;
        std::string last_problem;
        bool any_response = false;
        unsigned delay = options_.backoff_ms;
        for (unsigned attempt = 0; attempt <= options_.retries; ++attempt) {
            if (attempt > 0) {
                std::this_thread::sleep_for(std::chrono::milliseconds(delay));
                delay *= 2;
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

    Outcome transfer(const std::string& url, Sink& sink) {
        std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(),
                                                                 curl_easy_cleanup);
        char error[CURL_ERROR_SIZE] = {};
        curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
        curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, long(options_.connect_timeout));
        curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_LIMIT, 1024L);
        curl_easy_setopt(curl.get(), CURLOPT_LOW_SPEED_TIME, long(options_.stall_timeout));
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
        outcome.retry = code != CURLE_SSL_CACERT && code != CURLE_PEER_FAILED_VERIFICATION &&
                        code != CURLE_URL_MALFORMAT && code != CURLE_UNSUPPORTED_PROTOCOL;
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

std::unique_ptr<Fetcher> make_fetcher(const std::string& source, const HttpOptions& http) {
    if (source.rfind("http://", 0) == 0 || source.rfind("https://", 0) == 0)
        return std::make_unique<HttpFetcher>(source, http);
    return std::make_unique<DirectoryFetcher>(source);
}

} // namespace squashpub::verifier
