#pragma once
// The charts of a sweep: a metric against one swept parameter (a line), and two metrics against
// each other with the Pareto front highlighted. Clicking a point reports which point it is.
#include <QString>
#include <QVector>
#include <QWidget>

class QChart;
class QChartView;
class QScatterSeries;

namespace fmsim::gui {

// A report metric the explore view can plot: a row of the metric table (sim/metrics.hpp).
struct MetricInfo {
    QString path;      // the metric's canonical name ("energy_per_token_j")
    QString label;     // axis title, with its unit
    double scale = 1;  // the axis shows value / scale
    bool maximize = false;
};
const QVector<MetricInfo>& sweepMetrics();
// By canonical name or older report path; null for neither.
const MetricInfo* findMetric(const QString& name);

// One point as the charts see it.
struct ChartPoint {
    int index = 0;      // into the explore view's results
    QString label;      // its axis values
    double x = 0, y = 0;
    bool fits = true;
    bool onFront = false;
};

// What the sweep charts share: a chart view, the points drawn, and a click on a point that opens
// its design.
class PointChart : public QWidget {
    Q_OBJECT
public:
    QWidget* chartWidget() const;
    const QVector<ChartPoint>& points() const { return m_points; }

signals:
    void pointClicked(int index);

protected:
    explicit PointChart(QWidget* parent);
    // A click on `series` opens the nearest point; hovering it names the point.
    void connectPoints(QScatterSeries* series);
    // Puts `chart` in the view (the old one is deleted).
    void setChart(QChart* chart);

    QChartView* m_view;
    QVector<ChartPoint> m_points;
};

// A metric against the one swept parameter; points that do not fit in memory are red.
class SweepLineChart : public PointChart {
    Q_OBJECT
public:
    explicit SweepLineChart(QWidget* parent = nullptr);
    // Numeric axis values give a value axis (log when they span a decade or more), others categories.
    void setData(const QString& title, const QString& axisPath, const QStringList& axisValues,
                 const QVector<ChartPoint>& points, const MetricInfo& metric);
};

// Two metrics of every point, the Pareto front (sim::pareto_points) highlighted and joined.
class ParetoChart : public PointChart {
    Q_OBJECT
public:
    explicit ParetoChart(QWidget* parent = nullptr);
    // frontLine: join the front's points (a 2-objective front is a staircase; a 3-objective one is not).
    void setData(const QString& title, const QVector<ChartPoint>& points, const MetricInfo& x, const MetricInfo& y,
                 bool frontLine = true);
};

}  // namespace fmsim::gui
