// Numbers as people read them (format.hpp).
#include "fmsim/sim/format.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <stdexcept>

#include "fmsim/workloads/errors.hpp"

namespace fmsim::sim {

namespace {

const std::string kNotApplicable = "–";

// `value` rounded to `significant` digits (half away from zero).
double round_significant(double value, int significant) {
    if (value == 0 || !std::isfinite(value)) return value;
    const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(value))));
    const double scale = std::pow(10.0, significant - 1 - magnitude);
    return std::round(value * scale) / scale;
}

// The decimals that show `significant` digits of an already rounded `value`.
int decimals_for(double value, int significant) {
    if (value == 0) return 0;
    const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(value))));
    return std::max(0, significant - 1 - magnitude);
}

// "-1234567.5" -> "-1,234,567.5": a comma between each group of three digits of the integer part.
std::string group_thousands(const std::string& s) {
    const std::size_t start = !s.empty() && s[0] == '-' ? 1 : 0;
    std::size_t end = s.find('.');
    if (end == std::string::npos) end = s.size();
    std::string out = s.substr(0, start);
    for (std::size_t i = start; i < end; ++i) {
        out += s[i];
        const std::size_t left = end - i - 1;
        if (left > 0 && left % 3 == 0) out += ',';
    }
    return out + s.substr(end);
}

// "1234567.50" -> "1,234,567.5": separators in the integer part, trailing decimal zeros dropped.
std::string tidy(std::string s) {
    if (const auto dot = s.find('.'); dot != std::string::npos) {
        while (s.back() == '0') s.pop_back();
        if (s.back() == '.') s.pop_back();
    }
    return group_thousands(s);
}

std::string fixed(double value, int decimals) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
    return buf;
}

std::string plain(double value, int significant) {
    const double r = round_significant(value, significant);
    return tidy(fixed(r, decimals_for(r, significant)));
}

struct Prefix {
    double scale;
    const char* symbol;
};
constexpr Prefix kPrefixes[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"},  {1e3, "k"},  {1, ""},
                                {1e-3, "m"}, {1e-6, "µ"}, {1e-9, "n"}, {1e-12, "p"}};

struct Word {
    double scale;
    const char* name;
};
constexpr Word kWords[] = {{1e12, "trillion"}, {1e9, "billion"}, {1e6, "million"}};

}  // namespace

std::string format_number(double value, int significant) {
    if (std::isnan(value)) return kNotApplicable;
    if (std::isinf(value)) return value > 0 ? "infinite" : "-infinite";
    const double r = round_significant(value, significant);
    for (const Word& w : kWords)
        if (std::fabs(r) >= w.scale) return plain(r / w.scale, significant) + " " + w.name;
    return plain(r, significant);
}

std::string format_count(double value, std::string_view singular, std::string_view plural) {
    if (std::isnan(value)) return kNotApplicable;
    const bool one = round_significant(value, 4) == 1;
    const std::string noun = one ? std::string(singular) : plural.empty() ? std::string(singular) + "s" : std::string(plural);
    return format_number(value) + " " + noun;
}

std::string format_si(double value, std::string_view unit, bool sub_unit, int significant) {
    if (std::isnan(value)) return kNotApplicable;
    const double a = std::fabs(value);
    if (a == 0) return "0 " + std::string(unit);
    std::size_t chosen = 0;
    for (std::size_t i = 0; i < std::size(kPrefixes); ++i) {
        if (!sub_unit && kPrefixes[i].scale < 1) break;
        chosen = i;
        if (a >= kPrefixes[i].scale) break;
    }
    // 999.7 ms rounds to 1000 ms: one prefix up instead.
    if (chosen > 0 && std::fabs(round_significant(value / kPrefixes[chosen].scale, significant)) >= 1000) --chosen;
    return plain(value / kPrefixes[chosen].scale, significant) + " " + kPrefixes[chosen].symbol + std::string(unit);
}

std::string format_usd(double usd) {
    if (std::isnan(usd)) return kNotApplicable;
    const std::string sign = usd < 0 ? "-" : "";
    const double a = std::fabs(usd);
    if (a == 0) return "$0.00";
    if (a < 0.01) return sign + "$" + plain(a, 2);
    return sign + "$" + group_thousands(fixed(std::round(a * 100) / 100, 2));  // to the cent
}

std::string format_duration(double seconds) {
    if (std::isnan(seconds)) return kNotApplicable;
    const double a = std::fabs(seconds);
    constexpr double kMinute = 60, kHour = 3600, kDay = 86400;
    if (a < 60) return format_si(seconds, "s", true, 3);
    // A rounded "60 min" or "24 h" moves up a unit.
    if (std::fabs(round_significant(seconds / kMinute, 3)) < 60) return plain(seconds / kMinute, 3) + " min";
    if (std::fabs(round_significant(seconds / kHour, 3)) < 24) return plain(seconds / kHour, 3) + " h";
    return format_count(round_significant(seconds / kDay, 3), "day");
}

std::string format_bytes(double bytes) { return format_si(bytes, "B", false, 3); }

std::string format_percent(double fraction) {
    if (std::isnan(fraction)) return kNotApplicable;
    return group_thousands(fixed(fraction * 100, 1)) + "%";  // one decimal always: columns line up
}

std::string format_kwh(double kwh) { return format_si(kwh * 1e3, "Wh", true, 3); }

std::string format_co2_kg(double kg) {
    if (std::isnan(kg)) return kNotApplicable;
    const double a = std::fabs(kg);
    if (a >= 1e3) return format_number(kg / 1e3, 4) + " t";  // metric tonnes
    if (a >= 1) return plain(kg, 3) + " kg";
    return plain(kg * 1e3, 3) + " g";
}

double parse_bytes(const std::string& text, const std::string& option) {
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    const std::string unit = text.substr(used);
    double scale = 1;
    if (!unit.empty()) {
        const char u = static_cast<char>(std::toupper(static_cast<unsigned char>(unit[0])));
        const std::string rest = unit.substr(1);
        const bool suffix_ok = rest.empty() || rest == "B" || rest == "iB";
        scale = u == 'K' ? 0x1p10 : u == 'M' ? 0x1p20 : u == 'G' ? 0x1p30 : u == 'T' ? 0x1p40 : u == 'B' && rest.empty() ? 1 : 0;
        if (!suffix_ok) scale = 0;
    }
    if (used == 0 || scale == 0 || !(v >= 0) || !std::isfinite(v))
        throw UserError(option + ": expected a size in bytes such as 1073741824, 1e9, 256M or 1G (K/M/G/T = 2^10/20/30/40), got '" +
                        text + "'");
    return v * scale;
}

}  // namespace fmsim::sim
