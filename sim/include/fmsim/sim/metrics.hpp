#pragma once
// The output metrics of a run, each declared once (metrics.cpp, as gem5's ADD_STAT declares a stat
// with its unit and description): its canonical name, unit, scope, better direction, description
// and the accessor that reads it from a RunReport. Everything that shows or stores a metric
// iterates this table: the text report, the report JSON (its "metrics" object and the nested
// legacy keys), `fmsim results` (table, CSV, JSON), the SQLite columns, `--pareto` names, and the
// GUI's cards, chart pickers and compare table. Adding a metric is one row in metrics.cpp.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fmsim::sim {

struct RunReport;

// What a metric's number is in, which also picks how people read it (format.hpp).
enum class MetricUnit {
    seconds,        // format_duration
    bytes,          // format_bytes (decimal GB)
    joules,         // SI prefixes on J
    kwh,            // energy at the wall: Wh with SI prefixes
    usd,            // money to the cent
    kg_co2,         // g, kg or t
    tokens_per_s,   // "12,350 tokens/s"
    samples_per_s,  // "5.64 samples/s"
    tokens_per_j,   // "1,234 tokens/J"
    flop,           // SI prefixes on FLOP
    tflop_per_s,    // stored in TFLOP/s; shown with SI prefixes on FLOP/s
    fraction,       // 0..1, shown as a percentage
    days,           // stored in days; shown as a duration
    count,          // a number of `Metric::noun`, singular or plural
    flag,           // 1 = yes, 0 = no (JSON true/false)
};

// What one value of the metric covers; the text report prints it next to the value, so a step's
// cost is never mistaken for the training run's.
enum class MetricScope {
    none,         // a rate or a property of the model
    per_batch,    // one pass of the scenario's batch (inference), one optimizer step (training)
    per_request,  // what each request of the batch sees
    per_token,
    per_sample,
    per_device,
    per_step,     // one optimizer step
    per_run,      // the whole training run (the scenario's training.tokens)
};

enum class Better { lower, higher, neither };

struct Metric {
    std::string_view name;         // canonical: "metrics" key in the report JSON, CSV/SQLite column, --pareto name
    std::string_view report_path;  // where the report JSON also had it before the "metrics" object ("energy.per_token_j"); may be empty
    std::string_view label;        // for people: "energy per token"
    MetricUnit unit;
    MetricScope scope;
    Better better;
    std::string_view description;
    std::optional<double> (*value)(const RunReport&);  // none where it does not apply (null in JSON)
    bool headline = false;         // a summary figure: a card in the GUI, a column of `fmsim results`
    std::string_view noun = {};    // MetricUnit::count: "token" (plural adds an s)
    std::string_view plural = {};  // when not noun + "s"
    std::string_view when_absent = {};  // the text report's line when it has no value; empty: no line
    bool text_hides_zero = false;  // the text report leaves out a value of 0 (memory over capacity)
};

// Every metric, in report order. Names are unique (a unit test checks).
std::span<const Metric> metric_table();
// By canonical name, or by its legacy report path ("energy.per_token_j" finds energy_per_token_j);
// null when neither.
const Metric* find_metric(std::string_view name_or_path);
// The index of `m` in metric_table().
std::size_t metric_index(const Metric& m);
// The canonical names, in table order (for did-you-mean).
std::vector<std::string> metric_names();

// A value as people read it ("5.87 mJ", "$159.80", "42.1%", "1 token"); "–" for none.
std::string format_metric(const Metric& m, std::optional<double> value);
// "per step" / "per training run" / ...; per_batch reads "per step" in a training run. Empty for none.
std::string scope_text(MetricScope scope, bool training);
std::string_view to_string(MetricUnit unit);
std::string_view to_string(Better better);

// One value per metric_table() entry, read from a report JSON: its "metrics" object, else (a
// report written before it had one) the metric's report_path. Unparseable text gives all none.
std::vector<std::optional<double>> metric_values_from_report(const std::string& report_json);

// docs/cli.md "Metrics": a Markdown table of every metric (`fmsim docs metrics`).
std::string metrics_reference_markdown();

}  // namespace fmsim::sim
