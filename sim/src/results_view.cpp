// What `fmsim results` and `fmsim sweep --pareto` print and export (results_db.hpp).
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "fmsim/sim/results_db.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/schema.hpp"

namespace fmsim::sim {

namespace {

using json = nlohmann::json;
using ojson = nlohmann::ordered_json;

// The metric columns, as the database and the exports name them.
struct MetricColumn {
    const char* name;
    std::optional<double> PointMetrics::*member;
};
constexpr MetricColumn kMetrics[] = {
    {"latency_s", &PointMetrics::latency_s},
    {"ttft_s", &PointMetrics::ttft_s},
    {"tpot_s", &PointMetrics::tpot_s},
    {"throughput_tokens_per_s", &PointMetrics::throughput_tokens_per_s},
    {"throughput_samples_per_s", &PointMetrics::throughput_samples_per_s},
    {"peak_bytes_per_device", &PointMetrics::peak_bytes_per_device},
    {"energy_j", &PointMetrics::energy_j},
    {"energy_per_token_j", &PointMetrics::energy_per_token_j},
    {"cost_usd", &PointMetrics::cost_usd},
    {"co2_kg", &PointMetrics::co2_kg},
};

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
// ("hardware_overrides.memory.bandwidth_gbps" -> "bandwidth_gbps").
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

std::string num(double v, const char* fmt = "%.4g") {
    char buf[48];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

std::string opt_num(const std::optional<double>& v, const char* fmt = "%.4g") { return v ? num(*v, fmt) : "-"; }

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
    if (p.metrics.fits && !*p.metrics.fits) return "ok (does not fit)";
    return "ok";
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
        if (w.key != "status" && std::find(paths.begin(), paths.end(), w.key) == paths.end() && !points.empty()) {
            std::vector<std::string> candidates = paths;
            candidates.push_back("status");
            const std::string hint = workloads::did_you_mean(w.key, candidates);
            std::string list;
            for (const auto& c : candidates) list += (list.empty() ? "" : ", ") + c;
            throw UserError("--where " + w.key + "=...: no axis '" + w.key + "' in the stored points" +
                            (hint.empty() ? "" : " (did you mean '" + hint + "'?)") + "; keys: " + list);
        }
    std::vector<StoredPoint> out;
    for (const auto& p : points) {
        const json axes = json::parse(p.axis_values, nullptr, false);
        bool match = true;
        for (const auto& w : where) {
            const json want = json::parse(w.value_json);
            if (w.key == "status") match = match && want == json(p.status);
            else match = match && axes.is_object() && axes.contains(w.key) && axes[w.key] == want;
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
        // The metric columns some point has a value for.
        struct Col {
            std::string header;
            std::function<std::string(const PointMetrics&)> cell;
            std::function<bool(const PointMetrics&)> has;
        };
        const std::vector<Col> candidates = {
            {"latency_s", [](const PointMetrics& m) { return opt_num(m.latency_s); },
             [](const PointMetrics& m) { return m.latency_s.has_value(); }},
            {"tokens/s", [](const PointMetrics& m) { return opt_num(m.throughput_tokens_per_s, "%.1f"); },
             [](const PointMetrics& m) { return m.throughput_tokens_per_s.has_value(); }},
            {"samples/s", [](const PointMetrics& m) { return opt_num(m.throughput_samples_per_s); },
             // Only where tokens/s is missing (encoders, vision, diffusion): otherwise it repeats it.
             [](const PointMetrics& m) { return m.throughput_samples_per_s && !m.throughput_tokens_per_s; }},
            {"peak_GB", [](const PointMetrics& m) {
                 return m.peak_bytes_per_device ? num(*m.peak_bytes_per_device / 1e9, "%.2f") : "-";
             },
             [](const PointMetrics& m) { return m.peak_bytes_per_device.has_value(); }},
            {"energy_J", [](const PointMetrics& m) { return opt_num(m.energy_j); },
             [](const PointMetrics& m) { return m.energy_j.has_value(); }},
            {"J/token", [](const PointMetrics& m) { return opt_num(m.energy_per_token_j); },
             [](const PointMetrics& m) { return m.energy_per_token_j.has_value(); }},
            {"cost_usd", [](const PointMetrics& m) { return opt_num(m.cost_usd); },
             [](const PointMetrics& m) { return m.cost_usd.has_value(); }},
        };
        std::vector<const Col*> cols;
        for (const auto& c : candidates)
            if (std::any_of(mine.begin(), mine.end(), [&](const StoredPoint& p) { return c.has(p.metrics); }))
                cols.push_back(&c);
        std::vector<std::string> header = short_names(paths);
        header.push_back("status");
        for (const auto* c : cols) header.push_back(c->header);
        std::vector<std::vector<std::string>> rows;
        for (const auto& p : mine) {
            std::vector<std::string> r;
            for (const auto& path : paths) r.push_back(axis_text(p, path));
            r.push_back(status_text(p));
            for (const auto* c : cols) r.push_back(p.status == "ok" ? c->cell(p.metrics) : "");
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
    for (const auto& m : kMetrics) {
        header.push_back(m.name);
        if (std::string(m.name) == "peak_bytes_per_device") header.push_back("fits");
    }
    header.push_back("error");
    os << csv_line(header);
    for (const auto& p : points) {
        std::vector<std::string> r{p.sweep, std::to_string(p.point_index), p.status};
        for (const auto& path : paths) r.push_back(axis_text(p, path));
        for (const auto& m : kMetrics) {
            r.push_back(exact(p.metrics.*m.member));
            if (std::string(m.name) == "peak_bytes_per_device")
                r.push_back(p.metrics.fits ? (*p.metrics.fits ? "true" : "false") : "");
        }
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
        for (const auto& m : kMetrics) {
            const auto& v = p.metrics.*m.member;
            o[m.name] = v ? ojson(*v) : ojson(nullptr);
            if (std::string(m.name) == "peak_bytes_per_device")
                o["fits"] = p.metrics.fits ? ojson(*p.metrics.fits) : ojson(nullptr);
        }
        const ojson report = ojson::parse(p.report, nullptr, false);
        o["report"] = p.report.empty() || report.is_discarded() ? ojson(nullptr) : report;
        out.push_back(std::move(o));
    }
    return out.dump(2) + "\n";
}

ParetoFront pareto_points(const std::vector<StoredPoint>& points, const std::vector<ParetoObjective>& objectives) {
    ParetoFront f;
    f.objectives = objectives;
    std::vector<StoredPoint> candidates;
    std::vector<std::vector<double>> rows;
    // An objective that is a number in no report is a typo; one that is null in all of them (e.g.
    // tpot_s of a prefill) leaves every point out, which the table says.
    for (const auto& o : objectives) {
        const bool found = std::any_of(points.begin(), points.end(), [&](const StoredPoint& p) {
            return p.status == "ok" && json_number_at(p.report, o.path).has_value();
        });
        const auto ok = std::find_if(points.begin(), points.end(), [](const StoredPoint& p) { return p.status == "ok"; });
        if (found || ok == points.end()) continue;
        const auto paths = json_number_paths(ok->report);
        if (std::find(paths.begin(), paths.end(), o.path) != paths.end()) continue;
        const std::string hint = workloads::did_you_mean(o.path, paths);
        throw UserError("--pareto: '" + o.path + "' is not a number in the reports" +
                        (hint.empty() ? "" : " (did you mean '" + hint + "'?)") +
                        "; give dotted report keys such as latency_s, energy.total_j, memory.peak_bytes_per_device");
    }
    for (const auto& p : points) {
        if (p.status != "ok") continue;
        if (p.metrics.fits && !*p.metrics.fits) {
            ++f.not_fitting;
            continue;
        }
        std::vector<double> row;
        for (const auto& o : objectives)
            if (const auto v = json_number_at(p.report, o.path)) row.push_back(*v);
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
        for (double v : f.values[i]) r.push_back(num(v));
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
