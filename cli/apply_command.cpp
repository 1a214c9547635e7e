#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "core/log.hpp"
#include "verifier/applier.hpp"

namespace squashpub::cli {
namespace {

const HelpText kHelp{"squashpub apply [options] OLD.sqfs DELTA.sqdelta OUT.sqfs",
                     R"(Applies a delta the way the stock squashmerge client does, with squashpub's
independent implementation, checking every structure on the way. OUT.sqfs
appears only if the whole run succeeds.
)",
                     ""};

} // namespace

int run_apply(const Args& args) {
    CommandLine line("apply", kHelp);
    line.positional("OLD.sqfs", "the image the delta starts from");
    line.positional("DELTA.sqdelta", "the delta");
    line.positional("OUT.sqfs", "the rebuilt image");
    line.option("--tmpdir", "DIR", "where the expanded source goes (default: $TMPDIR or /tmp)");
    add_jobs_option(line, "threads (default: one per core)");
    line.number("--max-output", "BYTES", 1, 1ull << 50,
                "refuse a delta whose VCDIFF windows declare a larger\n"
                "expanded target, before xdelta3 runs (default 16 GiB: four\n"
                "times the 4 GiB image limit); a delta bomb fails at once");
    if (!line.parse(args))
        return kExitOk;

    verifier::ApplyOptions apply;
    apply.temp_dir = line.value("--tmpdir").value_or("");
    apply.jobs = jobs_option(line);
    apply.max_output = line.number("--max-output").value_or(apply.max_output);
    const auto& files = line.positionals();
    const verifier::ApplyResult result = verifier::apply_delta(files[0], files[1], files[2], apply);
    log_info(files[2] + ": " + format_bytes(result.output_bytes) + " rebuilt (" +
             std::to_string(result.source_blocks) + " source and " +
             std::to_string(result.target_blocks) + " target blocks)");
    return kExitOk;
}

} // namespace squashpub::cli
