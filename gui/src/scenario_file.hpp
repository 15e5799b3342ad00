#pragma once
// Scenario and preset files on disk: read into JSON, written with the declared key order, and
// written elsewhere (a worker's temporary copy, Save As) with their file references still valid.
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace fmsim::gui {

// A JSON object from a file; an empty object and `error` set when it is unreadable or not an object.
QJsonObject readJsonObjectFile(const QString& path, QString* error);

// Writes `scenario` to `path` with scenario keys in declaration order. Relative file references
// (model, hardware, runtime, links) were relative to `originDir`; when `path` lies elsewhere they
// are made absolute (sim::rebase_scenario_refs). False with `error` set on failure.
bool writeScenarioFile(const QJsonObject& scenario, const QString& originDir, const QString& path, QString* error);

// A hardware description as preset text, keys in declaration order.
QByteArray hardwarePresetText(const QJsonObject& hardware);

// Declared key order of the object at `path` ("", "system", "on_chip[]") of a scenario / a device.
QStringList scenarioKeyOrder(const QString& path);
QStringList hardwareKeyOrder(const QString& path);

}  // namespace fmsim::gui
