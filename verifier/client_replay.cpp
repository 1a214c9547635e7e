#include "verifier/client_replay.hpp"

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "core/sha512.hpp"
#include "verifier/alias_check.hpp"
#include "verifier/applier.hpp"
#include "verifier/image_walk.hpp"
#include "verifier/recompression_memo.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>

namespace fs = std::filesystem;

namespace squashpub::verifier {
namespace {

// One repository's replay; the walk of its current snapshot bounds what
// its deltas may expand to.
class ClientReplay {
  public:
    explicit ClientReplay(VerifyContext& ctx) : ctx_(ctx) {}

    // §8 items 10, 14-16, 19, 20, and the client replay.
    void check_listed_files(const ClientView& view, const std::string& version,
                            std::map<std::string, Listed>& files,
                            const std::vector<std::string>& delta_names) {
        const std::string snapshot_name = ctx_.repo + "-" + version + ".sqfs";
        if (version.empty())
            return;
        const bool snapshot_listed = view.digests.count(snapshot_name) > 0;
        ctx_.result("current.listed", snapshot_listed ? Status::pass : Status::fail, snapshot_name,
                    snapshot_listed ? "the current snapshot is listed"
                                    : "the current snapshot is not listed: initial syncs fail");

        if (snapshot_listed && files[snapshot_name].good)
            check_initial_sync(files[snapshot_name]);
        // Flavors (full downloads of the same version) must open and walk
        // too; the delta bounds stay the main image's.
        const std::optional<WalkStats> main_walk = target_walk_;
        for (const std::string& flavor : current_flavor_images(view.digests, ctx_.repo, version))
            if (files[flavor].good)
                check_initial_sync(files[flavor]);
        target_walk_ = main_walk;
        // A client downloads the snapshot rather than a delta larger than it.
        const uint64_t max_delta =
            snapshot_listed && files[snapshot_name].fetched
                ? std::min(files[snapshot_name].fetched->bytes, ctx_.options.max_file_bytes)
                : ctx_.options.max_file_bytes;
        fs::create_directories(ctx_.scratch.file("aliases"));
        ctx_.report.add_downloaded(check_current_aliases(
            *ctx_.fetcher, ctx_.scratch.file("aliases"), ctx_.options.max_file_bytes, view.digests,
            ctx_.repo, version,
            [&](const std::string& id, Status status, const std::string& file,
                const std::string& message) { ctx_.result(id, status, file, message); }));

        std::vector<std::pair<std::string, std::string>> deltas;
        for (const std::string& name : delta_names)
            deltas.push_back({name, view.digests.at(name)});
        RecompressionMemo memo;
        parallel_for(deltas.size(), ctx_.options.jobs, [&](size_t i, unsigned) {
            if (ctx_.timed_out())
                return;
            check_delta(deltas[i].first, deltas[i].second, version, snapshot_listed, files,
                        view.digests, memo, max_delta);
        });
    }

  private:
    void check_initial_sync(const Listed& snapshot) {
        const auto start = std::chrono::steady_clock::now();
        try {
            WalkStats stats = walk_image(snapshot.fetched->path);
            target_walk_ = stats;
            ctx_.result("snapshot.walk", Status::pass, snapshot.name,
                        "opened and walked: " + std::to_string(stats.files) + " files, " +
                            std::to_string(stats.directories) + " directories",
                        {{"files", stats.files},
                         {"directories", stats.directories},
                         {"symlinks", stats.symlinks},
                         {"bytes", stats.bytes}},
                        since(start));
        } catch (const Error& e) {
            ctx_.result(
                "snapshot.walk", Status::fail, snapshot.name,
                relabel(e.what(), snapshot.fetched->path, ctx_.fetcher->describe(snapshot.name)),
                {}, since(start));
        }
    }

    struct SourceImage {
        std::string path;  // to open
        std::string label; // for people: the mirror's name for it, or the path
    };

    std::optional<SourceImage> source_image(const std::string& old_version,
                                            const std::map<std::string, Listed>& files) {
        const std::string name = ctx_.repo + "-" + old_version + ".sqfs";
        auto listed = files.find(name);
        if (listed != files.end() && listed->second.good)
            return SourceImage{listed->second.fetched->path, ctx_.fetcher->describe(name)};
        for (const std::string& dir : ctx_.options.image_dirs)
            if (fs::exists(dir + "/" + name))
                return SourceImage{dir + "/" + name, dir + "/" + name};
        return std::nullopt;
    }

