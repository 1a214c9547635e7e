#include "core/duration.hpp"

#include "core/error.hpp"

#include <array>
#include <cstdint>
#include <limits>

namespace squashpub {
namespace {

struct Unit {
    char letter;
    std::int64_t seconds;
};

// Largest first: format_duration spells a value greedily in this order.
constexpr std::array<Unit, 5> kUnits{
    {{'w', 604800}, {'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

const Unit* find_unit(char letter) {
    for (const Unit& unit : kUnits)
        if (unit.letter == letter)
            return &unit;
    return nullptr;
}

[[noreturn]] void refuse(const std::string& text, const std::string& where,
                         const std::string& why) {
    throw UsageError(where, "'" + text + "' is not a duration (" + why +
                                "; write a number and a unit: 90m, 36h, 7d)");
}

} // namespace

std::chrono::seconds parse_duration(const std::string& text, const std::string& where) {
    if (text.empty())
        refuse(text, where, "empty");
    constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / 2;
    std::int64_t total = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::int64_t number = 0;
        const std::size_t digits_start = pos;
        for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
            number = number * 10 + (text[pos] - '0');
            if (number > kMax)
                refuse(text, where, "too large");
        }
        if (pos == digits_start)
            refuse(text, where, "expected a number");
        if (pos == text.size())
            refuse(text, where, "missing unit after " + text.substr(digits_start));
        const Unit* unit = find_unit(text[pos]);
        if (unit == nullptr)
            refuse(text, where, std::string("unknown unit '") + text[pos] + "'");
        ++pos;
        if (number > (kMax - total) / unit->seconds)
            refuse(text, where, "too large");
        total += number * unit->seconds;
    }
    if (total == 0)
        refuse(text, where, "must be longer than zero");
    return std::chrono::seconds(total);
}

std::string format_duration(std::chrono::seconds duration) {
    std::int64_t left = duration.count();
    if (left <= 0)
        return "0s";
    std::string text;
    for (const Unit& unit : kUnits) {
        // Weeks only when exact, so 14d prints as 2w but 10d stays 10d.
        if (unit.letter == 'w' && left % unit.seconds != 0)
            continue;
        if (left >= unit.seconds) {
            text += std::to_string(left / unit.seconds) + unit.letter;
            left %= unit.seconds;
        }
    }
    return text;
}

} // namespace squashpub
