// What `fmsim results` and `fmsim sweep --pareto` print and export (results_db.hpp).
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "fmsim/sim/format.hpp"
#include "fmsim/sim/metrics.hpp"
#include "fmsim/sim/results_db.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::sim {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

ojson axes_of(const StoredPoint& p) {
    ojson a = ojson::parse(p.axis_values, nullptr, false);
    return a.is_object() ? a : ojson::object();
}

// Axis paths over all points, in order of first appearance.
std::vector<std::string> axis_paths(const std::vector<StoredPoint>& points) {
    std::vector<std::string> out;
    for (const auto& p : points) {
        const ojson a = axes_of(p);
        for (auto it = a.begin(); it != a.end(); ++it)
            if (std::find(out.begin(), out.end(), it.key()) == out.end()) out.push_back(it.key());
    }
    return out;
}

std::string value_text(const ojson& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

std::string axis_text(const StoredPoint& p, const std::string& path) {
    const ojson a = axes_of(p);
    return a.contains(path) ? value_text(a[path]) : "";
}

// Column headers for axis paths: the shortest dotted suffix that tells them apart
// ("hardware_overrides.memory.bandwidth_gb_per_s" -> "bandwidth_gb_per_s").
std::vector<std::string> short_names(const std::vector<std::string>& paths) {
    auto suffix = [](const std::string& path, std::size_t segments) {
        std::size_t pos = path.size();
        for (std::size_t i = 0; i < segments; ++i) {
            const auto dot = path.rfind('.', pos == 0 ? 0 : pos - 1);
            if (dot == std::string::npos || pos == 0) return path;
            pos = dot;
        }
        return path.substr(pos + 1);
    };
    std::vector<std::string> out;
    for (const auto& p : paths) {
        std::string name;
        for (std::size_t n = 1;; ++n) {
            name = suffix(p, n);
            if (name == p) break;
            if (name.size() < 6) continue;  // "bf16" alone says too little: "dense_flops_per_cycle.bf16"
            bool unique = true;
            for (const auto& q : paths)
                if (q != p && (q == name || q.ends_with("." + name))) unique = false;
            if (unique) break;
        }
        out.push_back(name);
    }
    return out;
}

// A number as JSON writes it: the shortest text that reads back to the same double.
std::string exact(const std::optional<double>& v) { return v ? json(*v).dump() : ""; }

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    std::vector<std::size_t> width(header.size());
    for (std::size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
    for (const auto& r : rows)
        for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
    std::ostringstream os;
    auto line = [&](const std::vector<std::string>& cells) {
        std::string s;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            s += cells[c];
            if (c + 1 < cells.size()) s += std::string(width[c] - cells[c].size() + 2, ' ');
        }
        os << s << "\n";
    };
    line(header);
    std::vector<std::string> rule;
    for (auto w : width) rule.push_back(std::string(w, '-'));
    line(rule);
    for (const auto& r : rows) line(r);
    return os.str();
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

std::string csv_line(const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (i) s += ',';
        s += csv_field(cells[i]);
    }
    return s + "\n";
}

std::string status_text(const StoredPoint& p) {
    if (p.status != "ok") return p.status;
    if (const auto fits = p.metrics.fits(); fits && !*fits) return "ok (does not fit)";
    return "ok";
}

// A metric's cell in CSV: the shortest text that reads back to the same double; flags true/false.
std::string csv_value(const Metric& m, const std::optional<double>& v) {
    if (!v) return "";
    if (m.unit == MetricUnit::flag) return *v != 0 ? "true" : "false";
    return exact(v);
}

ojson json_value(const Metric& m, const std::optional<double>& v) {
    if (!v) return nullptr;
    if (m.unit == MetricUnit::flag) return *v != 0;
    return *v;
}

