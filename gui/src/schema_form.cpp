#include "schema_form.hpp"

#include <QAbstractSpinBox>
#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <limits>

#include "field_editors.hpp"
#include "json_util.hpp"

namespace fmsim::gui {

namespace {
const QString kSourcesType = QStringLiteral("object field -> text");
const QString kModifiedStyle = QStringLiteral("color: #1f5fbf; font-weight: bold;");
const QString kErrorStyle = QStringLiteral("border: 2px solid #d62728; border-radius: 3px;");
constexpr int kNullSentinel = -1;  // the spin-box value shown as "auto"/"none" for nullable fields
constexpr int kEditorMinWidthPx = 90;  // editors may shrink to this; their size hints assume huge values
constexpr int kComboMinChars = 8;

QString qs(const std::string& s) { return QString::fromStdString(s); }

// "object (hardware.clock)" -> "hardware.clock"; "list of hardware.on_chip[]" -> "hardware.on_chip[]".
QString nestedSchema(const QString& type, const char* prefix, const char* suffix) {
    if (!type.startsWith(prefix) || !type.endsWith(suffix)) return {};
    return type.mid(qstrlen(prefix), type.size() - qstrlen(prefix) - qstrlen(suffix));
}

QStringList choices(const QString& type) {
    QStringList out;
    static const QRegularExpression quoted(R"re("([^"]*)")re");
    for (auto it = quoted.globalMatch(type); it.hasNext();) out << it.next().captured(1);
    return out;
}

// The default a declaration states, as the editor shows it ("required" and prose: nothing).
QJsonValue declaredDefault(const workloads::FieldDoc& f) {
    const QString d = qs(f.default_text);
    if (d == "required" || d.isEmpty()) return QJsonValue(QJsonValue::Undefined);
    const QJsonValue v = parseLooseValue(d);
    return v.isString() && !choices(qs(f.type)).contains(d) && qs(f.type) != "string" ? QJsonValue(QJsonValue::Undefined)
                                                                                      : v;
}

QString suffixFor(const workloads::FieldDoc& f) {
    const QString u = qs(f.unit);
    return u.isEmpty() || u == "fraction" ? QString() : " " + u;
}
}  // namespace

SchemaForm::SchemaForm(std::vector<workloads::SchemaDoc> docs, QString root, QWidget* parent)
    : QWidget(parent), m_docs(std::move(docs)), m_root(std::move(root)) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    rebuild();
}

void SchemaForm::setHiddenPaths(const QStringList& paths) {
    m_hidden = paths;
    rebuild();
}

void SchemaForm::setSuggestions(const QString& path, const QStringList& values) {
    m_suggestions[path] = values;
    rebuild();
}

void SchemaForm::setDocument(const QJsonObject& document, const QJsonObject& base) {
    m_doc = document;
    m_base = base;
    rebuild();
}

const workloads::SchemaDoc* SchemaForm::schema(const QString& name) const {
    for (const auto& d : m_docs)
        if (qs(d.name) == name) return &d;
    return nullptr;
}

void SchemaForm::rebuild() {
    if (m_content) {
        m_content->hide();
        m_content->deleteLater();  // not delete: rebuild() may run from a slot of one of its buttons
    }
    m_fields.clear();
    m_errorEditor = nullptr;
    m_content = new QWidget(this);
    auto* form = new QFormLayout(m_content);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setContentsMargins(0, 0, 0, 0);
    addFields(form, m_root, QString());
    layout()->addWidget(m_content);
    refreshMarks();
}

void SchemaForm::addFields(QFormLayout* form, const QString& schemaName, const QString& prefix) {
    const workloads::SchemaDoc* s = schema(schemaName);
    if (!s) return;
    for (const auto& f : s->fields) {
        const QString path = prefix.isEmpty() ? qs(f.key) : prefix + "." + qs(f.key);
        if (m_hidden.contains(path)) continue;
        const QString type = qs(f.type);
        if (const QString sub = nestedSchema(type, "object (", ")"); !sub.isEmpty() && schema(sub)) {
            auto* box = new QGroupBox(qs(f.key), m_content);
            box->setToolTip(tooltip(f, path));
            auto* inner = new QFormLayout(box);
            inner->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
            addFields(inner, sub, path);
            form->addRow(box);
        } else if (const QString item = nestedSchema(type, "list of ", ""); schema(item)) {
            addObjectList(form, f, path, item);
        } else {
            addLeaf(form, f, path);
        }
    }
}

void SchemaForm::addObjectList(QFormLayout* form, const workloads::FieldDoc& f, const QString& path,
                               const QString& itemSchema) {
    auto* box = new QGroupBox(qs(f.key), m_content);
    box->setToolTip(tooltip(f, path));
    auto* column = new QVBoxLayout(box);
    const QJsonArray items = valueAt(m_doc, path).toArray();
    for (int i = 0; i < items.size(); ++i) {
        const QString name = items.at(i).toObject().value("name").toString();
        auto* element = new QGroupBox(name.isEmpty() ? QString("#%1").arg(i) : QString("#%1 %2").arg(i).arg(name), box);
        auto* inner = new QFormLayout(element);
        inner->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
        addFields(inner, itemSchema, path + "." + QString::number(i));
        auto* remove = new QPushButton("Remove " + (name.isEmpty() ? QString("#%1").arg(i) : name), element);
        remove->setEnabled(items.size() > 1);
        connect(remove, &QPushButton::clicked, this, [this, path, i] {
            QJsonArray a = valueAt(m_doc, path).toArray();
            a.removeAt(i);
            setValueAt(m_doc, path, a);
            // Rebuilt after this click returns: the button is part of what is rebuilt.
            QMetaObject::invokeMethod(this, &SchemaForm::rebuild, Qt::QueuedConnection);
            emit edited();
        });
        inner->addRow(remove);
        column->addWidget(element);
    }
    auto* add = new QPushButton("Add " + qs(f.key) + " entry", box);
    connect(add, &QPushButton::clicked, this, [this, path] {
        QJsonArray a = valueAt(m_doc, path).toArray();
        a.append(a.isEmpty() ? QJsonObject() : a.last());  // a copy of the last entry to edit
        setValueAt(m_doc, path, a);
        QMetaObject::invokeMethod(this, &SchemaForm::rebuild, Qt::QueuedConnection);
        emit edited();
    });
    column->addWidget(add);
    form->addRow(box);
}

void SchemaForm::addLeaf(QFormLayout* form, const workloads::FieldDoc& f, const QString& path) {
    Field field;
    field.path = path;
    field.doc = f;
    field.editor = makeEditor(field);
    field.editor->setObjectName(path);
    field.editor->setMinimumWidth(kEditorMinWidthPx);
    if (auto* combo = qobject_cast<QComboBox*>(field.editor)) {
        combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        combo->setMinimumContentsLength(kComboMinChars);
    }
    field.editor->setToolTip(tooltip(f, path));
    field.editor->installEventFilter(this);
    for (auto* child : field.editor->findChildren<QWidget*>()) child->installEventFilter(this);
    field.label = new QLabel(qs(f.key), m_content);
    field.label->setToolTip(field.editor->toolTip());
    field.reset = new QToolButton(m_content);
    field.reset->setText(QStringLiteral("↺"));
    field.reset->setToolTip(m_base.isEmpty() ? "Remove: use the default" : "Reset to the base value");
    field.reset->setAutoRaise(true);
    connect(field.reset, &QToolButton::clicked, this, [this, path] {
        const QJsonValue baseValue = valueAt(m_base, path);
        setValueAt(m_doc, path, baseValue);
        // Drop parents the removal left empty when the base does not have them either.
        for (QString parent = path.section('.', 0, -2); !parent.isEmpty(); parent = parent.section('.', 0, -2))
            if (valueAt(m_doc, parent).toObject().isEmpty() && valueAt(m_base, parent).isUndefined())
                setValueAt(m_doc, parent, QJsonValue(QJsonValue::Undefined));
        for (const Field& fl : m_fields)
            if (fl.path == path) fl.show(baseValue);
        refreshMarks();
        emit edited();
    });
    auto* row = new QWidget(m_content);
    auto* h = new QHBoxLayout(row);
    h->setContentsMargins(0, 0, 0, 0);
    h->setSpacing(2);
    h->addWidget(field.editor, 1);
    h->addWidget(field.reset);
    form->addRow(field.label, row);
    field.show(valueAt(m_doc, path));
    m_fields << field;
}

QWidget* SchemaForm::makeEditor(Field& field) {
    const workloads::FieldDoc& f = field.doc;
    const QString type = qs(f.type), path = field.path;
    const QJsonValue dflt = declaredDefault(f);
    auto orDefault = [dflt](const QJsonValue& v) { return v.isUndefined() ? dflt : v; };
    const bool nullable = qs(f.default_text).startsWith("null") || type.endsWith("or null");

    if (type == "integer" || type == "integer or null") {
        auto* w = new QSpinBox(m_content);
        w->setRange(nullable ? kNullSentinel : 0, std::numeric_limits<int>::max());
        if (nullable) w->setSpecialValueText("auto");
        w->setSuffix(suffixFor(f));
        field.show = [w, orDefault, nullable](const QJsonValue& v) {
            const QSignalBlocker b(w);
            const QJsonValue shown = orDefault(v);
            w->setValue(nullable && shown.isNull() ? kNullSentinel : shown.toInt());
        };
        connect(w, &QSpinBox::valueChanged, this, [this, path, nullable](int v) {
            write(path, nullable && v == kNullSentinel ? QJsonValue(QJsonValue::Null) : QJsonValue(v));
        });
        return w;
    }
    if (type == "number" || type.startsWith("number in")) {
        auto* w = new NumberSpinBox(m_content);
        if (nullable) {
            w->setMinimum(kNullSentinel);
            w->setSpecialValueText("none");
        }
        if (type.startsWith("number in")) w->setMaximum(1);  // a fraction, (0, 1]
        w->setSuffix(suffixFor(f));
        field.show = [w, orDefault, nullable](const QJsonValue& v) {
            const QSignalBlocker b(w);
            const QJsonValue shown = orDefault(v);
            w->setValue(nullable && (shown.isNull() || shown.isUndefined()) ? kNullSentinel : shown.toDouble());
        };
        connect(w, &QDoubleSpinBox::valueChanged, this, [this, path, nullable](double v) {
            write(path, nullable && v == kNullSentinel ? QJsonValue(QJsonValue::Null) : QJsonValue(v));
        });
        return w;
    }
    if (type == "boolean") {
        auto* w = new QCheckBox(m_content);
        field.show = [w, orDefault](const QJsonValue& v) {
            const QSignalBlocker b(w);
            w->setChecked(orDefault(v).toBool());
        };
        connect(w, &QCheckBox::toggled, this, [this, path](bool on) { write(path, on); });
        return w;
    }
    // A choice is a fixed list; a string with suggestions is an editable one.
    const bool choice = type.startsWith("one of ");
    if (choice || (type == "string" && m_suggestions.contains(path))) {
        auto* w = new QComboBox(m_content);
        w->setEditable(!choice);
        w->addItems(choice ? choices(type) : m_suggestions.value(path));
        field.show = [w, orDefault](const QJsonValue& v) {
            const QSignalBlocker b(w);
            w->setCurrentText(orDefault(v).toString());
        };
        connect(w, &QComboBox::currentTextChanged, this, [this, path](const QString& t) { write(path, t); });
        return w;
    }
    if (type == "string") {
        auto* w = new QLineEdit(m_content);
        field.show = [w, orDefault](const QJsonValue& v) {
            const QSignalBlocker b(w);
            w->setText(orDefault(v).toString());
            w->setCursorPosition(0);  // long texts show their beginning
        };
        connect(w, &QLineEdit::textEdited, this, [this, path](const QString& t) { write(path, t); });
        return w;
    }
    if (type == "list of integers") {
        auto* w = new IntListEdit(m_content);
        field.show = [w, orDefault](const QJsonValue& v) {
            const QSignalBlocker b(w);
            w->setValue(orDefault(v));
        };
        connect(w, &QLineEdit::textEdited, this, [this, path, w] {
            if (const QJsonValue v = w->value(); !v.isUndefined()) write(path, v);
        });
        return w;
    }
    if (type == "object dtype -> number") {
        auto* w = new DtypeRatesEditor(path, qs(f.unit), m_content);
        field.show = [w, orDefault](const QJsonValue& v) { w->setValue(orDefault(v).toObject()); };
        connect(w, &DtypeRatesEditor::changed, this, [this, path, w] { write(path, w->value()); });
        return w;
    }
    if (type == kSourcesType) {
        auto* w = new QLabel(m_content);
        w->setWordWrap(true);
        field.show = [w](const QJsonValue& v) {
            w->setText(QString("%1 entries; each field's tooltip shows its source").arg(v.toObject().size()));
        };
        return w;
    }
    // Any other declared type (an object, a list of strings, "string or object"): JSON text.
    auto* w = new JsonLineEdit(m_content);
    field.show = [w, orDefault](const QJsonValue& v) {
        const QSignalBlocker b(w);
        w->setValue(orDefault(v));
    };
    connect(w, &QLineEdit::textEdited, this, [this, path, w] { write(path, w->value()); });
    return w;
}

void SchemaForm::write(const QString& path, const QJsonValue& value) {
    setValueAt(m_doc, path, value);
    refreshMarks();
    emit edited();
}

QStringList SchemaForm::modifiedPaths() const {
    QStringList out;
    for (const Field& f : m_fields)
        if (valueAt(m_doc, f.path) != valueAt(m_base, f.path)) out << f.path;
    return out;
}

void SchemaForm::refreshMarks() {
    for (const Field& f : m_fields) {
        const bool modified = valueAt(m_doc, f.path) != valueAt(m_base, f.path);
        f.label->setStyleSheet(modified ? kModifiedStyle : QString());
        f.reset->setVisible(modified);
    }
}

QWidget* SchemaForm::editorAt(const QString& path) const {
    for (const Field& f : m_fields)
        if (f.path == path) return f.editor;
    return m_content ? m_content->findChild<QWidget*>(path) : nullptr;
}

void SchemaForm::markError(const QString& pointer) {
    if (m_errorEditor) m_errorEditor->setStyleSheet(QString());
    m_errorEditor = nullptr;
    QString path = pointer.mid(1).replace('/', '.');
    // The deepest field the pointer names: "/cores/matrix_engine/dense_flops_per_cycle/bf16" marks
    // the rates editor.
    for (; !path.isEmpty(); path = path.section('.', 0, -2))
        if (QWidget* w = editorAt(path)) {
            m_errorEditor = w;
            w->setStyleSheet(kErrorStyle);
            return;
        }
}

QString SchemaForm::tooltip(const workloads::FieldDoc& f, const QString& path) const {
    QString tip = "<b>" + path.toHtmlEscaped() + "</b> — " + qs(f.type).toHtmlEscaped();
    if (!f.unit.empty()) tip += ", " + qs(f.unit).toHtmlEscaped();
    tip += "<br>" + qs(f.doc).toHtmlEscaped();
    if (!f.default_text.empty() && f.default_text != "required")
        tip += "<br><i>Default:</i> " + qs(f.default_text).toHtmlEscaped();
    // The source a preset gives for this field, or for the nearest section above it (list entries
    // by their name: "on_chip.l2").
    const workloads::SchemaDoc* root = schema(m_root);
    for (const auto& rf : root ? root->fields : std::vector<workloads::FieldDoc>{}) {
        if (qs(rf.type) != kSourcesType) continue;
        const QJsonObject sources = m_doc.value(qs(rf.key)).toObject();
        QStringList parts = path.split('.');
        for (int i = 1; i < parts.size(); ++i) {
            bool isIndex = false;
            parts.at(i).toInt(&isIndex);
            const QString name = valueAt(m_doc, parts.mid(0, i + 1).join('.') + ".name").toString();
            if (isIndex && !name.isEmpty()) parts[i] = name;
        }
        for (; !parts.isEmpty(); parts.removeLast())
            if (sources.contains(parts.join('.'))) {
                tip += "<br><i>Source (" + parts.join('.').toHtmlEscaped() + "):</i> " +
                       sources.value(parts.join('.')).toString().toHtmlEscaped();
                break;
            }
    }
    return "<p style='white-space:pre-wrap; max-width: 480px'>" + tip + "</p>";
}

bool SchemaForm::eventFilter(QObject* watched, QEvent* event) {
    // A wheel over an unfocused spin box or combo scrolls the form instead of changing the value.
    auto* w = qobject_cast<QWidget*>(watched);
    if (event->type() == QEvent::Wheel && w && !w->hasFocus() &&
        (qobject_cast<QAbstractSpinBox*>(w) || qobject_cast<QComboBox*>(w))) {
        if (w->parentWidget()) QCoreApplication::sendEvent(w->parentWidget(), event);
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

}  // namespace fmsim::gui
