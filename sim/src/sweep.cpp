// Sweep files, point expansion, report metrics and the Pareto front: the pure parts of `fmsim
// sweep` (the runner is sweep_run.cpp).
#include "fmsim/sim/sweep.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/sim/metrics.hpp"
#include "fmsim/sim/scenario.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::sim {

using namespace workloads;
using ojson = nlohmann::ordered_json;

namespace {

struct SweepFields {
    std::string name, description, base, mode;
    std::vector<SweepAxis> axes;  // sorted by path here; load_sweep restores the file's order
};

const SchemaDoc* find_doc(const std::vector<SchemaDoc>& docs, const std::string& name) {
    for (const auto& d : docs)
        if (d.name == name) return &d;
    return nullptr;
}

std::vector<std::string> doc_keys(const SchemaDoc& d) {
    std::vector<std::string> keys;
    for (const auto& f : d.fields)
        if (f.type != "renamed") keys.push_back(f.key);  // a renamed key is no longer a key to suggest
    return keys;
}

std::vector<std::string> split_path(const std::string& path) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (true) {
        const auto dot = path.find('.', start);
        out.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        if (dot == std::string::npos) return out;
        start = dot + 1;
    }
}

// `segment` must be a key of `doc`; else an error at `at` with a did-you-mean.
void require_key(const SchemaDoc& doc, const std::string& segment, const std::string& path, const ConfigContext& at) {
    const auto keys = doc_keys(doc);
    if (std::find(keys.begin(), keys.end(), segment) != keys.end()) return;
    const std::string hint = did_you_mean(segment, keys);
    at.fail("'" + path + "': unknown key '" + segment + "' for " + doc.name +
            (hint.empty() ? "" : " (did you mean '" + hint + "'?)"));
}

// An axis must name a scenario key: its first segment a key of `scenario`, nested segments keys
// of the sub-objects the project declares (system, parallelism, cost, precision classes, and the
// hardware sections under hardware_overrides). Free-form parts (an inline model, dtype tables)
// are checked when each point's scenario is loaded.
void check_axis_path(const std::string& path, const ConfigContext& at) {
    const auto segs = split_path(path);
    for (const auto& s : segs)
        if (s.empty())
            at.fail("'" + path + "': expected a scenario key path such as \"batch\" or "
                    "\"hardware_overrides.memory.bandwidth_gb_per_s\"");
    const auto docs = scenario_schema_docs();
    require_key(docs.front(), segs[0], path, at);
    if (segs.size() == 1) return;
    if (const SchemaDoc* sub = find_doc(docs, "scenario." + segs[0])) {
        require_key(*sub, segs[1], path, at);
        if (segs.size() > 2) at.fail("'" + path + "': " + sub->name + "." + segs[1] + " is not an object");
        return;
    }
    if (segs[0] == "precision") {
        const std::vector<std::string> classes{"weights", "activations", "kv_cache", "math"};
        if (std::find(classes.begin(), classes.end(), segs[1]) == classes.end() || segs.size() > 2) {
            const std::string hint = did_you_mean(segs[1], classes);
            at.fail("'" + path + "': expected precision.weights, .activations, .kv_cache or .math" +
                    (hint.empty() ? "" : " (did you mean 'precision." + hint + "'?)"));
        }
        return;
    }
    if (segs[0] == "hardware_overrides") {
        const auto hw_docs = hwmodels::hardware_schema_docs();
        std::string prefix = "hardware";
        for (std::size_t i = 1; i < segs.size(); ++i) {
            const SchemaDoc* d = find_doc(hw_docs, prefix);
            if (!d) return;  // a free-form table (dense_flops_per_cycle.bf16, ...) or a list
            require_key(*d, segs[i], path, at);
            prefix += "." + segs[i];
        }
        return;
    }
    if (segs[0] == "model" || segs[0] == "hardware") return;  // an inline object's fields
    at.fail("'" + path + "': scenario key '" + segs[0] + "' is not an object, so it has no '" + segs[1] + "'");
}

void read_axes(SweepFields& f, const json& j, const ConfigContext& at) {
    if (!j.is_object()) at.fail("expected an object from scenario key path to a list of values, got " + json_type_name(j));
    if (j.empty()) at.fail("expected at least one axis, e.g. {\"batch\": [1, 8, 32]}");
    for (auto it = j.begin(); it != j.end(); ++it) {
        const ConfigContext here = at.at(it.key());
        check_axis_path(it.key(), here);
        const json& v = it.value();
        if (!v.is_array() || v.empty())
            here.fail("expected a non-empty list of values, got " + (v.is_array() ? "[]" : json_type_name(v)));
        SweepAxis axis{it.key(), {}};
        for (std::size_t i = 0; i < v.size(); ++i) axis.values.push_back(v[i].dump());
        f.axes.push_back(std::move(axis));
    }
}

