#include "format.hpp"

#include <cmath>
#include <iterator>

namespace fmsim::gui {

namespace {
const QString kNotApplicable = QStringLiteral("–");

struct Prefix {
    double scale;
    const char* symbol;
};

// SI prefixes from tera down to nano; values outside fall back to the nearest end.
constexpr Prefix kPrefixes[] = {{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"},
                                {1, ""},     {1e-3, "m"}, {1e-6, "µ"}, {1e-9, "n"}};

QString withPrefix(double value, const QString& unit, bool allowSubUnit) {
    const double a = std::fabs(value);
    if (a == 0) return "0 " + unit;
    std::size_t chosen = 0;
    for (std::size_t i = 0; i < std::size(kPrefixes); ++i) {
        if (!allowSubUnit && kPrefixes[i].scale < 1) break;
        chosen = i;
        if (a >= kPrefixes[i].scale) break;
    }
    // 999.7 ms rounds to "1000 ms": move up one prefix instead.
    if (chosen > 0 && std::fabs(formatSignificant(value / kPrefixes[chosen].scale).toDouble()) >= 1000) --chosen;
    return formatSignificant(value / kPrefixes[chosen].scale) + " " + kPrefixes[chosen].symbol + unit;
}
}  // namespace

QString formatSignificant(double value, int digits) {
    if (std::isnan(value)) return kNotApplicable;
    if (value == 0) return QStringLiteral("0");
    const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(value))));
    const int decimals = std::max(0, digits - 1 - magnitude);
    return QString::number(value, 'f', decimals);
}

QString formatQuantity(double value, Unit unit) {
    if (std::isnan(value)) return kNotApplicable;
    switch (unit) {
        case Unit::seconds: return withPrefix(value, "s", true);
        case Unit::bytes: return withPrefix(value, "B", false);
        case Unit::joules: return withPrefix(value, "J", true);
        case Unit::usd: return "$" + formatSignificant(value);
        case Unit::co2_kg: {
            const double a = std::fabs(value);
            if (a >= 1e3) return formatSignificant(value / 1e3) + " t";  // metric tonnes
            if (a >= 1) return formatSignificant(value) + " kg";
            return formatSignificant(value * 1e3) + " g";
        }
        case Unit::tokens_per_s: return withPrefix(value, "tokens/s", false);
        case Unit::samples_per_s: return withPrefix(value, "samples/s", false);
        case Unit::flops_per_s: return withPrefix(value, "FLOP/s", false);
        case Unit::bytes_per_s: return withPrefix(value, "B/s", false);
        case Unit::flops_per_byte: return formatSignificant(value) + " FLOP/B";
        case Unit::watts: return withPrefix(value, "W", true);
        case Unit::megahertz: return formatSignificant(value, 4) + " MHz";
        case Unit::plain: return withPrefix(value, "", false).trimmed();
    }
    return formatSignificant(value);
}

QString formatPercentDelta(double from, double to) {
    if (std::isnan(from) || std::isnan(to) || from == 0) return kNotApplicable;
    const double pct = (to - from) / std::fabs(from) * 100;
    return (pct >= 0 ? "+" : "") + QString::number(pct, 'f', std::fabs(pct) < 10 ? 2 : 1) + "%";
}

}  // namespace fmsim::gui