// A --where value against a metric: numbers by value, true/false against flags.
bool metric_matches(const Metric& m, const std::optional<double>& v, const json& want) {
    if (!v) return want.is_null();
    if (want.is_boolean()) return m.unit == MetricUnit::flag && (*v != 0) == want.get<bool>();
    return want.is_number() && want.get<double>() == *v;
}

}  // namespace

std::vector<StoredPoint> sweep_points(const SweepSpec& spec, const ResultsDb& db) {
    std::map<std::string, std::size_t> order;
    for (const auto& p : expand_points(spec)) order.emplace(p.key, p.index);
    std::vector<StoredPoint> out;
    for (auto& p : db.points(spec.name))
        if (const auto it = order.find(p.point_key); it != order.end()) {
            p.point_index = static_cast<std::int64_t>(it->second);
            out.push_back(std::move(p));
        }
    std::stable_sort(out.begin(), out.end(),
                     [](const StoredPoint& a, const StoredPoint& b) { return a.point_index < b.point_index; });
    return out;
}

std::vector<WhereFilter> parse_where(const std::vector<std::string>& items) {
    std::vector<WhereFilter> out;
    for (const auto& item : items) {
        const auto eq = item.find('=');
        if (eq == std::string::npos || eq == 0)
            throw UserError("--where '" + item + "': expected axis=value, e.g. --where batch=8");
        const std::string text = item.substr(eq + 1);
        json v = json::parse(text, nullptr, false);
        if (v.is_discarded()) v = text;
        out.push_back({item.substr(0, eq), v.dump()});
    }
    return out;
}