const Schema<SweepFields>& sweep_schema() {
    static const auto s = [] {
        Schema<SweepFields> s("sweep", "A design-space sweep (`fmsim sweep FILE`, docs/scenarios.md \"Sweeps and "
                                       "results\"): a base scenario and axes of scenario keys. Each point is the base "
                                       "with one `--set path=value` per axis.");
        s.string("name", &SweepFields::name, std::nullopt,
                 "The name its results are stored under in the results database; a rerun skips the points stored "
                 "under it.")
            .string("description", &SweepFields::description, "", "What the sweep asks.")
            .string("base", &SweepFields::base, std::nullopt,
                    "The scenario file every point starts from, relative to the sweep file.")
            .custom("axes", "object: key path -> list of values", "required",
                    "Each key is a scenario key path as `--set` takes it (\"batch\", \"precision\", "
                    "\"hardware_overrides.memory.bandwidth_gb_per_s\"); its value the non-empty list of values it "
                    "takes (any JSON: numbers, strings, objects).",
                    read_axes, nullptr)
            .choice("mode", &SweepFields::mode, {"product", "zip"}, "product",
                    "product: every combination of the axes' values (the last axis varies fastest); zip: the i-th "
                    "values of all axes together (all axes must have the same length).");
        return s;
    }();
    return s;
}

ojson read_ordered(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw ConfigError(path, "", "cannot open the file");
    try {
        return ojson::parse(in);
    } catch (const ojson::parse_error& e) {
        throw ConfigError(path, "", std::string("invalid JSON: ") + e.what());
    }
}

std::string value_label(const std::string& json_text) {
    const json v = json::parse(json_text);
    return v.is_string() ? v.get<std::string>() : v.dump();
}

// The JSON value at a dotted path; null when a segment is missing.
const json* value_at(const json& root, const std::string& dotted) {
    const json* node = &root;
    for (const auto& seg : split_path(dotted)) {
        if (!node->is_object()) return nullptr;
        const auto it = node->find(seg);
        if (it == node->end()) return nullptr;
        node = &*it;
    }
    return node;
}

void collect_paths(const json& j, const std::string& prefix, std::vector<std::string>& out) {
    if (j.is_object()) {
        for (auto it = j.begin(); it != j.end(); ++it)
            collect_paths(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    } else if ((j.is_number() || j.is_null()) && !prefix.empty()) {
        out.push_back(prefix);
    }
}

}  // namespace

SweepSpec load_sweep(const std::string& path) {
    const ojson ordered = read_ordered(path);
    const ConfigContext ctx{path, ""};
    if (!ordered.is_object()) ctx.fail("expected an object, got " + json_type_name(json::parse(ordered.dump())));
    const json j = json::parse(ordered.dump());
    auto f = sweep_schema().parse(j, ctx);

    SweepSpec spec;
    spec.file = path;
    spec.name = f.name;
    spec.description = f.description;
    spec.base = f.base;
    spec.mode = f.mode == "zip" ? SweepMode::zip : SweepMode::product;
    if (spec.name.empty()) ctx.at("name").fail("expected a non-empty name");
    if (spec.base.empty()) ctx.at("base").fail("expected the path of a scenario file");
    const std::filesystem::path base = spec.base;
    spec.base_path = base.is_relative() ? (std::filesystem::path(path).parent_path() / base).string() : spec.base;
    if (!workloads::regular_file_exists(spec.base_path))
        ctx.at("base").fail("cannot find the scenario file '" + spec.base_path + "' (relative to the sweep file)");

    // The axes in the file's order.
    for (auto it = ordered["axes"].begin(); it != ordered["axes"].end(); ++it)
        for (auto& a : f.axes)
            if (a.path == it.key()) spec.axes.push_back(a);

    const ConfigContext axes_at = ctx.at("axes");
    if (spec.mode == SweepMode::zip) {
        const auto& first = spec.axes.front();
        for (const auto& a : spec.axes)
            if (a.values.size() != first.values.size())
                axes_at.at(a.path).fail("zip mode: expected " + std::to_string(first.values.size()) +
                                        " values, as many as '" + first.path + "', got " +
                                        std::to_string(a.values.size()));
    } else {
        for (const auto& a : spec.axes)
            for (std::size_t i = 0; i < a.values.size(); ++i)
                for (std::size_t k = 0; k < i; ++k)
                    if (json::parse(a.values[i]) == json::parse(a.values[k]))
                        axes_at.at(a.path).at(std::to_string(i)).fail("duplicate value " + a.values[i] +
                                                                      " (already at index " + std::to_string(k) + ")");
    }
    const auto points = expand_points(spec);
    std::map<std::string, std::size_t> seen;
    for (const auto& p : points) {
        const auto [it, inserted] = seen.emplace(p.key, p.index);
        if (!inserted)
            axes_at.fail("zip mode: points " + std::to_string(it->second) + " and " + std::to_string(p.index) +
                         " have the same values " + p.values_json);
    }
    return spec;
}

std::vector<SchemaDoc> sweep_schema_docs() { return {sweep_schema().doc()}; }

