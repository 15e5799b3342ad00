#include "field_editors.hpp"

#include <QCheckBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLocale>
#include <QRegularExpressionValidator>
#include <limits>

#include "fmsim/workloads/dtype.hpp"
#include "json_util.hpp"

namespace fmsim::gui {

namespace {
constexpr int kShownDigits = 12;     // significant digits a typed value keeps when shown
constexpr int kStoredDecimals = 9;   // QDoubleSpinBox rounds to this many decimals
constexpr double kNumberMax = 1e18;  // no declared quantity comes near this
}  // namespace

QStringList dtypeNames() {
    return QString::fromStdString(workloads::dtype_names()).split(", ", Qt::SkipEmptyParts);
}

QStringList mathDtypeNames() {
    return QString::fromStdString(workloads::math_dtype_names()).split(", ", Qt::SkipEmptyParts);
}

NumberSpinBox::NumberSpinBox(QWidget* parent) : QDoubleSpinBox(parent) {
    setDecimals(kStoredDecimals);
    setRange(0, kNumberMax);
    setStepType(QAbstractSpinBox::AdaptiveDecimalStepType);
    setLocale(QLocale::c());
}

QString NumberSpinBox::textFromValue(double value) const { return QString::number(value, 'g', kShownDigits); }

double NumberSpinBox::valueFromText(const QString& text) const {
    QString t = text;
    if (!suffix().isEmpty() && t.endsWith(suffix())) t.chop(suffix().size());
    return t.trimmed().toDouble();
}

QValidator::State NumberSpinBox::validate(QString& text, int&) const {
    QString t = text;
    if (!suffix().isEmpty() && t.endsWith(suffix())) t.chop(suffix().size());
    t = t.trimmed();
    if (!specialValueText().isEmpty() && text == specialValueText()) return QValidator::Acceptable;
    if (t.isEmpty() || t == "-" || t.endsWith('e') || t.endsWith('.')) return QValidator::Intermediate;
    bool ok = false;
    const double v = t.toDouble(&ok);
    if (!ok) return QValidator::Invalid;
    return v >= minimum() && v <= maximum() ? QValidator::Acceptable : QValidator::Intermediate;
}

DtypeRatesEditor::DtypeRatesEditor(const QString& path, const QString& unit, QWidget* parent) : QWidget(parent) {
    setObjectName(path);
    auto* grid = new QGridLayout(this);
    grid->setContentsMargins(0, 0, 0, 0);
    grid->setVerticalSpacing(2);
    m_order = mathDtypeNames();
    constexpr int kColumns = 2;  // dtype pairs side by side keep the form short
    for (int i = 0; i < m_order.size(); ++i) {
        const QString& d = m_order.at(i);
        Row row{new QCheckBox(d, this), new NumberSpinBox(this)};
        row.enabled->setObjectName(path + "." + d + ".enabled");
        row.rate->setObjectName(path + "." + d);
        if (!unit.isEmpty()) row.rate->setSuffix(" " + unit);
        row.rate->setEnabled(false);
        row.enabled->setToolTip("Checked: the engine has a " + d + " path at this rate");
        connect(row.enabled, &QCheckBox::toggled, this, [this, d](bool on) {
            m_rows[d].rate->setEnabled(on);
            emit changed();
        });
        connect(row.rate, &QDoubleSpinBox::valueChanged, this, [this] { emit changed(); });
        grid->addWidget(row.enabled, i / kColumns, (i % kColumns) * 2);
        grid->addWidget(row.rate, i / kColumns, (i % kColumns) * 2 + 1);
        m_rows.insert(d, row);
    }
}

void DtypeRatesEditor::setValue(const QJsonObject& rates) {
    for (const QString& d : m_order) {
        const Row& r = m_rows[d];
        const QSignalBlocker b1(r.enabled), b2(r.rate);
        r.enabled->setChecked(rates.contains(d));
        r.rate->setEnabled(rates.contains(d));
        r.rate->setValue(rates.value(d).toDouble());
    }
}

QJsonObject DtypeRatesEditor::value() const {
    QJsonObject out;
    for (const QString& d : m_order)
        if (m_rows[d].enabled->isChecked()) out[d] = m_rows[d].rate->value();
    return out;
}

IntListEdit::IntListEdit(QWidget* parent) : QLineEdit(parent) {
    setValidator(new QRegularExpressionValidator(QRegularExpression(R"(\s*\d*(\s*,\s*\d*)*\s*)"), this));
    setPlaceholderText("e.g. 64, 256, 16");
}

void IntListEdit::setValue(const QJsonValue& list) {
    QStringList parts;
    for (const auto& v : list.toArray()) parts << QString::number(v.toInteger());
    setText(parts.join(", "));
}

QJsonValue IntListEdit::value() const {
    QJsonArray out;
    for (const QString& p : text().split(',')) {
        bool ok = false;
        const qint64 v = p.trimmed().toLongLong(&ok);
        if (!ok) return QJsonValue(QJsonValue::Undefined);
        out << v;
    }
    return out;
}

JsonLineEdit::JsonLineEdit(QWidget* parent) : QLineEdit(parent) { setPlaceholderText("JSON or text"); }

void JsonLineEdit::setValue(const QJsonValue& v) {
    setText(v.isUndefined() || v.isNull() ? QString() : v.isString() ? v.toString() : compactJson(v));
}

QJsonValue JsonLineEdit::value() const { return parseLooseValue(text()); }

}  // namespace fmsim::gui
