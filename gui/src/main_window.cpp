#include "main_window.hpp"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QProgressBar>
#include <QScrollArea>
#include <QScrollBar>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QToolBar>

#include "compare_view.hpp"
#include "explore_view.hpp"
#include "export.hpp"
#include "fmsim/sim/session.hpp"
#include "fmsim/workloads/errors.hpp"
#include "fmsim/workloads/model.hpp"
#include "hardware_editor.hpp"
#include "json_util.hpp"
#include "results_view.hpp"
#include "run_controller.hpp"
#include "scenario_editor.hpp"
#include "scenario_file.hpp"

namespace fmsim::gui {

namespace {
constexpr int kDockWidthPx = 340;       // the scenario editor; the tabs get the rest of 1280 px
constexpr int kStatusTimeoutMs = 8000;  // transient status messages
constexpr int kBusyWidthPx = 160;
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    m_scenario = new ScenarioEditor(this);
    m_hardware = new HardwareEditor(this);
    m_results = new ResultsView(this);
    m_explore = new ExploreView(this);
    m_compare = new CompareView(this);
    m_runner = new RunController(this);

    auto* scroll = new QScrollArea(this);
    scroll->setWidget(m_scenario);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* dock = new QDockWidget("Scenario", this);
    dock->setObjectName("scenarioDock");
    dock->setWidget(scroll);
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    // Wide enough for the editor's narrowest layout, so no field is cut off.
    dock->setMinimumWidth(std::max(kDockWidthPx, m_scenario->minimumSizeHint().width() +
                                                     scroll->verticalScrollBar()->sizeHint().width() +
                                                     2 * scroll->frameWidth()));
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    m_tabs = new QTabWidget(this);
    m_tabs->addTab(m_results, "Results");
    m_tabs->addTab(m_hardware, "Hardware");
    m_tabs->addTab(m_explore, "Explore");
    m_tabs->addTab(m_compare, "Compare");
    setCentralWidget(m_tabs);

    m_busy = new QProgressBar(this);
    m_busy->setRange(0, 0);  // busy until the worker reports its first stage
    m_busy->setMaximumWidth(kBusyWidthPx);
    m_busy->setVisible(false);
    m_state = new QLabel(this);
    statusBar()->addPermanentWidget(m_state);
    statusBar()->addPermanentWidget(m_busy);
    buildActions();

