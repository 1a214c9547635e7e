#include "cli/command_line.hpp"

#include "core/error.hpp"
#include "core/log.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>

namespace squashpub::cli {
namespace {

// squashpub's help layout: "usage: ..." and the explanatory paragraphs
// first (scripts, tests and help2man read that line), then the option
// lists CLI11 writes, then the footer.
class HelpLayout : public CLI::Formatter {
  public:
    HelpLayout(std::string usage, std::string about)
        : usage_(std::move(usage)), about_(std::move(about)) {
        column_width(30);
    }
    std::string make_description(const CLI::App*) const override { return ""; }
    std::string make_usage(const CLI::App*, std::string) const override {
        return "usage: " + usage_ + "\n" + (about_.empty() ? "" : "\n" + about_);
    }

  private:
    std::string usage_;
    std::string about_;
};

bool starts_with_dash(const std::string& arg) {
    return arg.size() > 1 && arg[0] == '-';
}

} // namespace

CommandLine::CommandLine(std::string command, HelpText help)
    : command_(std::move(command)), usage_(help.usage),
      app_(std::make_unique<CLI::App>("", "squashpub " + command_)) {
    app_->formatter(std::make_shared<HelpLayout>(help.usage, help.about));
    app_->set_help_flag("-h,--help", "print this help and exit");
    if (!help.footer.empty())
        app_->footer(help.footer);
    // Unknown options and surplus positionals are reported by
    // check_leftovers(), in squashpub's words.
    app_->allow_extras();
}

CommandLine::~CommandLine() = default;

void CommandLine::option(const std::string& name, const std::string& value_name,
                         const std::string& help) {
    options_[name] = app_->add_option(name, help)
                         ->option_text(value_name)
                         ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
                         ->group(group_);
}

void CommandLine::number(const std::string& name, const std::string& value_name, uint64_t min,
                         uint64_t max, const std::string& help) {
    option(name, value_name, help);
    ranges_[name] = {min, max};
}

void CommandLine::flag(const std::string& name, const std::string& help) {
    options_[name] = app_->add_flag(name, help)->group(group_);
    flags_.insert(name);
}

void CommandLine::positional(const std::string& name, const std::string& help) {
    positional_names_.push_back(name);
    app_->add_option(name, positional_values_.emplace_back(), help)->type_name("");
}

void CommandLine::group(const std::string& heading) {
    group_ = heading;
}

// CLI11 reads "--name=" as "--name" and takes the next argument as its
// value; squashpub gives it the empty value it spells (then refused by
// whichever option needs a non-empty one, naming it). CLI11 also reads
// "--flag=false" as "not given", which scripts could not tell from
// "--flag": a flag takes no value.
std::vector<std::string> CommandLine::normalised_args(const Args& args) const {
    std::vector<std::string> out;
    bool options_ended = false;
    for (const std::string& arg : args) {
        options_ended = options_ended || arg == "--";
        const std::string name = arg.substr(0, arg.find('='));
        if (!options_ended && name != arg && flags_.count(name))
            throw UsageError(command_, name + " takes no value");
        if (!options_ended && arg.size() > 3 && arg.back() == '=' && arg.rfind("--", 0) == 0 &&
            options_.count(arg.substr(0, arg.size() - 1))) {
            out.push_back(arg.substr(0, arg.size() - 1));
            out.emplace_back();
        } else {
            out.push_back(arg);
        }
    }
    return out;
}

bool CommandLine::parse(const Args& args) {
    // Declared last, so that help lists them after the command's own.
    group("Options");
    flag("--verbose", "more detail on stderr");
    flag("--quiet", "errors only");
    std::vector<std::string> reversed = normalised_args(args);
    std::reverse(reversed.begin(), reversed.end()); // CLI11 takes the vector back to front
    try {
        app_->parse(reversed);
    } catch (const CLI::CallForHelp&) {
        std::cout << app_->help() << std::flush;
        return false;
    } catch (const CLI::ArgumentMismatch& error) {
        // CLI11 says "--name: 1 required TYPE missing".
        const std::string what = error.what();
        throw UsageError(command_, what.substr(0, what.find(':')) + " needs a value");
    } catch (const CLI::ParseError& error) {
        throw UsageError(command_, std::string(error.what()) + " (see --help)");
    }
    check_leftovers();
    check_numbers();
    if (has("--quiet"))
        set_verbosity(Verbosity::quiet);
    if (has("--verbose"))
        set_verbosity(Verbosity::verbose);
    return true;
}

void CommandLine::check_leftovers() {
    for (size_t i = 0; i < positional_names_.size(); ++i)
        if (app_->get_option(positional_names_[i])->count())
            positionals_.push_back(positional_values_[i]);
    // What CLI11 left: before "--", a dashed word is an unknown option;
    // anything else is a positional beyond the declared ones.
    size_t surplus = 0;
    bool options_ended = false;
    for (const std::string& arg : app_->remaining()) {
        if (arg == "--") {
            options_ended = true;
            continue;
        }
        if (!options_ended && starts_with_dash(arg))
            throw UsageError(command_,
                             "unknown option " + arg.substr(0, arg.find('=')) + " (see --help)");
        ++surplus;
    }
    const size_t given = positionals_.size() + surplus;
    if (given != positional_names_.size())
        throw UsageError(command_, "expected " + std::to_string(positional_names_.size()) +
                                       " arguments, got " + std::to_string(given) +
                                       "\nusage: " + usage_);
}

void CommandLine::check_numbers() const {
    for (const auto& [name, range] : ranges_)
        number(name);
}

CLI::Option* CommandLine::declared(const std::string& name) const {
    auto it = options_.find(name);
    if (it == options_.end())
        throw std::logic_error(command_ + ": option " + name + " is not declared");
    return it->second;
}

std::optional<std::string> CommandLine::value(const std::string& name) const {
    const std::vector<std::string>& all = declared(name)->results();
    if (all.empty())
        return std::nullopt;
    return all.back();
}

std::vector<std::string> CommandLine::values(const std::string& name) const {
    return declared(name)->results();
}

bool CommandLine::has(const std::string& name) const {
    return declared(name)->count() > 0;
}

std::optional<uint64_t> CommandLine::number(const std::string& name) const {
    auto text = value(name);
    if (!text)
        return std::nullopt;
    const auto [min, max] = ranges_.at(name);
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

void add_jobs_option(CommandLine& line, const std::string& help) {
    line.number("--jobs", "N", 1, 256, help);
}

unsigned jobs_option(const CommandLine& line) {
    return static_cast<unsigned>(line.number("--jobs").value_or(0));
}

} // namespace squashpub::cli
