#include "hardware_editor.hpp"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollArea>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>
#include <limits>

#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/sim/hardware_report.hpp"
#include "fmsim/sim/session.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model.hpp"
#include "field_editors.hpp"
#include "format.hpp"
#include "json_util.hpp"
#include "scenario_file.hpp"
#include "schema_form.hpp"

namespace fmsim::gui {

namespace {
constexpr int kPanelWidthPx = 400;  // the derived-figures column; the form takes the rest
enum PeakColumn { colDtype, colMatrix, colVector, colRidge, colCount };

bool isIntegerDtype(const QString& d) { return d.startsWith("int"); }

// FLOP/s as TFLOP/s, TOP/s for integer dtypes.
QString peakText(double flops, const QString& dtype) {
    QString t = formatQuantity(flops, Unit::flops_per_s);
    return isIntegerDtype(dtype) ? t.replace("FLOP/s", "OP/s") : t;
}
}  // namespace

HardwareEditor::HardwareEditor(QWidget* parent) : QWidget(parent) {
    m_form = new SchemaForm(hwmodels::hardware_schema_docs(), "hardware", this);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_form);
    scroll->setWidgetResizable(true);

    m_title = new QLabel(this);
    m_title->setWordWrap(true);
    m_error = new QLabel(this);
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet("background: #fde8e8; color: #8a1c1c; border: 1px solid #e0a0a0; padding: 4px;");
    m_error->hide();
    m_peaks = new QTableWidget(0, colCount, this);
    m_peaks->setObjectName("derived.peaks");
    m_peaks->setHorizontalHeaderLabels({"dtype", "matrix peak", "vector peak", "ridge point"});
    m_peaks->horizontalHeaderItem(colRidge)->setToolTip("Matrix peak / memory bandwidth: the arithmetic intensity "
                                                        "(FLOP per off-chip byte) above which a kernel can be compute-bound");
    m_peaks->verticalHeader()->hide();
    constexpr int kRowHeightPx = 24;
    m_peaks->verticalHeader()->setDefaultSectionSize(kRowHeightPx);
    m_peaks->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_peaks->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_peaks->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_peaks->setSelectionMode(QAbstractItemView::NoSelection);
    m_summary = new QLabel(this);
    m_summary->setWordWrap(true);
    m_summary->setObjectName("derived.summary");
    m_summary->setTextFormat(Qt::RichText);
    m_save = new QPushButton("Save as new preset…", this);
    m_save->setToolTip("Write this device as a preset file (default: configs/hardware/), usable by name");
    m_resetAll = new QPushButton("Reset all edits", this);

    auto* derived = new QGroupBox("Derived figures (sustained clock)", this);
    auto* dl = new QVBoxLayout(derived);
    dl->addWidget(m_peaks);
    dl->addWidget(m_summary);
    dl->addStretch();
    auto* side = new QVBoxLayout;
    side->addWidget(m_title);
    side->addWidget(m_error);
    side->addWidget(derived, 1);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_resetAll);
    buttons->addWidget(m_save);
    side->addLayout(buttons);
    auto* sideWidget = new QWidget(this);
    sideWidget->setLayout(side);
    sideWidget->setFixedWidth(kPanelWidthPx);
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(scroll, 1);
    layout->addWidget(sideWidget);

    connect(m_form, &SchemaForm::edited, this, [this] {
        recompute();
        emit overridesChanged(overrides());
    });
    connect(m_save, &QPushButton::clicked, this, &HardwareEditor::askSavePreset);
    connect(m_resetAll, &QPushButton::clicked, this, [this] {
        m_form->setDocument(m_form->base(), m_form->base());
        recompute();
        emit overridesChanged(overrides());
    });
    clearDevice("No scenario loaded.");
}

void HardwareEditor::setDevice(const QString& title, const QJsonObject& base, const QJsonObject& overrides,
                               const QString& origin) {
    m_origin = origin;
    m_baseName = QFileInfo(origin).completeBaseName();
    m_title->setText(title);
    m_form->setEnabled(true);
    m_form->setDocument(mergePatch(base, overrides), base);
    m_save->setEnabled(true);
    m_resetAll->setEnabled(true);
    recompute();
}

void HardwareEditor::clearDevice(const QString& why) {
    m_title->setText(why);
    m_form->setDocument({}, {});
    m_form->setEnabled(false);
    m_save->setEnabled(false);
    m_resetAll->setEnabled(false);
    m_derived = {};
    m_error->hide();
    showDerived();
}

QJsonObject HardwareEditor::document() const { return m_form->document(); }

QJsonObject HardwareEditor::overrides() const { return mergeDiff(m_form->base(), m_form->document()); }

QString HardwareEditor::errorText() const { return m_error->isHidden() ? QString() : m_error->text(); }

double HardwareEditor::derivedMatrixPeak(const QString& dtype) const {
    return numberAt(m_derived, "peak_matrix_flops_per_s." + dtype);
}

