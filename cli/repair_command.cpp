#include "cli/command_line.hpp"
#include "cli/commands.hpp"
#include "publisher/repair.hpp"

#include <cstdio>

namespace squashpub::cli {
namespace {

const HelpText kHelp{"squashpub repair --config FILE [--dry-run]",
                     R"(Compares the mirror with the policy and the archive, regenerates missing or
corrupt deltas, restores missing or corrupt snapshots from the archive, and
re-signs the manifest. --dry-run prints the plan and changes nothing.
)",
                     ""};

void print_plan(const publisher::RepairPlan& plan, const char* verb) {
    std::printf("current: %s\n", plan.current.c_str());
    if (plan.actions.empty())
        std::printf("%s: nothing to repair\n", verb);
    for (const publisher::RepairAction& action : plan.actions)
        std::printf("%s: %s\n", verb, publisher::describe(action).c_str());
    for (const std::string& note : plan.notes)
        std::printf("cannot fix: %s\n", note.c_str());
}

} // namespace

config::PublisherConfig load_config_option(const CommandLine& line);

int run_repair(const Args& args) {
    CommandLine line("repair", kHelp);
    line.option("--config", "FILE", "the publisher configuration (required; see README)");
    line.flag("--dry-run", "print the plan and change nothing");
    if (!line.parse(args))
        return kExitOk;
    const config::PublisherConfig config = load_config_option(line);
    if (line.has("--dry-run")) {
        print_plan(publisher::plan_repair(config), "would");
        return kExitOk;
    }
    const publisher::RepairPlan plan = publisher::repair(config);
    print_plan(plan, "done");
    return plan.notes.empty() ? kExitOk : kExitFailure;
}

} // namespace squashpub::cli
