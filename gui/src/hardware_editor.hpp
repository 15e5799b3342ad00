#pragma once
// The device of the scenario, edited in a form generated from hwmodels::hardware_schema_docs(),
// next to its derived peaks (per-dtype TFLOP/s, ridge points, memory), which the facade
// recomputes from the edited JSON on every change. Edits become the scenario's
// hardware_overrides; the design can be saved as a new preset.
#include <QJsonObject>
#include <QWidget>

class QLabel;
class QPushButton;
class QTableWidget;

namespace fmsim::gui {

class SchemaForm;

class HardwareEditor : public QWidget {
    Q_OBJECT
public:
    explicit HardwareEditor(QWidget* parent = nullptr);

    // The device: `base` (a preset file's content, or an inline description) with `overrides`
    // (a merge patch) applied. `origin`: the file `base` came from (messages, relative tech paths).
    void setDevice(const QString& title, const QJsonObject& base, const QJsonObject& overrides, const QString& origin);
    // No device in the scenario (or it cannot be read): `why` replaces the form.
    void clearDevice(const QString& why);

    QJsonObject document() const;   // the edited description
    QJsonObject overrides() const;  // what differs from the base, as a merge patch
    SchemaForm* form() const { return m_form; }
    // The derived figures of the edited device (hardware_json); empty while it is invalid.
    QJsonObject derived() const { return m_derived; }
    // Dense matrix peak in FLOP/s for a dtype; NaN when invalid or the engine has no such path.
    double derivedMatrixPeak(const QString& dtype) const;
    QString errorText() const;

    // Writes the edited device as a preset file, with a source entry naming what was changed.
    bool savePreset(const QString& path, QString* error);

signals:
    void overridesChanged(const QJsonObject& overrides);
    void presetSaved(const QString& path);

private:
    void recompute();
    void showDerived();
    void askSavePreset();

    SchemaForm* m_form;
    QLabel* m_title;
    QLabel* m_error;
    QLabel* m_summary;
    QTableWidget* m_peaks;
    QPushButton* m_save;
    QPushButton* m_resetAll;
    QJsonObject m_derived;
    QString m_origin, m_baseName;
};

}  // namespace fmsim::gui
