#pragma once
// The subcommands' command lines, declared through CLI11: each command
// names its options, their value names and help lines, and CLI11 parses
// ("--name VALUE", "--name=VALUE", "--" ending options) and writes the
// option list of --help from the same declarations, so help and parser
// cannot drift. This adapter adds what every subcommand shares: the usage
// line and paragraphs around the option list, --verbose and --quiet,
// repeatable options read in order, integer ranges and the exact number of
// positionals, with usage errors (exit 2) that name the option.

#include "cli/commands.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
class Option;
} // namespace CLI

namespace squashpub::cli {

struct HelpText {
    std::string usage;  // "squashpub status --config FILE"
    std::string about;  // the paragraphs before the option list
    std::string footer; // the paragraphs after it (may be empty)
};

class CommandLine {
  public:
    CommandLine(std::string command, HelpText help);
    ~CommandLine();
    CommandLine(const CommandLine&) = delete;
    CommandLine& operator=(const CommandLine&) = delete;

    // An option with a value; repeatable, value() is the last one given.
    void option(const std::string& name, const std::string& value_name, const std::string& help);
    // An option with an unsigned integer value from min to max.
    void number(const std::string& name, const std::string& value_name, uint64_t min, uint64_t max,
                const std::string& help);
    void flag(const std::string& name, const std::string& help);
    void positional(const std::string& name, const std::string& help);
    // Options declared from here on are listed under this heading in --help.
    void group(const std::string& heading);

    // False when --help was asked for (and printed to stdout). Throws
    // UsageError on unknown options, missing values, bad numbers and a
    // wrong number of positionals; applies --verbose and --quiet.
    bool parse(const Args& args);

    std::optional<std::string> value(const std::string& name) const;
    std::vector<std::string> values(const std::string& name) const; // every one, in order
    bool has(const std::string& name) const;
    std::optional<uint64_t> number(const std::string& name) const;
    const std::vector<std::string>& positionals() const { return positionals_; }

  private:
    CLI::Option* declared(const std::string& name) const;
    std::vector<std::string> normalised_args(const Args& args) const;
    void check_leftovers();
    void check_numbers() const;

    std::string command_;
    std::string usage_;
    std::unique_ptr<CLI::App> app_;
    std::string group_ = "Options";
    std::map<std::string, CLI::Option*> options_;
    std::map<std::string, std::pair<uint64_t, uint64_t>> ranges_;
    std::set<std::string> flags_;
    std::vector<std::string> positional_names_;
    std::deque<std::string> positional_values_; // CLI11 fills these; a deque keeps them in place
    std::vector<std::string> positionals_;
};

// --jobs N (1 to 256); 0 when absent, meaning one per core.
void add_jobs_option(CommandLine& line, const std::string& help);
unsigned jobs_option(const CommandLine& line);

} // namespace squashpub::cli
