#pragma once
// Numbers as people read them, in one place: the text reports, `fmsim results`, the Pareto table
// and the GUI (gui/src/format.cpp) all format through these. No exponent notation anywhere:
// thousands separators ("178,100"), words for large counts ("300 billion"), SI prefixes on units
// ("5.87 mJ", "989 TFLOP/s"), money to the cent ("$673,400.00"), durations in the unit a person
// would pick ("9.42 ms", "12.5 min", "3.2 days") and singular or plural nouns ("1 token").
// Machine outputs (JSON, CSV, SQLite) keep full-precision numbers and never use these.
#include <string>
#include <string_view>

namespace fmsim::sim {

// `value` rounded to `significant` digits, trailing zeros dropped, thousands separated by commas;
// from a million up in words: 0.0123, 722, 178,100, 12.35 million, 300 billion, 1.2 trillion.
// "–" for NaN.
std::string format_number(double value, int significant = 4);
// A count with its noun: "1 token", "2 tokens", "0 tokens", "178,100 device-hours",
// "300 billion tokens". `plural` defaults to `singular` + "s". Exactly 1 takes the singular.
std::string format_count(double value, std::string_view singular, std::string_view plural = {});
// `value` with an SI prefix (p to P) on `unit`, 3 significant digits: "5.87 mJ", "16.2 GB",
// "989 TFLOP/s". `sub_unit`: allow m, µ, n, p (not for bytes or FLOP).
std::string format_si(double value, std::string_view unit, bool sub_unit = true, int significant = 3);
// Dollars: to the cent with separators from one cent up ("$673,400.00", "$159.80", "$0.02");
// below a cent two significant digits ("$0.0000059"), never an exponent.
std::string format_usd(double usd);
// Seconds in the unit people use: "850 ns", "410 µs", "9.42 ms", "1.42 s", "12.5 min", "3.2 h",
// "1 day", "14.6 days".
std::string format_duration(double seconds);
// Bytes, decimal as the reports (1 GB = 1e9 B): "512 MB", "16.2 GB", "1.23 TB".
std::string format_bytes(double bytes);
// A fraction as a percentage with one decimal: 0.4213 -> "42.1%", 0.42 -> "42.0%".
std::string format_percent(double fraction);
// Energy at the wall from kWh: "850 Wh", "12.3 kWh", "1.78 MWh".
std::string format_kwh(double kwh);
// CO2 from kg: "70 g", "1.3 kg", "12,340 t" (metric tonnes).
std::string format_co2_kg(double kg);

// A size in bytes as people type it: "1073741824", "1e9", "256M", "1G", "4GiB" (K, M, G, T are
// powers of 1024, as nccl-tests' -b/-e take them). Anything else is a UserError naming `option`.
double parse_bytes(const std::string& text, const std::string& option);

}  // namespace fmsim::sim
