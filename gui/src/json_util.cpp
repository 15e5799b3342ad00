#include "json_util.hpp"

#include <QJsonDocument>
#include <cmath>
#include <limits>

namespace fmsim::gui {

namespace {
QJsonValue child(const QJsonValue& node, const QString& key) {
    if (node.isObject()) return node.toObject().value(key);
    bool isIndex = false;
    const int i = key.toInt(&isIndex);
    if (node.isArray() && isIndex && i >= 0 && i < node.toArray().size()) return node.toArray().at(i);
    return QJsonValue(QJsonValue::Undefined);
}

// Recursive set on a copy: Qt's JSON containers are values, so each level is rebuilt.
QJsonValue withValue(const QJsonValue& node, const QStringList& keys, int depth, const QJsonValue& value) {
    const QString& key = keys.at(depth);
    const bool last = depth + 1 == keys.size();
    bool isIndex = false;
    const int i = key.toInt(&isIndex);
    if (node.isArray() && isIndex) {
        QJsonArray a = node.toArray();
        if (i < 0 || i >= a.size()) return a;
        a[i] = last ? value : withValue(a.at(i), keys, depth + 1, value);
        return a;
    }
    QJsonObject o = node.toObject();
    if (last) {
        if (value.isUndefined()) o.remove(key);
        else o[key] = value;
    } else {
        o[key] = withValue(o.value(key), keys, depth + 1, value);
    }
    return o;
}

void flattenInto(const QJsonValue& v, const QString& prefix, QVector<std::pair<QString, QString>>& out) {
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            flattenInto(it.value(), prefix.isEmpty() ? it.key() : prefix + "." + it.key(), out);
        return;
    }
    if (v.isArray()) {
        const QJsonArray a = v.toArray();
        bool scalars = true;
        for (const auto& e : a) scalars = scalars && !e.isObject() && !e.isArray();
        if (!scalars) {
            for (int i = 0; i < a.size(); ++i) flattenInto(a.at(i), prefix + "." + QString::number(i), out);
            return;
        }
    }
    out.push_back({prefix, v.isString() ? v.toString() : compactJson(v)});
}
}  // namespace

QJsonValue valueAt(const QJsonValue& root, const QString& dottedPath) {
    QJsonValue node = root;
    for (const QString& key : dottedPath.split('.')) {
        node = child(node, key);
        if (node.isUndefined()) break;
    }
    return node;
}

double numberAt(const QJsonValue& root, const QString& dottedPath) {
    const QJsonValue v = valueAt(root, dottedPath);
    return v.isDouble() ? v.toDouble() : std::numeric_limits<double>::quiet_NaN();
}

void setValueAt(QJsonObject& root, const QString& dottedPath, const QJsonValue& value) {
    root = withValue(root, dottedPath.split('.'), 0, value).toObject();
}

QJsonObject mergePatch(const QJsonObject& target, const QJsonObject& patch) {
    QJsonObject out = target;
    for (auto it = patch.begin(); it != patch.end(); ++it) {
        if (it.value().isNull()) out.remove(it.key());
        else if (it.value().isObject())
            out[it.key()] = mergePatch(out.value(it.key()).toObject(), it.value().toObject());
        else out[it.key()] = it.value();
    }
    return out;
}

QJsonObject mergeDiff(const QJsonObject& from, const QJsonObject& to) {
    QJsonObject patch;
    for (auto it = to.begin(); it != to.end(); ++it) {
        const QJsonValue old = from.value(it.key());
        if (old == it.value()) continue;
        if (old.isObject() && it.value().isObject()) {
            const QJsonObject sub = mergeDiff(old.toObject(), it.value().toObject());
            if (!sub.isEmpty()) patch[it.key()] = sub;
        } else {
            patch[it.key()] = it.value();
        }
    }
    for (auto it = from.begin(); it != from.end(); ++it)
        if (!to.contains(it.key())) patch[it.key()] = QJsonValue(QJsonValue::Null);
    return patch;
}

QVector<std::pair<QString, QString>> flatten(const QJsonObject& object) {
    QVector<std::pair<QString, QString>> out;
    flattenInto(object, QString(), out);
    return out;
}

QJsonValue parseLooseValue(const QString& text) {
    const QString t = text.trimmed();
    // Wrapped in an array so that scalars parse too.
    const QJsonDocument doc = QJsonDocument::fromJson(("[" + t + "]").toUtf8());
    if (!t.isEmpty() && doc.isArray() && doc.array().size() == 1) return doc.array().at(0);
    return QJsonValue(t);
}

QString compactJson(const QJsonValue& value) {
    const QByteArray wrapped = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(wrapped.mid(1, wrapped.size() - 2));
}

QJsonObject parseObject(const QByteArray& text) { return QJsonDocument::fromJson(text).object(); }

namespace {
constexpr int kIndent = 2;  // spaces per level, as the shipped configs

void writeOrdered(const QJsonValue& v, const QString& path, int depth,
                  const std::function<QStringList(const QString&)>& keyOrder, QByteArray& out) {
    const QByteArray pad(kIndent * (depth + 1), ' '), closePad(kIndent * depth, ' ');
    if (v.isObject()) {
        const QJsonObject o = v.toObject();
        if (o.isEmpty()) {
            out += "{}";
            return;
        }
        QStringList keys;
        for (const QString& k : keyOrder(path))
            if (o.contains(k)) keys << k;
        for (const QString& k : o.keys())
            if (!keys.contains(k)) keys << k;
        out += "{\n";
        for (qsizetype i = 0; i < keys.size(); ++i) {
            out += pad + compactJson(keys.at(i)).toUtf8() + ": ";
            writeOrdered(o.value(keys.at(i)), path.isEmpty() ? keys.at(i) : path + "." + keys.at(i), depth + 1,
                         keyOrder, out);
            out += i + 1 < keys.size() ? ",\n" : "\n";
        }
        out += closePad + "}";
    } else if (v.isArray() && !v.toArray().isEmpty()) {
        const QJsonArray a = v.toArray();
        out += "[\n";
        for (qsizetype i = 0; i < a.size(); ++i) {
            out += pad;
            writeOrdered(a.at(i), path + "[]", depth + 1, keyOrder, out);
            out += i + 1 < a.size() ? ",\n" : "\n";
        }
        out += closePad + "]";
    } else {
        out += compactJson(v).toUtf8();
    }
}
}  // namespace

QByteArray toOrderedJson(const QJsonObject& object, const std::function<QStringList(const QString&)>& keyOrder) {
    QByteArray out;
    writeOrdered(object, QString(), 0, keyOrder, out);
    return out + "\n";
}

}  // namespace fmsim::gui
