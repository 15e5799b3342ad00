#pragma once
// Quantities as people read them. The formatting itself is sim's (fmsim/sim/format.hpp), so the
// GUI and the text report print the same number the same way; report metrics format by their
// declaration in the metric table (formatMetric). Cards, tables and tests format with these.
#include <QString>

namespace fmsim::sim {
struct Metric;
}

namespace fmsim::gui {

enum class Unit {
    seconds,           // 1.42 s, 222 ms, 9.42 ms, 410 µs, 12.5 min, 3.2 days
    bytes,             // decimal: 16.2 GB (1e9 B, as the reports)
    joules,            // 531 J, 1.1 kJ
    usd,               // to the cent: $1,234.50; below a cent $0.0013
    co2_kg,            // from kg: 70 g, 1.3 kg, 12 t
    tokens_per_s,      // 12,350 tokens/s
    samples_per_s,     // 5.64 samples/s
    flops_per_s,       // 989 TFLOP/s
    bytes_per_s,       // 3.35 TB/s
    flops_per_byte,    // 295 FLOP/B
    watts,             // 700 W
    megahertz,         // 1,470 MHz (clocks: four digits, no prefix)
    plain,             // 3 significant digits, thousands separators, words from a million
};

// "–" for NaN (a value that does not apply).
QString formatQuantity(double value, Unit unit);
// A report metric's value as its declaration says (sim::format_metric); "–" for NaN.
QString formatMetric(const sim::Metric& metric, double value);
// `value` to `digits` significant digits, without exponent notation for everyday magnitudes.
QString formatSignificant(double value, int digits = 3);
// Signed relative change, "+12.3%"; "–" when the base is 0 or either is NaN.
QString formatPercentDelta(double from, double to);

}  // namespace fmsim::gui
