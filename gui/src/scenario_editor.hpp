#pragma once
// The scenario being explored, edited as its file's JSON: a model (zoo name or a Hugging Face
// config.json), a device preset, the precision per tensor class, and every other run key in a form
// generated from sim::scenario_schema_docs() (phase, batch, lengths, parallelism, devices, cost...).
#include <QJsonObject>
#include <QWidget>

class QComboBox;
class QLabel;

namespace fmsim::gui {

class SchemaForm;

class ScenarioEditor : public QWidget {
    Q_OBJECT
public:
    explicit ScenarioEditor(QWidget* parent = nullptr);

    // `originDir`: the folder relative references resolve against (the file's; "" for a new one).
    // `displayName`: how messages and the title name it.
    void setScenario(const QJsonObject& scenario, const QString& originDir, const QString& displayName);
    QJsonObject scenario() const { return m_scenario; }
    QString originDir() const { return m_originDir; }
    QString displayName() const { return m_displayName; }
    void setHardwareOverrides(const QJsonObject& overrides);
    // Reloads the preset lists (after a preset was saved).
    void refreshPresets();
    SchemaForm* form() const { return m_form; }

signals:
    void changed();        // any edit
    void deviceChanged();  // the hardware reference changed: the hardware editor reloads

private:
    void showScenario();
    void setKey(const QString& key, const QJsonValue& value);
    void pickModelFile();
    void pickHardwareFile();
    QJsonValue precisionValue() const;

    QJsonObject m_scenario;
    QJsonObject m_inlineHardware;  // the scenario's own description, when it has one
    QString m_originDir, m_displayName;
    QLabel* m_title;
    QComboBox* m_model;
    QComboBox* m_hardware;
    QComboBox* m_weights;
    QComboBox* m_activations;
    QComboBox* m_kvCache;
    QComboBox* m_math;
    SchemaForm* m_form;
};

}  // namespace fmsim::gui
