#include "run_result.hpp"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <cstdlib>
#include <deque>
#include <limits>
#include <string_view>
#include <unordered_map>

#include "fmsim/sim/metrics.hpp"
#include "json_util.hpp"

namespace fmsim::gui {

double RunResult::metric(const QString& name) const {
    // A metric of the table: the report's "metrics" object, else its older nested key; flags as 1/0.
    if (const sim::Metric* m = sim::find_metric(name.toStdString())) {
        const QString canonical = QString::fromUtf8(m->name.data(), static_cast<qsizetype>(m->name.size()));
        for (const QString& at : {"metrics." + canonical, QString::fromUtf8(m->report_path.data(),
                                                                            static_cast<qsizetype>(m->report_path.size()))}) {
            if (at.isEmpty()) continue;
            const QJsonValue v = valueAt(report, at);
            if (v.isBool()) return v.toBool() ? 1 : 0;
            if (v.isDouble() || v.isNull()) return v.isDouble() ? v.toDouble() : std::numeric_limits<double>::quiet_NaN();
        }
        return std::numeric_limits<double>::quiet_NaN();
    }
    return numberAt(report, name);
}

namespace {
// One line's fields as views into the CSV text; a quoted field (RFC 4180) is unquoted into `scratch`.
void splitLine(std::string_view line, std::vector<std::string_view>& fields, std::deque<std::string>& scratch) {
    fields.clear();
    std::size_t used = 0;
    std::size_t i = 0;
    while (i <= line.size()) {
        if (i < line.size() && line[i] == '"') {
            if (used == scratch.size()) scratch.emplace_back();
            std::string& s = scratch[used++];
            s.clear();
            for (++i; i < line.size(); ++i) {
                if (line[i] == '"' && i + 1 < line.size() && line[i + 1] == '"') s += line[++i];  // an escaped quote
                else if (line[i] == '"') break;
                else s += line[i];
            }
            fields.push_back(s);
            i += 2;  // the closing quote and the comma
        } else {
            const std::size_t end = std::min(line.find(',', i), line.size());
            fields.push_back(line.substr(i, end - i));
            i = end + 1;
        }
    }
}

double number(std::string_view field) {
    // Fields end at a comma or a newline, where strtod stops.
    return field.empty() ? 0 : std::strtod(field.data(), nullptr);
}

QVector<double> numbers(const QJsonObject& o, const char* key) {
    QVector<double> out;
    for (const auto& v : o.value(key).toArray()) out << v.toDouble();
    return out;
}
}  // namespace

QVector<OpRow> parseOpsCsv(const QByteArray& csv) {
    QVector<OpRow> ops;
    const std::string_view text(csv.constData(), static_cast<std::size_t>(csv.size()));
    std::vector<std::string_view> fields;
    std::deque<std::string> scratch;  // a deque: the views into it survive its growth
    // Names repeat across layers and stages: one QString each, shared by the rows.
    std::unordered_map<std::string, QString> names;
    auto name = [&](std::string_view v) -> QString {
        auto it = names.find(std::string(v));
        if (it == names.end()) it = names.emplace(std::string(v), QString::fromUtf8(v.data(), static_cast<qsizetype>(v.size()))).first;
        return it->second;
    };
    std::size_t pos = text.find('\n');
    if (pos == std::string_view::npos) return ops;
    splitLine(text.substr(0, pos), fields, scratch);
    QHash<QString, int> col;
    for (std::size_t i = 0; i < fields.size(); ++i) col.insert(QString::fromUtf8(fields[i].data(), static_cast<qsizetype>(fields[i].size())), static_cast<int>(i));
    const std::size_t width = fields.size();
    const int stage = col.value("stage"), opName = col.value("name"), kind = col.value("kind"), group = col.value("group"),
              layer = col.value("layer"), start = col.value("start_s"), duration = col.value("duration_s"),
              flops = col.value("flops"), bytes = col.value("bytes"), dram = col.value("dram_bytes"),
              energy = col.value("energy_j"), bound = col.value("bound"), engine = col.value("engine"),
              mapping = col.value("mapping"), repeat = col.value("repeat"), kernelFlops = col.value("kernel_flops", -1);
    for (std::size_t begin = pos + 1; begin < text.size(); begin = pos + 1) {
        pos = text.find('\n', begin);
        if (pos == std::string_view::npos) pos = text.size();
        splitLine(text.substr(begin, pos - begin), fields, scratch);
        if (fields.size() != width) continue;
        OpRow o;
        o.stage = name(fields[stage]);
        o.name = name(fields[opName]);
        o.kind = name(fields[kind]);
        o.group = name(fields[group]);
        o.layer = static_cast<int>(number(fields[layer]));
        o.startS = number(fields[start]);
        o.durationS = number(fields[duration]);
        o.flops = number(fields[flops]);
        o.bytes = number(fields[bytes]);
        o.dramBytes = number(fields[dram]);
        o.energyJ = number(fields[energy]);
        o.bound = name(fields[bound]);
        o.engine = name(fields[engine]);
        o.mapping = name(fields[mapping]);
        o.repeat = number(fields[repeat]);
        o.kernelFlops = kernelFlops >= 0 ? number(fields[static_cast<std::size_t>(kernelFlops)]) : o.flops;
        ops << o;
    }
    return ops;
}

RunResult RunResult::parse(const QByteArray& envelope, const QByteArray& opsCsv, const QByteArray& memoryCsv,
                           QString* error) {
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(envelope, &parseError);
    RunResult r;
    if (!doc.isObject()) {
        *error = "the worker's output is not a JSON object: " + parseError.errorString();
        return r;
    }
    const QJsonObject e = doc.object();
    r.reportJson = e.value("report_json").toString().toUtf8();
    r.report = parseObject(r.reportJson);
    if (r.report.isEmpty()) {
        *error = "the worker's output has no report";
        return r;
    }
    r.label = r.report.value("name").toString();
    r.hardware = e.value("hardware").toObject();
    r.memoryChannels = e.value("memory_channels").toInt();
    const QJsonObject t = e.value("memory_timeline").toObject();
    r.memory = {numbers(t, "time_s"),          numbers(t, "weights_bytes"),   numbers(t, "kv_cache_bytes"),
                numbers(t, "activation_bytes"), numbers(t, "workspace_bytes"), numbers(t, "training_state_bytes"),
                numbers(t, "runtime_bytes")};
    r.opsCsv = opsCsv;
    r.memoryCsv = memoryCsv;
    r.ops = parseOpsCsv(opsCsv);
    return r;
}

}  // namespace fmsim::gui
