#pragma once
// Design-space exploration: one or two scenario parameters over ranges, run as a sweep in worker
// processes (progress, cancel), shown as a line chart (one parameter) or a heat map (two), a
// Pareto scatter of two metrics, and a table. Clicking a point opens that design.
#include <QJsonObject>
#include <QWidget>
#include <functional>

#include "sweep_controller.hpp"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTabWidget;
class QTableWidget;

namespace fmsim::gui {

class HeatMap;
class ParetoChart;
class SweepLineChart;

// The scenario a sweep starts from: the editor's current one.
struct BaseScenario {
    QJsonObject scenario;
    QString originDir, displayName;
};

class ExploreView : public QWidget {
    Q_OBJECT
public:
    explicit ExploreView(QWidget* parent = nullptr);
    void setBaseProvider(std::function<BaseScenario()> provider) { m_base = std::move(provider); }

    // Axis texts: a path and its values ("1, 8, 64", or "start:stop:steps" with ":log" for a
    // geometric range). An empty second path sweeps one parameter.
    void setAxes(const QString& path1, const QString& values1, const QString& path2 = {}, const QString& values2 = {});
    // paretoThird: an optional third objective ("" for none).
    void setMetrics(const QString& lineMetric, const QString& paretoX, const QString& paretoY,
                    const QString& paretoThird = QString());
    // Reads a sweep file (sim::load_sweep): its axes fill the controls; returns its base scenario's
    // path, "" with `error` set when it cannot be read.
    QString loadSweepFile(const QString& path, QString* error);
    bool startSweep();
    void cancelSweep();
    SweepController* controller() const { return m_controller; }
    QWidget* currentChart() const;
    void showTab(const QString& name);  // "sweep", "pareto" or "points"
    // The finished points as `fmsim results` writes them (facade results_csv / results_json).
    QByteArray resultsCsv() const;
    QByteArray resultsJson() const;

signals:
    // The design of a point: the sweep's base scenario with the point's values set.
    void openDesign(const fmsim::gui::BaseScenario& design);
    void message(const QString& text);

private:
    void onPointFinished(const SweepPointResult& r);
    void setRunning(bool running);
    void redraw();
    void open(int resultIndex);
    QStringList axisValues(int axis) const;  // JSON texts; empty with a message when unparsable

    std::function<BaseScenario()> m_base;
    SweepController* m_controller;
    QComboBox* m_path[2];
    QLineEdit* m_values[2];
    QCheckBox* m_second;
    QComboBox* m_metric;
    QComboBox* m_paretoX;
    QComboBox* m_paretoY;
    QComboBox* m_paretoZ;
    QSpinBox* m_jobs;
    QPushButton* m_run;
    QPushButton* m_cancel;
    QProgressBar* m_progress;
    QLabel* m_status;
    QTabWidget* m_tabs;
    QStackedWidget* m_sweepStack;
    SweepLineChart* m_line;
    HeatMap* m_heat;
    ParetoChart* m_pareto;
    QTableWidget* m_table;
    QStringList m_axisPaths;
    QVector<QStringList> m_axisValues;  // per axis, as JSON texts
    QString m_sweepName;
    BaseScenario m_sweepBase;  // what the running or last sweep started from
};

}  // namespace fmsim::gui
