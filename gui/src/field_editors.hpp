#pragma once
// Editor widgets for the declared field types the schema form cannot express with a stock Qt
// widget: numbers shown as typed, per-dtype rates and integer lists.
#include <QDoubleSpinBox>
#include <QJsonObject>
#include <QJsonValue>
#include <QLineEdit>
#include <QMap>
#include <QWidget>

class QCheckBox;

namespace fmsim::gui {

// A spin box that shows a number as typed (1470, 0.87, 234.2), not padded to fixed decimals.
class NumberSpinBox : public QDoubleSpinBox {
    Q_OBJECT
public:
    explicit NumberSpinBox(QWidget* parent = nullptr);
    QString textFromValue(double value) const override;
    double valueFromText(const QString& text) const override;
    QValidator::State validate(QString& text, int& pos) const override;
};

// {"bf16": 4096, "fp8": 8192, ...}: one checkable row per dtype; unchecked dtypes are absent
// (the engine has no path for them). Child editors are named PATH.DTYPE.
class DtypeRatesEditor : public QWidget {
    Q_OBJECT
public:
    DtypeRatesEditor(const QString& path, const QString& unit, QWidget* parent = nullptr);
    void setValue(const QJsonObject& rates);
    QJsonObject value() const;

signals:
    void changed();

private:
    struct Row {
        QCheckBox* enabled;
        NumberSpinBox* rate;
    };
    QMap<QString, Row> m_rows;  // by dtype name
    QStringList m_order;
};

// A list of integers as "64, 256, 16".
class IntListEdit : public QLineEdit {
    Q_OBJECT
public:
    explicit IntListEdit(QWidget* parent = nullptr);
    void setValue(const QJsonValue& list);
    QJsonValue value() const;  // Undefined while the text is not a list of integers
};

// Any JSON value as compact text (objects, lists of strings, "string or object"): a value that
// does not parse as JSON is taken as a string, as `fmsim run --set` does.
class JsonLineEdit : public QLineEdit {
    Q_OBJECT
public:
    explicit JsonLineEdit(QWidget* parent = nullptr);
    void setValue(const QJsonValue& v);
    QJsonValue value() const;
};

// Names of the dtypes the simulator knows, in its order (workloads::dtype_names()).
QStringList dtypeNames();
QStringList mathDtypeNames();  // without storage-only layouts (int4g32): rate tables' keys

}  // namespace fmsim::gui