std::vector<StoredPoint> filter_points(const std::vector<StoredPoint>& points, const std::vector<WhereFilter>& where) {
    const auto paths = axis_paths(points);
    for (const auto& w : where)
        if (w.key != "status" && std::find(paths.begin(), paths.end(), w.key) == paths.end() && !find_metric(w.key) &&
            !points.empty()) {
            std::vector<std::string> candidates = paths;
            candidates.push_back("status");
            const auto metrics = metric_names();
            candidates.insert(candidates.end(), metrics.begin(), metrics.end());
            const std::string hint = workloads::did_you_mean(w.key, candidates);
            std::string list;
            for (const auto& c : candidates) list += (list.empty() ? "" : ", ") + c;
            throw UserError("--where " + w.key + "=...: no axis or metric '" + w.key + "' in the stored points" +
                            (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; keys: " + list);
        }
    std::vector<StoredPoint> out;
    for (const auto& p : points) {
        const json axes = json::parse(p.axis_values, nullptr, false);
        bool match = true;
        for (const auto& w : where) {
            const json want = json::parse(w.value_json);
            if (w.key == "status") match = match && want == json(p.status);
            else if (axes.is_object() && axes.contains(w.key)) match = match && axes[w.key] == want;
            else if (const Metric* m = find_metric(w.key)) match = match && metric_matches(*m, p.metrics.get(m->name), want);
            else match = false;
        }
        if (match) out.push_back(p);
    }
    return out;
}

std::string results_table(const std::vector<StoredPoint>& points) {
    if (points.empty()) return "no points stored that match\n";
    std::ostringstream os;
    std::vector<std::string> sweeps;
    for (const auto& p : points)
        if (std::find(sweeps.begin(), sweeps.end(), p.sweep) == sweeps.end()) sweeps.push_back(p.sweep);
    for (const auto& sweep : sweeps) {
        std::vector<StoredPoint> mine;
        for (const auto& p : points)
            if (p.sweep == sweep) mine.push_back(p);
        const auto paths = axis_paths(mine);
        std::size_t ok = 0;
        for (const auto& p : mine) ok += p.status == "ok" ? 1 : 0;
        os << (&sweep == &sweeps.front() ? "" : "\n") << "sweep " << sweep << ": " << mine.size() << (mine.size() == 1 ? " point (" : " points (")
           << ok << " ok, " << mine.size() - ok << " error)\n";
        // The headline metrics some point has a value for, named as --pareto and the CSV name them.
        std::vector<const Metric*> cols;
        for (const Metric& m : metric_table())
            if (m.headline && std::any_of(mine.begin(), mine.end(),
                                          [&](const StoredPoint& p) { return p.metrics.get(m.name).has_value(); }))
                cols.push_back(&m);
        std::vector<std::string> header = short_names(paths);
        header.push_back("status");
        for (const auto* c : cols) header.emplace_back(c->name);
        std::vector<std::vector<std::string>> rows;
        for (const auto& p : mine) {
            std::vector<std::string> r;
            for (const auto& path : paths) r.push_back(axis_text(p, path));
            r.push_back(status_text(p));
            for (const auto* c : cols) r.push_back(p.status == "ok" ? format_metric(*c, p.metrics.get(c->name)) : "");
            rows.push_back(std::move(r));
        }
        os << table(header, rows);
        bool first = true;
        for (const auto& p : mine) {
            if (p.status == "ok") continue;
            if (first) os << "errors:\n";
            first = false;
            std::string label;
            const ojson a = axes_of(p);
            for (auto it = a.begin(); it != a.end(); ++it)
                label += (label.empty() ? "" : " ") + it.key() + "=" + value_text(it.value());
            os << "  " << label << ": " << p.error << "\n";
        }
    }
    return os.str();
}

std::string results_csv(const std::vector<StoredPoint>& points) {
    const auto paths = axis_paths(points);
    std::ostringstream os;
    // Column order: sweep, point_index, status, axes..., metrics (fits after peak_bytes_per_device), error.
    std::vector<std::string> header = {"sweep", "point_index", "status"};
    header.insert(header.end(), paths.begin(), paths.end());
    for (const Metric& m : metric_table()) header.emplace_back(m.name);
    header.push_back("error");
    os << csv_line(header);
    for (const auto& p : points) {
        std::vector<std::string> r{p.sweep, std::to_string(p.point_index), p.status};
        for (const auto& path : paths) r.push_back(axis_text(p, path));
        for (const Metric& m : metric_table()) r.push_back(csv_value(m, p.metrics.get(m.name)));
        r.push_back(p.error);
        os << csv_line(r);
    }
    return os.str();
}

std::string results_json(const std::vector<StoredPoint>& points) {
    ojson out = ojson::array();
    for (const auto& p : points) {
        ojson o;
        o["sweep"] = p.sweep;
        o["point_index"] = p.point_index;
        o["axes"] = axes_of(p);
        o["status"] = p.status;
        o["error"] = p.status == "ok" ? ojson(nullptr) : ojson(p.error);
        for (const Metric& m : metric_table()) o[std::string(m.name)] = json_value(m, p.metrics.get(m.name));
        const ojson report = ojson::parse(p.report, nullptr, false);
        o["report"] = p.report.empty() || report.is_discarded() ? ojson(nullptr) : report;
        out.push_back(std::move(o));
    }
    return out.dump(2) + "\n";
}

namespace {
// An objective's value at a point: a metric from its stored column (or its report), another
// report path from the report.
std::optional<double> objective_value(const StoredPoint& p, const ParetoObjective& o) {
    if (const Metric* m = find_metric(o.path)) {
        if (const auto v = p.metrics.get(m->name)) return v;
        return metric_values_from_report(p.report)[metric_index(*m)];
    }
    return json_number_at(p.report, o.path);
}
}  // namespace

ParetoFront pareto_points(const std::vector<StoredPoint>& points, const std::vector<ParetoObjective>& objectives) {
    ParetoFront f;
    f.objectives = objectives;
    std::vector<StoredPoint> candidates;
    std::vector<std::vector<double>> rows;
    // An objective that is neither a metric nor a number in any report is a typo; one that is null
    // in all of them (e.g. tpot_s of a prefill) leaves every point out, which the table says.
    for (const auto& o : objectives) {
        if (const Metric* m = find_metric(o.path)) {
            if (m->unit == MetricUnit::flag)
                throw UserError("--pareto: '" + o.path + "' is a yes/no flag, not an objective (points that do not "
                                "fit are left out of the front already)");
            continue;
        }
        const auto ok = std::find_if(points.begin(), points.end(), [](const StoredPoint& p) { return p.status == "ok"; });
        const bool found = std::any_of(points.begin(), points.end(), [&](const StoredPoint& p) {
            return p.status == "ok" && json_number_at(p.report, o.path).has_value();
        });
        if (found || ok == points.end()) continue;
        auto paths = json_number_paths(ok->report);
        if (std::find(paths.begin(), paths.end(), o.path) != paths.end()) continue;
        auto names = metric_names();
        names.insert(names.end(), paths.begin(), paths.end());
        const std::string hint = workloads::did_you_mean(o.path, names);
        throw UserError("--pareto: '" + o.path + "' is no metric and not a number in the reports" +
                        (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                        "; give metric names such as latency_s, energy_j, energy_per_token_j, "
                        "peak_bytes_per_device (`fmsim docs metrics` lists them)");
    }
    for (const auto& p : points) {
        if (p.status != "ok") continue;
        if (const auto fits = p.metrics.fits(); fits && !*fits) {
            ++f.not_fitting;
            continue;
        }
        std::vector<double> row;
        for (const auto& o : objectives)
            if (const auto v = objective_value(p, o)) row.push_back(*v);
        if (row.size() != objectives.size()) {
            ++f.missing;
            continue;
        }
        candidates.push_back(p);
        rows.push_back(std::move(row));
    }
    f.considered = candidates.size();
    auto front = pareto_front(rows, objectives);
    std::stable_sort(front.begin(), front.end(), [&](std::size_t a, std::size_t b) {
        const double va = rows[a][0], vb = rows[b][0];
        return objectives[0].maximize ? va > vb : va < vb;
    });
    for (auto i : front) {
        f.points.push_back(candidates[i]);
        f.values.push_back(rows[i]);
    }
    return f;
}

std::string pareto_table(const ParetoFront& f) {
    std::ostringstream os;
    std::string goals;
    for (const auto& o : f.objectives) goals += (goals.empty() ? "" : ", ") + o.path + (o.maximize ? " (max)" : " (min)");
    os << "Pareto front of " << goals << ": " << f.points.size() << " of " << f.considered << " points";
    if (f.not_fitting) os << "; " << f.not_fitting << " left out: they do not fit in memory";
    if (f.missing) os << "; " << f.missing << " left out: an objective is null";
    os << "\n";
    if (f.points.empty()) return os.str();
    const auto paths = axis_paths(f.points);
    std::vector<std::string> header = short_names(paths);
    for (const auto& o : f.objectives) header.push_back(o.path);
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < f.points.size(); ++i) {
        std::vector<std::string> r;
        for (const auto& path : paths) r.push_back(axis_text(f.points[i], path));
        for (std::size_t o = 0; o < f.objectives.size(); ++o) {
            const Metric* m = find_metric(f.objectives[o].path);
            r.push_back(m ? format_metric(*m, f.values[i][o]) : format_number(f.values[i][o]));
        }
        rows.push_back(std::move(r));
    }
    os << table(header, rows);
    return os.str();
}

std::string pareto_csv(const ParetoFront& f) {
    const auto paths = axis_paths(f.points);
    std::vector<std::string> header{"sweep", "point_index"};
    header.insert(header.end(), paths.begin(), paths.end());
    for (const auto& o : f.objectives) header.push_back(o.path);
    std::ostringstream os;
    os << csv_line(header);
    for (std::size_t i = 0; i < f.points.size(); ++i) {
        std::vector<std::string> r{f.points[i].sweep, std::to_string(f.points[i].point_index)};
        for (const auto& path : paths) r.push_back(axis_text(f.points[i], path));
        for (double v : f.values[i]) r.push_back(exact(v));
        os << csv_line(r);
    }
    return os.str();
}

}  // namespace fmsim::sim
