#pragma once
// Device memory over the run: weights, KV cache, activations, workspace and training state
// stacked over time, against the device's capacity.
#include <QWidget>

#include "run_result.hpp"

class QChartView;

namespace fmsim::gui {

class MemoryChart : public QWidget {
    Q_OBJECT
public:
    explicit MemoryChart(QWidget* parent = nullptr);
    void setResult(const RunResult& result);
    QWidget* chartWidget() const;

private:
    QChartView* m_view;
};

}  // namespace fmsim::gui
