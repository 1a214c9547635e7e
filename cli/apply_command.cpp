#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "core/log.hpp"
#include "verifier/applier.hpp"

namespace squashpub::cli {
namespace {

const char* kHelp = R"(usage: squashpub apply [options] OLD.sqfs DELTA.sqdelta OUT.sqfs

Applies a delta the way the stock squashmerge client does, with squashpub's
independent implementation, checking every structure on the way. OUT.sqfs
appears only if the whole run succeeds.

Options:
  --tmpdir DIR   where the expanded source goes (default: $TMPDIR or /tmp)
  --jobs N       threads (default: one per core)
  --max-output BYTES
                 refuse a delta whose VCDIFF windows declare a larger
                 expanded target, before xdelta3 runs (default 16 GiB: four
                 times the 4 GiB image limit); a delta bomb fails at once
  --verbose, --quiet
)";

} // namespace

int run_apply(const Args& args) {
    if (wants_help(args, kHelp))
        return kExitOk;
    OptionSpec spec{{"--tmpdir", "--jobs", "--max-output"}, {}};
    add_common_options(spec);
    ParsedOptions options("apply", args, spec);
    apply_common_options(options);
    options.expect_positionals(3, "squashpub apply [options] OLD.sqfs DELTA.sqdelta OUT.sqfs");

    verifier::ApplyOptions apply;
    apply.temp_dir = options.value("--tmpdir").value_or("");
    apply.jobs = jobs_option(options);
    apply.max_output = options.number("--max-output", 1, 1ull << 50).value_or(apply.max_output);
    const auto& files = options.positionals();
    const verifier::ApplyResult result = verifier::apply_delta(files[0], files[1], files[2], apply);
    log_info(files[2] + ": " + format_bytes(result.output_bytes) + " rebuilt (" +
             std::to_string(result.source_blocks) + " source and " +
             std::to_string(result.target_blocks) + " target blocks)");
    return kExitOk;
}

} // namespace squashpub::cli
