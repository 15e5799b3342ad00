#pragma once
// The roofline of the device with every op as a point: achieved FLOP/s against arithmetic
// intensity (FLOPs per byte of off-chip traffic), under the memory roof (peak bandwidth) and the
// compute roofs of the run's math dtype (matrix engine, vector unit), from the device's derived
// figures. Points are coloured by module group; hovering names the op.
#include <QHash>
#include <QWidget>

#include "run_result.hpp"

class QChartView;
class QLabel;

namespace fmsim::gui {

class RooflineChart : public QWidget {
    Q_OBJECT
public:
    explicit RooflineChart(QWidget* parent = nullptr);
    void setResult(const RunResult& result);
    QWidget* chartWidget() const;

private:
    QChartView* m_view;
    QLabel* m_hover;
    QHash<quint64, QString> m_names;  // op description by rounded point, for the hover text
};

}  // namespace fmsim::gui
