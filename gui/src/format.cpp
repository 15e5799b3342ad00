#include "format.hpp"

#include <cmath>

#include "fmsim/sim/format.hpp"
#include "fmsim/sim/metrics.hpp"

namespace fmsim::gui {

namespace {
const QString kNotApplicable = QStringLiteral("–");
QString q(const std::string& s) { return QString::fromStdString(s); }
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
        case Unit::seconds: return q(sim::format_duration(value));
        case Unit::bytes: return q(sim::format_bytes(value));
        case Unit::joules: return q(sim::format_si(value, "J"));
        case Unit::usd: return q(sim::format_usd(value));
        case Unit::co2_kg: return q(sim::format_co2_kg(value));
        case Unit::tokens_per_s: return q(sim::format_number(value)) + " tokens/s";
        case Unit::samples_per_s: return q(sim::format_number(value)) + " samples/s";
        case Unit::flops_per_s: return q(sim::format_si(value, "FLOP/s", false));
        case Unit::bytes_per_s: return q(sim::format_si(value, "B/s", false));
        case Unit::flops_per_byte: return q(sim::format_number(value, 3)) + " FLOP/B";
        case Unit::watts: return q(sim::format_si(value, "W"));
        case Unit::megahertz: return q(sim::format_number(value, 4)) + " MHz";
        case Unit::plain: return q(sim::format_number(value, 3));
    }
    return formatSignificant(value);
}

QString formatMetric(const sim::Metric& metric, double value) {
    if (std::isnan(value)) return kNotApplicable;
    return q(sim::format_metric(metric, value));
}

QString formatPercentDelta(double from, double to) {
    if (std::isnan(from) || std::isnan(to) || from == 0) return kNotApplicable;
    const double pct = (to - from) / std::fabs(from) * 100;
    return (pct >= 0 ? "+" : "") + QString::number(pct, 'f', std::fabs(pct) < 10 ? 2 : 1) + "%";
}

}  // namespace fmsim::gui
