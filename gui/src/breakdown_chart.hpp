#pragma once
// Where the time (or energy) goes: horizontal bars by module group (the report's breakdown), by
// op kind (summed over the per-op records) or by the report's top op patterns.
#include <QWidget>

#include "run_result.hpp"

class QChartView;
class QComboBox;

namespace fmsim::gui {

class BreakdownChart : public QWidget {
    Q_OBJECT
public:
    explicit BreakdownChart(QWidget* parent = nullptr);
    void setResult(const RunResult& result);
    QWidget* chartWidget() const;

private:
    void redraw();

    RunResult m_result;
    QComboBox* m_by;
    QComboBox* m_metric;
    QChartView* m_view;
};

}  // namespace fmsim::gui