void HardwareEditor::recompute() {
    const std::string text = QJsonDocument(m_form->document()).toJson(QJsonDocument::Compact).toStdString();
    try {
        const hwmodels::HardwareSpec spec = sim::hardware_from_json_text(text, m_origin.toStdString());
        m_derived = parseObject(QByteArray::fromStdString(sim::hardware_json(spec)));
        m_error->hide();
        m_form->markError({});
    } catch (const ConfigError& e) {
        m_derived = {};
        // The file is the preset the edit started from; the JSON path and message are what matter.
        const QString message = QString::fromStdString(e.what()).mid(static_cast<qsizetype>(e.file().size()) + 2);
        m_error->setText("Invalid device: " + message);
        m_error->show();
        m_form->markError(QString::fromStdString(e.pointer()));
    } catch (const UserError& e) {
        m_derived = {};
        m_error->setText("Invalid device: " + QString::fromStdString(e.what()));
        m_error->show();
    }
    showDerived();
}

void HardwareEditor::showDerived() {
    const QJsonObject matrix = m_derived.value("peak_matrix_flops_per_s").toObject();
    const QJsonObject vector = m_derived.value("peak_vector_flops_per_s").toObject();
    const QJsonObject ridge = m_derived.value("ridge_point_flops_per_byte").toObject();
    QStringList dtypes;
    for (const QString& d : mathDtypeNames())
        if (matrix.contains(d) || vector.contains(d)) dtypes << d;
    m_peaks->setRowCount(static_cast<int>(dtypes.size()));
    for (int i = 0; i < dtypes.size(); ++i) {
        const QString& d = dtypes.at(i);
        const auto nan = std::numeric_limits<double>::quiet_NaN();
        const QString cells[] = {d, peakText(matrix.value(d).toDouble(nan), d), peakText(vector.value(d).toDouble(nan), d),
                                 formatQuantity(ridge.value(d).toDouble(nan), Unit::flops_per_byte)};
        for (int c = 0; c < colCount; ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            item->setTextAlignment(c == colDtype ? Qt::AlignLeft | Qt::AlignVCenter : Qt::AlignRight | Qt::AlignVCenter);
            m_peaks->setItem(i, c, item);
        }
    }
    m_peaks->setFixedHeight(m_peaks->horizontalHeader()->sizeHint().height() + 2 * m_peaks->frameWidth() +
                            m_peaks->rowCount() * m_peaks->verticalHeader()->defaultSectionSize());
    if (m_derived.isEmpty()) {
        m_summary->setText(m_form->isEnabled() ? "Fix the device to see its derived figures." : QString());
        return;
    }
    auto n = [&](const char* key) { return m_derived.value(key).toDouble(); };
    m_summary->setText(
        QString("<table cellspacing=3>"
                "<tr><td>compute</td><td>%1 cores at %2 MHz sustained</td></tr>"
                "<tr><td>memory</td><td>%3, %4 peak, %5 streaming</td></tr>"
                "<tr><td>power</td><td>TDP %6, static %7</td></tr>"
                "<tr><td>energy</td><td>DRAM %8 pJ/B; technology table %9</td></tr></table>")
            .arg(n("cores"))
            .arg(n("sustained_clock_mhz"))
            .arg(formatQuantity(n("memory_capacity_bytes"), Unit::bytes),
                 formatQuantity(n("memory_bandwidth_bytes_per_s"), Unit::bytes_per_s),
                 formatQuantity(n("memory_streaming_bandwidth_bytes_per_s"), Unit::bytes_per_s),
                 formatQuantity(n("tdp_w"), Unit::watts), formatQuantity(numberAt(m_derived, "energy.static_w"), Unit::watts),
                 formatSignificant(numberAt(m_derived, "energy.dram_pj_per_byte")), m_derived.value("tech").toString()));
}

bool HardwareEditor::savePreset(const QString& path, QString* error) {
    QJsonObject doc = m_form->document();
    const QStringList changed = m_form->modifiedPaths();
    if (!changed.isEmpty()) {
        QJsonObject sources = doc.value("sources").toObject();
        sources["fmsim-gui"] = QString("Edited in fmsim-gui from %1: %2 changed; those values have no source "
                                       "beyond this design.")
                                   .arg(m_baseName, changed.join(", "));
        doc["sources"] = sources;
    }
    QSaveFile f(path);
    const QByteArray text = hardwarePresetText(doc);
    if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size() || !f.commit()) {
        *error = "cannot write " + path + ": " + f.errorString();
        return false;
    }
    emit presetSaved(path);
    return true;
}

void HardwareEditor::askSavePreset() {
    const QString dir = QString::fromStdString((workloads::config_dir() / "hardware").string());
    const QString path = QFileDialog::getSaveFileName(this, "Save the device as a preset",
                                                      QDir(dir).filePath(m_baseName + "-custom.json"),
                                                      "Hardware preset (*.json)");
    if (path.isEmpty()) return;
    QString error;
    if (!savePreset(path, &error)) {
        m_error->setText(error);
        m_error->show();
    }
}

}  // namespace fmsim::gui