    // Messages name files as the mirror does, not by the descriptor or
    // download path they were read through.
    static std::string relabel(std::string text, const std::string& path,
                               const std::string& label) {
        for (size_t at = text.find(path); at != std::string::npos;
             at = text.find(path, at + label.size()))
            text.replace(at, path.size(), label);
        return text;
    }

    void check_delta(const std::string& name, const std::string& hash, const std::string& version,
                     bool snapshot_listed, const std::map<std::string, Listed>& files,
                     const std::map<std::string, std::string>& digests, RecompressionMemo& memo,
                     uint64_t max_delta) {
        const std::string prefix = ctx_.repo + "-";
        const std::string suffix = "-" + version + ".sqdelta";
        if (name.rfind(prefix, 0) != 0 || !name.ends_with(suffix) ||
            name.size() <= prefix.size() + suffix.size()) {
            ctx_.result("delta.target", Status::warn, name,
                        "does not lead to the current version: no client will ever use it");
            fetch_listed(ctx_, name, hash, max_delta);
            return;
        }
        if (!snapshot_listed) {
            ctx_.result("delta.target", Status::fail, name, "its target snapshot is not listed");
            return;
        }
        Listed delta = fetch_listed(ctx_, name, hash, max_delta);
        if (!delta.good)
            return;
        const auto target = files.find(prefix + version + ".sqfs");
        if (target == files.end() || !target->second.good) {
            ctx_.result("delta.apply", Status::skip, name,
                        "not applied: its target snapshot failed its own checks, so the most this "
                        "delta may produce is not known");
            return;
        }
        const std::string old_version =
            name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
        std::optional<SourceImage> old_image = source_image(old_version, files);
        if (!old_image) {
            ctx_.result("delta.apply", Status::skip, name,
                        "no image of " + old_version +
                            " (listed, --cache or --archive) to apply it to");
            return;
        }
        const auto start = std::chrono::steady_clock::now();
        const std::string rebuilt = ctx_.rebuilt_dir() + "/" + name;
        try {
            ApplyOptions apply{ctx_.scratch.path(), 1, &memo};
            apply.max_output = expanded_target_bound(target->second.fetched->bytes);
            apply.output = Durability::scratch; // hashed, then removed
            apply_delta(old_image->path, delta.fetched->path, rebuilt, apply);
            const bool exact = sha512_of_file(rebuilt) == digests.at(prefix + version + ".sqfs");
            fs::remove(rebuilt);
            ctx_.result("delta.apply", exact ? Status::pass : Status::fail, name,
                        exact
                            ? "rebuilds " + prefix + version + ".sqfs exactly"
                            : "applies, but the rebuilt image does not match the listed hash of " +
                                  prefix + version + ".sqfs",
                        {{"source", old_image->label}}, since(start));
        } catch (const Error& e) {
            const std::string message =
                relabel(relabel(e.what(), delta.fetched->path, ctx_.fetcher->describe(name)),
                        old_image->path, old_image->label);
            ctx_.result("delta.apply", Status::fail, name, message, {{"source", old_image->label}},
                        since(start));
        }
    }

    // The most an expanded target for this snapshot can hold (spec §2.5):
    // the image, the decompressed content of its blocks (the files' bytes,
    // as the walk read them, and the metadata of every entry), their list
    // and the trailer. Twice the image covers lists, fragment and metadata
    // slack; without a walk, content is assumed to compress 8:1.
    uint64_t expanded_target_bound(uint64_t image_bytes) const {
        uint64_t content = 8 * image_bytes;
        if (target_walk_) {
            const WalkStats& w = *target_walk_;
            content = w.bytes + 512 * (w.files + w.directories + w.symlinks + w.other);
        }
        return 2 * image_bytes + content + (1u << 20);
    }

    VerifyContext& ctx_;
    std::optional<WalkStats> target_walk_;
};

} // namespace

void check_listed_files(VerifyContext& ctx, const ClientView& view, const std::string& version,
                        std::map<std::string, Listed>& files,
                        const std::vector<std::string>& delta_names) {
    ClientReplay(ctx).check_listed_files(view, version, files, delta_names);
}

} // namespace squashpub::verifier
