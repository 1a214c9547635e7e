#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "generator/delta/delta_encoder.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace squashpub::cli {
namespace {

const char* kHelp = R"(usage: squashpub delta [options] OLD.sqfs NEW.sqfs OUT.sqdelta

Computes a delta that stock squashmerge applies to OLD.sqfs to rebuild
NEW.sqfs byte for byte. Both images must be lzo (lzo1x_999) or fast lz4,
with the same block size. Only blocks that recompress exactly with the
client's call are expanded; the others travel compressed.

Options:
  --tmpdir DIR       where the expanded files go (default: $TMPDIR or /tmp);
                     needs about the size of both images plus their contents
  --jobs N           threads for decompression and checks (default: cores)
  --shared-blocks M  blocks both images hold identically: keep (leave them
                     compressed, as the reference generator does), expand,
                     or auto (default): for images up to 128 MiB build both
                     and keep the smaller delta, else keep
  --race-margin N    decompressed bytes stock squashmerge's first thread
                     must own, for 2 to 16 threads, so that its offset race
                     cannot strike (README); shared blocks are expanded to
                     reach it. Default 1048576; 0 turns the guard off
  --verbose, --quiet
)";

uint64_t byte_count(const std::string& text, const std::string& option) {
    char* end = nullptr;
    errno = 0;
    const unsigned long long bytes = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || errno != 0 || text[0] == '-')
        throw UsageError("delta", option + " expects a byte count, got '" + text + "'");
    return bytes;
}

} // namespace

int run_delta(const Args& args) {
    if (wants_help(args, kHelp))
        return kExitOk;
    OptionSpec spec{{"--tmpdir", "--jobs", "--shared-blocks", "--race-margin", "--splice-min"}, {}};
    add_common_options(spec);
    ParsedOptions options("delta", args, spec);
    apply_common_options(options);
    options.expect_positionals(3, "squashpub delta [options] OLD.sqfs NEW.sqfs OUT.sqdelta");

    generator::DeltaOptions delta;
    delta.temp_dir = options.value("--tmpdir").value_or("");
    delta.jobs = jobs_option(options);
    const std::string shared = options.value("--shared-blocks").value_or("auto");
    if (shared == "keep")
        delta.shared_blocks = generator::SharedBlocks::keep;
    else if (shared == "expand")
        delta.shared_blocks = generator::SharedBlocks::expand;
    else if (shared != "auto")
        throw UsageError("delta",
                         "--shared-blocks expects keep, expand or auto, got '" + shared + "'");
    if (auto margin = options.value("--race-margin")) {
        const uint64_t bytes = byte_count(*margin, "--race-margin");
        delta.race_margin.decompress_bytes = bytes;
        delta.race_margin.compress_bytes = bytes / 4;
    }
    if (auto splice = options.value("--splice-min")) {
        if (*splice == "off")
            delta.splice.min_skipped = UINT64_MAX;
        else
            delta.splice.min_skipped = byte_count(*splice, "--splice-min");
    }
    const auto& files = options.positionals();
    const generator::DeltaStats stats =
        generator::encode_delta(files[0], files[1], files[2], delta);
    log_info(files[2] + ": " + format_bytes(stats.delta_bytes) + " (" +
             std::to_string(stats.source_listed) + " source and " +
             std::to_string(stats.target_listed) + " target blocks expanded, " +
             (stats.expanded_shared ? std::string("shared blocks expanded, ")
                                    : std::to_string(stats.shared_blocks) + " shared kept, ") +
             std::to_string(stats.target_unreproducible) + " not reproducible; squashmerge race " +
             stats.race_guard +
             (stats.race_padding ? " with " + std::to_string(stats.race_padding) + " blocks" : "") +
             ")");
    return kExitOk;
}

} // namespace squashpub::cli