std::string point_key(const std::vector<std::pair<std::string, std::string>>& values) {
    json j = json::object();  // std::map underneath: sorted keys, nested objects too
    for (const auto& [path, value] : values) j[path] = json::parse(value);
    return j.dump();
}

std::vector<std::string> SweepPoint::sets() const {
    std::vector<std::string> out;
    for (const auto& [path, value] : values) out.push_back(path + "=" + value);
    return out;
}

std::string SweepPoint::label() const {
    std::string out;
    for (const auto& [path, value] : values) out += (out.empty() ? "" : " ") + path + "=" + value_label(value);
    return out;
}

std::vector<SweepPoint> expand_points(const SweepSpec& spec) {
    std::vector<SweepPoint> out;
    if (spec.axes.empty()) return out;
    std::size_t count = 1;
    if (spec.mode == SweepMode::zip) count = spec.axes.front().values.size();
    else
        for (const auto& a : spec.axes) count *= a.values.size();
    for (std::size_t i = 0; i < count; ++i) {
        SweepPoint p;
        p.index = i;
        std::vector<std::size_t> pick(spec.axes.size(), i);
        if (spec.mode == SweepMode::product) {
            std::size_t rest = i;
            for (std::size_t a = spec.axes.size(); a-- > 0;) {
                pick[a] = rest % spec.axes[a].values.size();
                rest /= spec.axes[a].values.size();
            }
        }
        ojson ordered = ojson::object();
        for (std::size_t a = 0; a < spec.axes.size(); ++a) {
            const auto& value = spec.axes[a].values.at(pick[a]);
            p.values.emplace_back(spec.axes[a].path, value);
            ordered[spec.axes[a].path] = ojson::parse(value);
        }
        p.key = point_key(p.values);
        p.values_json = ordered.dump();
        out.push_back(std::move(p));
    }
    return out;
}

std::optional<double> json_number_at(const std::string& json_text, const std::string& dotted_path) {
    const json j = json::parse(json_text, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    const json* v = value_at(j, dotted_path);
    if (!v || !v->is_number()) return std::nullopt;
    return v->get<double>();
}

std::vector<std::string> json_number_paths(const std::string& json_text) {
    std::vector<std::string> out;
    const json j = json::parse(json_text, nullptr, false);
    if (!j.is_discarded()) collect_paths(j, "", out);
    return out;
}

PointMetrics metrics_from_report(const std::string& report_json) {
    return PointMetrics{metric_values_from_report(report_json)};
}

std::optional<double> PointMetrics::get(std::string_view name) const {
    const Metric* m = find_metric(name);
    if (!m) return std::nullopt;
    const std::size_t i = metric_index(*m);
    return i < values.size() ? values[i] : std::nullopt;
}

std::optional<bool> PointMetrics::fits() const {
    const auto v = get("fits");
    return v ? std::optional<bool>(*v != 0) : std::nullopt;
}

std::vector<ParetoObjective> parse_pareto_objectives(const std::string& text) {
    std::vector<ParetoObjective> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto comma = text.find(',', start);
        std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const auto b = item.find_first_not_of(" \t"), e = item.find_last_not_of(" \t");
        item = b == std::string::npos ? "" : item.substr(b, e - b + 1);
        ParetoObjective o;
        const bool explicit_direction = item.ends_with(":max") || item.ends_with(":min");
        if (item.ends_with(":max")) {
            o.maximize = true;
            item.resize(item.size() - 4);
        } else if (item.ends_with(":min")) {
            item.resize(item.size() - 4);
        }
        if (item.empty())
            throw UserError("--pareto '" + text + "': expected report keys separated by commas, e.g. "
                            "latency_s,energy_j (append :max or :min to choose a direction)");
        o.path = item;
        // A metric by its canonical name (an older report path is an alias), going its better way
        // unless the suffix says.
        if (const Metric* m = find_metric(item)) {
            o.path = std::string(m->name);
            if (!explicit_direction) o.maximize = m->better == Better::higher;
        }
        out.push_back(o);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return out;
}

std::vector<std::size_t> pareto_front(const std::vector<std::vector<double>>& rows,
                                      const std::vector<ParetoObjective>& objectives) {
    // Smaller is better after the sign flip of maximized objectives.
    auto cost = [&](std::size_t r, std::size_t o) { return objectives[o].maximize ? -rows[r][o] : rows[r][o]; };
    std::vector<std::size_t> front;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        bool dominated = false;
        for (std::size_t k = 0; k < rows.size() && !dominated; ++k) {
            if (k == i) continue;
            bool all_le = true, one_lt = false;
            for (std::size_t o = 0; o < objectives.size(); ++o) {
                if (cost(k, o) > cost(i, o)) all_le = false;
                if (cost(k, o) < cost(i, o)) one_lt = true;
            }
            dominated = all_le && one_lt;
        }
        if (!dominated) front.push_back(i);
    }
    return front;
}

}  // namespace fmsim::sim
