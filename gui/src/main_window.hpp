#pragma once
// The fmsim-gui window: the scenario editor docked on the left; results, hardware, explore and
// compare views in tabs; a toolbar to open, save, run, cancel and pin results for comparison.
#include <QMainWindow>

#include "run_result.hpp"

class QAction;
class QLabel;
class QProgressBar;
class QTabWidget;

namespace fmsim::gui {

class CompareView;
class ExploreView;
class HardwareEditor;
class ResultsView;
class RunController;
class ScenarioEditor;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);

    bool openScenario(const QString& path, QString* error);
    // Runs the scenario in the editor in a worker process; false when one is already running.
    bool run();
    void cancel();
    // "results", "hardware", "explore" or "compare".
    void showTab(const QString& name);
    void pinA();
    void pinB();

    const RunResult& currentResult() const { return m_result; }
    ScenarioEditor* scenarioEditor() const { return m_scenario; }
    HardwareEditor* hardwareEditor() const { return m_hardware; }
    ResultsView* resultsView() const { return m_results; }
    ExploreView* exploreView() const { return m_explore; }
    CompareView* compareView() const { return m_compare; }
    RunController* runController() const { return m_runner; }

signals:
    void runFinished();
    void runFailed(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void buildActions();
    void loadDevice();
    void onRunFinished(const RunResult& r);
    void onRunFailed(const QString& message);
    void setRunning(bool running);
    void askOpen();
    void askOpenSweep();
    bool save(const QString& path);
    void askSaveAs();
    void askExportChart();
    void askExport(const QString& what);
    QString title() const;

    ScenarioEditor* m_scenario;
    HardwareEditor* m_hardware;
    ResultsView* m_results;
    ExploreView* m_explore;
    CompareView* m_compare;
    RunController* m_runner;
    QTabWidget* m_tabs;
    QProgressBar* m_busy;
    QLabel* m_state;
    QAction* m_runAction;
    QAction* m_cancelAction;
    RunResult m_result;
    QString m_file;  // the scenario file Save writes; "" until saved
};

}  // namespace fmsim::gui
