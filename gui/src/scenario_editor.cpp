#include "scenario_editor.hpp"

#include <QComboBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>
#include <QVBoxLayout>

#include "field_editors.hpp"
#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/hwmodels/link.hpp"
#include "fmsim/hwmodels/runtime.hpp"
#include "fmsim/sim/scenario.hpp"
#include "fmsim/workloads/model.hpp"
#include "json_util.hpp"
#include "schema_form.hpp"

namespace fmsim::gui {

namespace {
const QString kNoDevice = QStringLiteral("(none: the workload only)");
const QString kInline = QStringLiteral("\x01inline");  // item data of an inline description (no file name)
const QString kSameAsActivations = QStringLiteral("= activations");
const QString kDefaultDtype = QStringLiteral("bf16");  // the scenario's default precision (docs/config-reference.md)

QStringList qStrings(const std::vector<std::string>& v) {
    QStringList out;
    for (const auto& s : v) out << QString::fromStdString(s);
    return out;
}

QToolButton* browseButton(const QString& tip, QWidget* parent) {
    auto* b = new QToolButton(parent);
    b->setText("…");
    b->setToolTip(tip);
    return b;
}
}  // namespace

ScenarioEditor::ScenarioEditor(QWidget* parent) : QWidget(parent) {
    m_title = new QLabel(this);
    m_title->setWordWrap(true);
    m_model = new QComboBox(this);
    m_model->setEditable(true);
    m_model->addItems(qStrings(workloads::zoo_names()));
    m_model->setObjectName("model");
    m_model->setToolTip("A zoo model (configs/models/) or a path to a model config / Hugging Face config.json");
    m_hardware = new QComboBox(this);
    m_hardware->setObjectName("hardware");
    m_hardware->setToolTip("A hardware preset (configs/hardware/), a hardware file, or none");
    for (QComboBox* c : {m_model, m_hardware}) {
        c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        constexpr int kNameChars = 12;
        c->setMinimumContentsLength(kNameChars);
    }
    m_weights = new QComboBox(this);
    m_activations = new QComboBox(this);
    m_kvCache = new QComboBox(this);
    m_math = new QComboBox(this);
    for (QComboBox* c : {m_weights, m_activations}) c->addItems(dtypeNames());
    for (QComboBox* c : {m_kvCache, m_math}) c->addItems(QStringList{kSameAsActivations} + dtypeNames());
    m_weights->setObjectName("precision.weights");
    m_activations->setObjectName("precision.activations");
    m_kvCache->setObjectName("precision.kv_cache");
    m_math->setObjectName("precision.math");
    refreshPresets();

    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(m_model, 1);
    auto* modelFile = browseButton("Open a Hugging Face config.json or a model config file", this);
    modelRow->addWidget(modelFile);
    auto* hwRow = new QHBoxLayout;
    hwRow->addWidget(m_hardware, 1);
    auto* hwFile = browseButton("Open a hardware description file", this);
    hwRow->addWidget(hwFile);
    auto* top = new QGroupBox("Model and device", this);
    auto* tf = new QFormLayout(top);
    tf->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    tf->addRow("model", modelRow);
    tf->addRow("hardware", hwRow);
    auto* precision = new QGroupBox("precision", this);
    precision->setToolTip("Storage and math dtypes per tensor class; KV cache and math follow the activations "
                          "unless set");
    auto* pf = new QFormLayout(precision);
    pf->addRow("weights", m_weights);
    pf->addRow("activations", m_activations);
    pf->addRow("kv_cache", m_kvCache);
    pf->addRow("math", m_math);

    m_form = new SchemaForm(sim::scenario_schema_docs(), "scenario", this);
    m_form->setHiddenPaths({"model", "hardware", "hardware_overrides", "precision"});
    m_form->setSuggestions("runtime", qStrings(hwmodels::runtime_names()));
    const QStringList links = QStringList{QString()} + qStrings(hwmodels::link_names());
    m_form->setSuggestions("system.intra_node", links);
    m_form->setSuggestions("system.inter_node", links);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(top);
    layout->addWidget(precision);
    layout->addWidget(m_form);
    layout->addStretch();

    connect(m_model, &QComboBox::currentTextChanged, this, [this](const QString& t) {
        if (!t.isEmpty()) setKey("model", t);
    });
    connect(m_hardware, &QComboBox::currentIndexChanged, this, [this](int i) {
        const QString data = m_hardware->itemData(i).toString();
        // A device picked by hand starts from that device: edits made to the previous one are dropped.
        m_scenario.remove("hardware_overrides");
        if (data == kInline) setKey("hardware", m_inlineHardware);
        else setKey("hardware", data.isEmpty() ? QJsonValue(QJsonValue::Undefined) : QJsonValue(data));
        emit deviceChanged();
    });
    for (QComboBox* c : {m_weights, m_activations, m_kvCache, m_math})
        connect(c, &QComboBox::currentIndexChanged, this, [this] { setKey("precision", precisionValue()); });
    connect(modelFile, &QToolButton::clicked, this, &ScenarioEditor::pickModelFile);
    connect(hwFile, &QToolButton::clicked, this, &ScenarioEditor::pickHardwareFile);
    connect(m_form, &SchemaForm::edited, this, [this] {
        // The form holds every key but the ones edited above; merge its view back.
        QJsonObject next = m_form->document();
        for (const char* k : {"model", "hardware", "hardware_overrides", "precision"}) {
            if (m_scenario.contains(k)) next[k] = m_scenario.value(k);
            else next.remove(k);
        }
        m_scenario = next;
        emit changed();
    });
}

void ScenarioEditor::refreshPresets() {
    const QSignalBlocker b(m_hardware);
    const QJsonValue hw = m_scenario.value("hardware");
    const QString current = hw.isObject() ? kInline : hw.toString();
    if (hw.isObject()) m_inlineHardware = hw.toObject();
    m_hardware->clear();
    m_hardware->addItem(kNoDevice, QString());
    for (const QString& n : qStrings(hwmodels::hardware_names())) m_hardware->addItem(n, n);
    if (hw.isObject()) m_hardware->addItem("(inline description)", kInline);
    else if (!current.isEmpty() && m_hardware->findData(current) < 0) m_hardware->addItem(current, current);
    m_hardware->setCurrentIndex(std::max(0, m_hardware->findData(current)));
}

void ScenarioEditor::setScenario(const QJsonObject& scenario, const QString& originDir, const QString& displayName) {
    m_scenario = scenario;
    m_originDir = originDir;
    m_displayName = displayName;
    showScenario();
    emit deviceChanged();
    emit changed();
}

void ScenarioEditor::showScenario() {
    m_title->setText("<b>" + m_displayName.toHtmlEscaped() + "</b>" +
                     (m_originDir.isEmpty() ? QString() : "<br><small>" + m_originDir.toHtmlEscaped() + "</small>"));
    {
        const QSignalBlocker b(m_model);
        const QJsonValue model = m_scenario.value("model");
        m_model->setCurrentText(model.isString() ? model.toString() : QString("(inline model config)"));
    }
    refreshPresets();
    const QJsonValue p = m_scenario.value("precision");
    const QJsonObject po = p.toObject();
    const QString all = p.isString() ? p.toString() : QString();
    auto pick = [](QComboBox* c, const QString& v) {
        const QSignalBlocker b(c);
        c->setCurrentIndex(std::max(0, c->findText(v)));
    };
    pick(m_weights, all.isEmpty() ? po.value("weights").toString(kDefaultDtype) : all);
    pick(m_activations, all.isEmpty() ? po.value("activations").toString(kDefaultDtype) : all);
    pick(m_kvCache, all.isEmpty() ? po.value("kv_cache").toString(kSameAsActivations) : kSameAsActivations);
    pick(m_math, all.isEmpty() ? po.value("math").toString(kSameAsActivations) : kSameAsActivations);
    // Compared with the scenario as opened: marks show what was edited since.
    m_form->setDocument(m_scenario, m_scenario);
}

QJsonValue ScenarioEditor::precisionValue() const {
    const QString w = m_weights->currentText(), a = m_activations->currentText();
    const QString kv = m_kvCache->currentText(), math = m_math->currentText();
    // One name when every class is the same, as the shipped scenarios write it.
    if (w == a && kv == kSameAsActivations && math == kSameAsActivations) return w;
    QJsonObject o{{"weights", w}, {"activations", a}};
    if (kv != kSameAsActivations) o["kv_cache"] = kv;
    if (math != kSameAsActivations) o["math"] = math;
    return o;
}

void ScenarioEditor::setKey(const QString& key, const QJsonValue& value) {
    setValueAt(m_scenario, key, value);
    emit changed();
}

void ScenarioEditor::setHardwareOverrides(const QJsonObject& overrides) {
    setKey("hardware_overrides", overrides.isEmpty() ? QJsonValue(QJsonValue::Undefined) : QJsonValue(overrides));
}

void ScenarioEditor::pickModelFile() {
    const QString path = QFileDialog::getOpenFileName(this, "Open a model config", m_originDir,
                                                      "Model config (*.json)");
    if (path.isEmpty()) return;
    m_model->setCurrentText(path);  // an absolute path: valid wherever the scenario is written
}

void ScenarioEditor::pickHardwareFile() {
    const QString path = QFileDialog::getOpenFileName(this, "Open a hardware description", m_originDir,
                                                      "Hardware description (*.json)");
    if (path.isEmpty()) return;
    const QSignalBlocker b(m_hardware);
    if (m_hardware->findData(path) < 0) m_hardware->addItem(path, path);
    m_hardware->setCurrentIndex(m_hardware->findData(path));
    m_scenario.remove("hardware_overrides");
    setKey("hardware", path);
    emit deviceChanged();
}

}  // namespace fmsim::gui
