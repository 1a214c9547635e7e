#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "generator/delta/delta_encoder.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace squashpub::cli {
namespace {

const HelpText kHelp{"squashpub delta [options] OLD.sqfs NEW.sqfs OUT.sqdelta",
                     R"(Computes a delta that stock squashmerge applies to OLD.sqfs to rebuild
NEW.sqfs byte for byte. Both images must be lzo (lzo1x_999) or fast lz4,
with the same block size. Only blocks that recompress exactly with the
client's call are expanded; the others travel compressed.
)",
                     ""};

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
    CommandLine line("delta", kHelp);
    line.positional("OLD.sqfs", "the image clients have");
    line.positional("NEW.sqfs", "the image they should end up with");
    line.positional("OUT.sqdelta", "the delta to write");
    line.option("--tmpdir", "DIR",
                "where the expanded files go (default: $TMPDIR or /tmp);\n"
                "needs about the size of both images plus their contents");
    add_jobs_option(line, "threads for decompression and checks (default: cores)");
    line.option("--shared-blocks", "M",
                "blocks both images hold identically: keep (leave them\n"
                "compressed, as the reference generator does), expand,\n"
                "or auto (default): for images up to 128 MiB build both\n"
                "and keep the smaller delta, else keep");
    line.option("--race-margin", "N",
                "decompressed bytes stock squashmerge's first thread\n"
                "must own, for 2 to 16 threads, so that its offset race\n"
                "cannot strike (README); shared blocks are expanded to\n"
                "reach it. Default 1048576; 0 turns the guard off");
    line.option("--splice-min", "BYTES",
                "write runs both expanded files share as plain copies and\n"
                "run xdelta3 only on the rest, when those runs skip at least\n"
                "this many bytes (default 67108864; 0 always, off never)");
    if (!line.parse(args))
        return kExitOk;

    generator::DeltaOptions delta;
    delta.temp_dir = line.value("--tmpdir").value_or("");
    delta.jobs = jobs_option(line);
    const std::string shared = line.value("--shared-blocks").value_or("auto");
    if (shared == "keep")
        delta.shared_blocks = generator::SharedBlocks::keep;
    else if (shared == "expand")
        delta.shared_blocks = generator::SharedBlocks::expand;
    else if (shared != "auto")
        throw UsageError("delta",
                         "--shared-blocks expects keep, expand or auto, got '" + shared + "'");
    if (auto margin = line.value("--race-margin")) {
        const uint64_t bytes = byte_count(*margin, "--race-margin");
        delta.race_margin.decompress_bytes = bytes;
        delta.race_margin.compress_bytes = bytes / 4;
    }
    if (auto splice = line.value("--splice-min")) {
        if (*splice == "off")
            delta.splice.min_skipped = UINT64_MAX;
        else
            delta.splice.min_skipped = byte_count(*splice, "--splice-min");
    }
    const auto& files = line.positionals();
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
