#pragma once
// A small command-line parser for the subcommands: "--name VALUE",
// "--name=VALUE", boolean "--name", positionals, and "--" to end options
// (file names may start with a dash). Unknown options are usage errors.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace squashpub::cli {

struct OptionSpec {
    std::set<std::string> with_value; // e.g. "--config"
    std::set<std::string> switches;   // e.g. "--verbose"
};

class ParsedOptions {
  public:
    ParsedOptions(const std::string& command, const std::vector<std::string>& args,
                  const OptionSpec& spec);

    std::optional<std::string> value(const std::string& name) const; // the last one given
    std::vector<std::string> values(const std::string& name) const;  // every one, in order
    bool has(const std::string& name) const;
    // Unsigned integer value of an option, with the range in the error.
    std::optional<uint64_t> number(const std::string& name, uint64_t min, uint64_t max) const;
    const std::vector<std::string>& positionals() const { return positionals_; }
    // Throws a usage error unless there are exactly count positionals.
    void expect_positionals(size_t count, const std::string& usage) const;

  private:
    std::string command_;
    std::map<std::string, std::string> values_;
    std::map<std::string, std::vector<std::string>> every_value_;
    std::set<std::string> switches_;
    std::vector<std::string> positionals_;
};

// --jobs N (1 to 256); 0 when absent, meaning one per core.
unsigned jobs_option(const ParsedOptions& options);

// The options every subcommand takes: --verbose and --quiet.
void add_common_options(OptionSpec& spec);
void apply_common_options(const ParsedOptions& options);

} // namespace squashpub::cli
