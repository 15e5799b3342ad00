#pragma once
// Quantities as people read them: three significant digits and an SI prefix on a unit. Cards,
// tables and tests format with these same functions.
#include <QString>

namespace fmsim::gui {

enum class Unit {
    seconds,           // 1.42 s, 222 ms, 9.42 ms, 410 us
    bytes,             // decimal: 16.2 GB (1e9 B, as the reports)
    joules,            // 531 J, 1.10 kJ
    usd,               // $0.0130
    co2_kg,            // from kg: 0.0700 g, 1.30 kg, 12.0 t
    tokens_per_s,      // 722 tokens/s
    samples_per_s,     // 5.64 samples/s
    flops_per_s,       // 989 TFLOP/s
    bytes_per_s,       // 3.35 TB/s
    flops_per_byte,    // 295 FLOP/B
    watts,             // 700 W
    megahertz,         // 1470 MHz (clocks: four digits, no prefix)
    plain,             // 3 significant digits, SI prefix, no unit
};

// "–" for NaN (a value that does not apply).
QString formatQuantity(double value, Unit unit);
// `value` to `digits` significant digits, without exponent notation for everyday magnitudes.
QString formatSignificant(double value, int digits = 3);
// Signed relative change, "+12.3%"; "–" when the base is 0 or either is NaN.
QString formatPercentDelta(double from, double to);

}  // namespace fmsim::gui
