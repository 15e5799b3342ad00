#pragma once
// Plain JSON plumbing for the editors and views: dotted paths, merge patches and flattening. No
// simulation meaning lives here; the facade validates whatever these produce.
#include <QJsonArray>
#include <QJsonObject>
#include <QJsonValue>
#include <QStringList>
#include <QVector>
#include <functional>
#include <utility>

namespace fmsim::gui {

// The value at "a.b.0.c" (array indices as numbers); Undefined when absent.
QJsonValue valueAt(const QJsonValue& root, const QString& dottedPath);
// A number at a dotted path; NaN when absent, null or not a number.
double numberAt(const QJsonValue& root, const QString& dottedPath);
// Sets (creating objects on the way) or, with an Undefined value, removes the value at the path.
void setValueAt(QJsonObject& root, const QString& dottedPath, const QJsonValue& value);

// RFC 7386 merge patch: objects merge recursively, null removes, anything else replaces.
QJsonObject mergePatch(const QJsonObject& target, const QJsonObject& patch);
// The merge patch that turns `from` into `to` (arrays and scalars replace as a whole).
QJsonObject mergeDiff(const QJsonObject& from, const QJsonObject& to);

// Leaves of an object as (dotted path, compact text), in key order; arrays of scalars stay one leaf.
QVector<std::pair<QString, QString>> flatten(const QJsonObject& object);

// A value typed by a user or a --set: JSON when it parses as JSON, else a string.
QJsonValue parseLooseValue(const QString& text);
// Compact JSON text of any value (a bare string gets its quotes).
QString compactJson(const QJsonValue& value);
// Parses a JSON object; an empty object when the text is not one.
QJsonObject parseObject(const QByteArray& text);

// Indented JSON text whose object keys follow `keyOrder(path)` (declaration order; the rest after,
// sorted). `path` is the object's place with array elements as "[]": "", "clock", "on_chip[]".
QByteArray toOrderedJson(const QJsonObject& object, const std::function<QStringList(const QString&)>& keyOrder);

}  // namespace fmsim::gui
