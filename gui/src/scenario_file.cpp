#include "scenario_file.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QSaveFile>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/sim/scenario.hpp"
#include "fmsim/sim/session.hpp"
#include "fmsim/workloads/errors.hpp"
#include "json_util.hpp"

namespace fmsim::gui {

namespace {
QStringList keysOf(const std::vector<workloads::SchemaDoc>& docs, const QString& name) {
    QStringList keys;
    for (const auto& d : docs)
        if (QString::fromStdString(d.name) == name)
            for (const auto& f : d.fields) keys << QString::fromStdString(f.key);
    return keys;
}
}  // namespace

QStringList scenarioKeyOrder(const QString& path) {
    static const auto docs = sim::scenario_schema_docs();
    return keysOf(docs, path.isEmpty() ? "scenario" : "scenario." + path);
}

QStringList hardwareKeyOrder(const QString& path) {
    static const auto docs = hwmodels::hardware_schema_docs();
    return keysOf(docs, path.isEmpty() ? "hardware" : "hardware." + path);
}

QJsonObject readJsonObjectFile(const QString& path, QString* error) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        *error = "cannot read " + path + ": " + f.errorString();
        return {};
    }
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(f.readAll(), &parseError);
    if (!doc.isObject()) {
        *error = path + ": not a JSON object" +
                 (parseError.error != QJsonParseError::NoError ? " (" + parseError.errorString() + ")" : QString());
        return {};
    }
    return doc.object();
}

bool writeScenarioFile(const QJsonObject& scenario, const QString& originDir, const QString& path, QString* error) {
    QByteArray text = toOrderedJson(scenario, [](const QString& p) {
        // hardware_overrides and an inline hardware are devices: their keys follow the device's order.
        if (p.startsWith("hardware")) return hardwareKeyOrder(p.section('.', 1));
        return scenarioKeyOrder(p);
    });
    const QString targetDir = QFileInfo(path).absolutePath();
    if (!originDir.isEmpty() && QDir(originDir).absolutePath() != targetDir) {
        try {
            text = QByteArray::fromStdString(sim::rebase_scenario_refs(text.toStdString(), originDir.toStdString())) + "\n";
        } catch (const UserError& e) {
            *error = QString::fromStdString(e.what());
            return false;
        }
    }
    QSaveFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size() || !f.commit()) {
        *error = "cannot write " + path + ": " + f.errorString();
        return false;
    }
    return true;
}

QByteArray hardwarePresetText(const QJsonObject& hardware) { return toOrderedJson(hardware, hardwareKeyOrder); }

}  // namespace fmsim::gui
