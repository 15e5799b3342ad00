#pragma once
// An editor generated from parameter declarations (workloads::SchemaDoc): one row per declared
// field, with a widget for its type, its unit as the suffix and its doc as the tooltip. Nested
// objects become group boxes and lists of objects one group per element, so a parameter declared
// in the code appears here without GUI code.
#include <QJsonObject>
#include <QMap>
#include <QPointer>
#include <QStringList>
#include <QWidget>
#include <functional>
#include <vector>

#include "fmsim/workloads/model.hpp"

class QFormLayout;
class QLabel;
class QToolButton;
class QVBoxLayout;

namespace fmsim::gui {

class SchemaForm : public QWidget {
    Q_OBJECT
public:
    // `docs`: the schema and its sub-schemas; `root`: the name of the top one ("hardware").
    SchemaForm(std::vector<workloads::SchemaDoc> docs, QString root, QWidget* parent = nullptr);

    // Fields not shown (edited elsewhere), by dotted path: "model", "hardware_overrides".
    void setHiddenPaths(const QStringList& paths);
    // Suggestions make a string field an editable combo box (preset names, link names).
    void setSuggestions(const QString& path, const QStringList& values);
    // The edited object and the one it is compared with: fields that differ are marked, and their
    // reset button restores the base value (or removes the key where the base has none).
    void setDocument(const QJsonObject& document, const QJsonObject& base = {});
    QJsonObject document() const { return m_doc; }
    QJsonObject base() const { return m_base; }
    // Dotted paths of the fields that differ from the base.
    QStringList modifiedPaths() const;

    // The editor of a field by dotted path ("clock.sustained_mhz", "on_chip.0.name").
    QWidget* editorAt(const QString& path) const;
    // Marks the field an error's JSON pointer ("/clock/sustained_mhz") points at; "" clears.
    void markError(const QString& pointer);

signals:
    void edited();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    struct Field {
        QString path;
        workloads::FieldDoc doc;
        QWidget* editor = nullptr;
        QLabel* label = nullptr;
        QToolButton* reset = nullptr;
        std::function<void(const QJsonValue&)> show;  // puts a value (or the default) in the editor
    };

    void rebuild();
    void addFields(QFormLayout* form, const QString& schema, const QString& prefix);
    void addObjectList(QFormLayout* form, const workloads::FieldDoc& f, const QString& path, const QString& schema);
    void addLeaf(QFormLayout* form, const workloads::FieldDoc& f, const QString& path);
    QWidget* makeEditor(Field& field);
    void write(const QString& path, const QJsonValue& value);
    void refreshMarks();
    QString tooltip(const workloads::FieldDoc& f, const QString& path) const;
    const workloads::SchemaDoc* schema(const QString& name) const;

    std::vector<workloads::SchemaDoc> m_docs;
    QString m_root;
    QStringList m_hidden;
    QMap<QString, QStringList> m_suggestions;
    QJsonObject m_doc, m_base;
    QVector<Field> m_fields;
    QPointer<QWidget> m_content;
    QPointer<QWidget> m_errorEditor;
};

}  // namespace fmsim::gui