    connect(m_scenario, &ScenarioEditor::deviceChanged, this, &MainWindow::loadDevice);
    connect(m_scenario, &ScenarioEditor::changed, this, [this] {
        setWindowModified(true);
        setWindowTitle(title());
    });
    connect(m_hardware, &HardwareEditor::overridesChanged, m_scenario, &ScenarioEditor::setHardwareOverrides);
    connect(m_hardware, &HardwareEditor::presetSaved, this, [this](const QString& path) {
        m_scenario->refreshPresets();
        statusBar()->showMessage("Saved preset " + path, kStatusTimeoutMs);
    });
    connect(m_runner, &RunController::finished, this, &MainWindow::onRunFinished);
    connect(m_runner, &RunController::progress, this, [this](qint64 done, qint64 total) {
        constexpr qint64 kSteps = 1000;  // QProgressBar takes ints: the ops scaled to per mille
        m_busy->setRange(0, static_cast<int>(kSteps));
        m_busy->setValue(total > 0 ? static_cast<int>(done * kSteps / total) : 0);
    });
    connect(m_runner, &RunController::failed, this, &MainWindow::onRunFailed);
    connect(m_runner, &RunController::cancelled, this, [this] {
        setRunning(false);
        statusBar()->showMessage("Run cancelled", kStatusTimeoutMs);
    });
    m_explore->setBaseProvider([this] {
        return BaseScenario{m_scenario->scenario(), m_scenario->originDir(), m_scenario->displayName()};
    });
    connect(m_explore, &ExploreView::openDesign, this, [this](const BaseScenario& design) {
        m_scenario->setScenario(design.scenario, design.originDir, design.displayName);
        setWindowModified(true);
        showTab("results");
        run();
    });
    connect(m_explore, &ExploreView::message, this, [this](const QString& m) { statusBar()->showMessage(m, kStatusTimeoutMs); });
    setWindowTitle(title());
}

void MainWindow::buildActions() {
    QStyle* s = style();
    QMenu* file = menuBar()->addMenu("&File");
    QAction* open = file->addAction(s->standardIcon(QStyle::SP_DialogOpenButton), "&Open scenario…", this, &MainWindow::askOpen);
    open->setShortcut(QKeySequence::Open);
    file->addAction("Open s&weep into Explore…", this, &MainWindow::askOpenSweep);
    QAction* saveAction = file->addAction(s->standardIcon(QStyle::SP_DialogSaveButton), "&Save", this, [this] {
        if (m_file.isEmpty()) askSaveAs();
        else save(m_file);
    });
    saveAction->setShortcut(QKeySequence::Save);
    file->addAction("Save &as…", this, &MainWindow::askSaveAs)->setShortcut(QKeySequence::SaveAs);
    file->addSeparator();
    file->addAction("Export chart as PNG or SVG…", this, &MainWindow::askExportChart);
    file->addAction("Export report JSON…", this, [this] { askExport("report"); });
    file->addAction("Export per-op CSV…", this, [this] { askExport("ops"); });
    file->addAction("Export memory timeline CSV…", this, [this] { askExport("memory"); });
    file->addAction("Export sweep points as CSV…", this, [this] { askExport("sweep-csv"); });
    file->addAction("Export sweep points as JSON…", this, [this] { askExport("sweep-json"); });
    file->addSeparator();
    file->addAction("&Quit", this, &QWidget::close)->setShortcut(QKeySequence::Quit);

    QMenu* runMenu = menuBar()->addMenu("&Run");
    m_runAction = runMenu->addAction(s->standardIcon(QStyle::SP_MediaPlay), "&Run", this, &MainWindow::run);
    m_runAction->setShortcut(Qt::CTRL | Qt::Key_R);
    m_runAction->setToolTip("Run the scenario (Ctrl+R) in a worker process");
    m_cancelAction = runMenu->addAction(s->standardIcon(QStyle::SP_MediaStop), "&Cancel", this, &MainWindow::cancel);
    m_cancelAction->setShortcut(Qt::Key_Escape);
    m_cancelAction->setEnabled(false);
    QAction* pinA = runMenu->addAction("Pin result as &A", this, &MainWindow::pinA);
    QAction* pinB = runMenu->addAction("Pin result as &B", this, &MainWindow::pinB);
    pinA->setToolTip("Keep this result as design A of the Compare tab");
    pinB->setToolTip("Keep this result as design B of the Compare tab");

    QToolBar* bar = addToolBar("Main");
    bar->setObjectName("mainToolBar");
    bar->setMovable(false);
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addAction(open);
    bar->addAction(saveAction);
    bar->addSeparator();
    bar->addAction(m_runAction);
    bar->addAction(m_cancelAction);
    bar->addSeparator();
    bar->addAction(pinA);
    bar->addAction(pinB);
    bar->addSeparator();
    bar->addAction(s->standardIcon(QStyle::SP_DialogSaveButton), "Export chart…", this, &MainWindow::askExportChart);
}

QString MainWindow::title() const {
    const QString name = m_scenario->displayName().isEmpty() ? QString("untitled") : m_scenario->displayName();
    return name + "[*] — fmsim";
}

bool MainWindow::openScenario(const QString& path, QString* error) {
    const QJsonObject s = readJsonObjectFile(path, error);
    if (s.isEmpty()) return false;
    const QFileInfo info(path);
    m_file = info.absoluteFilePath();
    m_scenario->setScenario(s, info.absolutePath(), info.fileName());
    setWindowModified(false);
    setWindowTitle(title());
    statusBar()->showMessage("Opened " + m_file, kStatusTimeoutMs);
    return true;
}

void MainWindow::loadDevice() {
    const QJsonObject sc = m_scenario->scenario();
    const QJsonValue hw = sc.value("hardware");
    const QJsonObject overrides = sc.value("hardware_overrides").toObject();
    if (hw.isObject()) {
        // An inline description: relative paths in it resolve against the scenario's folder.
        m_hardware->setDevice("Inline device of " + m_scenario->displayName(), hw.toObject(), overrides,
                              QDir(m_scenario->originDir()).filePath(m_scenario->displayName()));
        return;
    }
    if (!hw.isString() || hw.toString().isEmpty()) {
        m_hardware->clearDevice("No device in this scenario: pick a hardware preset to replay it.");
        return;
    }
    QString ref = hw.toString();
    // A path (not a preset name) is relative to the scenario file, as load_scenario resolves it.
    if ((ref.contains('/') || ref.endsWith(".json")) && QFileInfo(ref).isRelative() && !m_scenario->originDir().isEmpty())
        ref = QDir(m_scenario->originDir()).filePath(ref);
    try {
        const QString file = QString::fromStdString(sim::hardware_preset_file(ref.toStdString()));
        QString error;
        const QJsonObject base = readJsonObjectFile(file, &error);
        if (base.isEmpty()) {
            m_hardware->clearDevice(error);
            return;
        }
        m_hardware->setDevice(QString("<b>%1</b>%2<br><small>%3</small>")
                                  .arg(QFileInfo(file).completeBaseName(),
                                       overrides.isEmpty() ? QString() : QString(" with the scenario's overrides"),
                                       base.value("description").toString().toHtmlEscaped()),
                              base, overrides, file);
    } catch (const UserError& e) {
        m_hardware->clearDevice(QString::fromStdString(e.what()));
    }
}

bool MainWindow::run() {
    if (m_runner->isRunning()) return false;
    statusBar()->showMessage("Running " + m_scenario->displayName() + "…");
    setRunning(true);
    const bool started = m_runner->start(m_scenario->scenario(), m_scenario->originDir(),
                                         m_scenario->displayName().isEmpty() ? QString("scenario") : m_scenario->displayName());
    return started;
}

void MainWindow::cancel() { m_runner->cancel(); }

void MainWindow::setRunning(bool running) {
    m_runAction->setEnabled(!running);
    m_cancelAction->setEnabled(running);
    m_busy->setVisible(running);
    if (running) m_busy->setRange(0, 0);
    m_state->setText(running ? "simulating in a worker process" : QString());
}

void MainWindow::onRunFinished(const RunResult& r) {
    setRunning(false);
    m_result = r;
    if (isWindowModified()) m_result.label += " (edited)";
    m_results->setResult(r);
    statusBar()->showMessage(QString("Ran %1 in a worker process").arg(r.label), kStatusTimeoutMs);
    emit runFinished();
}

void MainWindow::onRunFailed(const QString& message) {
    setRunning(false);
    m_results->showError(message);
    statusBar()->showMessage("Run failed: " + message.section('\n', 0, 0), kStatusTimeoutMs);
    emit runFailed(message);
}

void MainWindow::showTab(const QString& name) {
    const QMap<QString, QWidget*> tabs{{"results", m_results}, {"hardware", m_hardware}, {"explore", m_explore},
                                       {"compare", m_compare}};
    if (tabs.contains(name)) m_tabs->setCurrentWidget(tabs.value(name));
}

void MainWindow::pinA() {
    if (!m_result.isValid()) return;
    m_compare->pinA(m_result);
    statusBar()->showMessage("Pinned as A: " + m_result.label, kStatusTimeoutMs);
}

void MainWindow::pinB() {
    if (!m_result.isValid()) return;
    m_compare->pinB(m_result);
    showTab("compare");
}

void MainWindow::askOpen() {
    const QString dir = QString::fromStdString((workloads::config_dir() / "scenarios").string());
    const QString path = QFileDialog::getOpenFileName(this, "Open a scenario", dir, "Scenario (*.json)");
    QString error;
    if (!path.isEmpty() && !openScenario(path, &error)) m_results->showError(error);
}

void MainWindow::askOpenSweep() {
    const QString dir = QString::fromStdString((workloads::config_dir() / "sweeps").string());
    const QString path = QFileDialog::getOpenFileName(this, "Open a sweep", dir, "Sweep (*.json)");
    if (path.isEmpty()) return;
    QString error;
    const QString base = m_explore->loadSweepFile(path, &error);
    if (base.isEmpty() || !openScenario(base, &error)) {
        statusBar()->showMessage(error, kStatusTimeoutMs);
        return;
    }
    showTab("explore");
}

bool MainWindow::save(const QString& path) {
    QString error;
    if (!writeScenarioFile(m_scenario->scenario(), m_scenario->originDir(), path, &error)) {
        statusBar()->showMessage(error, kStatusTimeoutMs);
        return false;
    }
    m_file = path;
    const QFileInfo info(path);
    // Written with its references rebased to the new folder, so it now lives there.
    m_scenario->setScenario(readJsonObjectFile(path, &error), info.absolutePath(), info.fileName());
    setWindowModified(false);
    setWindowTitle(title());
    statusBar()->showMessage("Saved " + path, kStatusTimeoutMs);
    return true;
}

void MainWindow::askSaveAs() {
    const QString path = QFileDialog::getSaveFileName(this, "Save the scenario", m_file, "Scenario (*.json)");
    if (!path.isEmpty()) save(path);
}

void MainWindow::askExportChart() {
    QWidget* chart = m_tabs->currentWidget() == m_explore ? m_explore->currentChart() : m_results->currentChart();
    const QString path = QFileDialog::getSaveFileName(this, "Export the chart", "chart.png", "PNG image (*.png);;SVG drawing (*.svg)");
    QString error;
    if (!path.isEmpty() && !exportWidget(chart, path, &error)) statusBar()->showMessage(error, kStatusTimeoutMs);
}

void MainWindow::askExport(const QString& what) {
    const QMap<QString, std::pair<QByteArray, QString>> outputs{
        {"report", {m_result.reportJson, "report.json"}},
        {"ops", {m_result.opsCsv, "ops.csv"}},
        {"memory", {m_result.memoryCsv, "memory.csv"}},
        {"sweep-csv", {m_explore->resultsCsv(), "sweep.csv"}},
        {"sweep-json", {m_explore->resultsJson(), "sweep.json"}}};
    const auto [data, name] = outputs.value(what);
    if (data.isEmpty()) {
        statusBar()->showMessage("Nothing to export yet: run a scenario or a sweep first", kStatusTimeoutMs);
        return;
    }
    const QString path = QFileDialog::getSaveFileName(this, "Export", name);
    QString error;
    if (!path.isEmpty() && !writeFile(path, data, &error)) statusBar()->showMessage(error, kStatusTimeoutMs);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    m_runner->cancel();
    m_explore->cancelSweep();
    event->accept();
}

}  // namespace fmsim::gui
