#include "core/utc_time.hpp"

#include <cstdio>

namespace squashpub {

UtcTime utc_now() {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

std::string format_utc(UtcTime time) {
    using namespace std::chrono;
    const sys_days day = floor<days>(time);
    const year_month_day date{day};
    const hh_mm_ss clock{time - day};
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", int(date.year()),
                  unsigned(date.month()), unsigned(date.day()), long(clock.hours().count()),
                  long(clock.minutes().count()), long(clock.seconds().count()));
    return text;
}

std::optional<UtcTime> parse_utc(const std::string& text) {
    using namespace std::chrono;
    // Fixed layout: digits at fixed places, separators checked one by one.
    static constexpr char kLayout[] = "dddd-dd-ddTdd:dd:ddZ";
    if (text.size() != sizeof kLayout - 1)
        return std::nullopt;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const bool digit = text[i] >= '0' && text[i] <= '9';
        if (kLayout[i] == 'd' ? !digit : text[i] != kLayout[i])
            return std::nullopt;
    }
    auto number = [&](std::size_t at, std::size_t length) {
        int value = 0;
        for (std::size_t i = at; i < at + length; ++i)
            value = value * 10 + (text[i] - '0');
        return value;
    };
    const year_month_day date{year{number(0, 4)}, month{unsigned(number(5, 2))},
                              day{unsigned(number(8, 2))}};
    const int hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
    if (!date.ok() || hour > 23 || minute > 59 || second > 59)
        return std::nullopt;
    return sys_days{date} + hours{hour} + minutes{minute} + seconds{second};
}

} // namespace squashpub
