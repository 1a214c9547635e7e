#include "cli/options.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

namespace squashpub::cli {

ParsedOptions::ParsedOptions(const std::string& command, const std::vector<std::string>& args,
                             const OptionSpec& spec)
    : command_(command) {
    bool options_ended = false;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (options_ended || arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
            positionals_.push_back(arg);
            continue;
        }
        if (arg == "--") {
            options_ended = true;
            continue;
        }
        const size_t equals = arg.find('=');
        const std::string name = arg.substr(0, equals);
        if (spec.switches.count(name)) {
            if (equals != std::string::npos)
                throw UsageError(command_, name + " takes no value");
            switches_.insert(name);
        } else if (spec.with_value.count(name)) {
            if (equals != std::string::npos)
                values_[name] = arg.substr(equals + 1);
            else if (i + 1 < args.size())
                values_[name] = args[++i];
            else
                throw UsageError(command_, name + " needs a value");
            every_value_[name].push_back(values_[name]);
        } else {
            throw UsageError(command_, "unknown option " + name + " (see --help)");
        }
    }
}

std::optional<std::string> ParsedOptions::value(const std::string& name) const {
    auto it = values_.find(name);
    if (it == values_.end())
        return std::nullopt;
    return it->second;
}

std::vector<std::string> ParsedOptions::values(const std::string& name) const {
    auto it = every_value_.find(name);
    return it == every_value_.end() ? std::vector<std::string>{} : it->second;
}

bool ParsedOptions::has(const std::string& name) const {
    return switches_.count(name) > 0;
}

std::optional<uint64_t> ParsedOptions::number(const std::string& name, uint64_t min,
                                              uint64_t max) const {
    auto text = value(name);
    if (!text)
        return std::nullopt;
    const std::string expected =
        name + " expects an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (text->empty() || text->find_first_not_of("0123456789") != std::string::npos ||
        text->size() > 19)
        throw UsageError(command_, expected + ", got '" + *text + "'");
    const uint64_t n = std::stoull(*text);
    if (n < min || n > max)
        throw UsageError(command_, expected + ", got " + *text);
    return n;
}

void ParsedOptions::expect_positionals(size_t count, const std::string& usage) const {
    if (positionals_.size() != count)
        throw UsageError(command_, "expected " + std::to_string(count) + " arguments, got " +
                                       std::to_string(positionals_.size()) + "\nusage: " + usage);
}

unsigned jobs_option(const ParsedOptions& options) {
    return static_cast<unsigned>(options.number("--jobs", 1, 256).value_or(0));
}

void add_common_options(OptionSpec& spec) {
    spec.switches.insert({"--verbose", "--quiet"});
}

void apply_common_options(const ParsedOptions& options) {
    if (options.has("--quiet"))
        set_verbosity(Verbosity::quiet);
    if (options.has("--verbose"))
        set_verbosity(Verbosity::verbose);
}

} // namespace squashpub::cli
