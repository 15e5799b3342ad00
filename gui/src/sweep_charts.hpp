#pragma once
// The charts of a sweep: a metric against one swept parameter (a line), and two metrics against
// each other with the Pareto front highlighted. Clicking a point reports which point it is.
#include <QString>
#include <QVector>
#include <QWidget>

class QChartView;

namespace fmsim::gui {

// A report metric the explore view can plot.
struct MetricInfo {
    QString path;      // dotted report key
    QString label;     // axis title, with its unit
    double scale = 1;  // the axis shows value / scale
    bool maximize = false;
};
const QVector<MetricInfo>& sweepMetrics();
const MetricInfo* findMetric(const QString& path);

// One point as the charts see it.
struct ChartPoint {
    int index = 0;      // into the explore view's results
    QString label;      // its axis values
    double x = 0, y = 0;
    bool fits = true;
    bool onFront = false;
};

// A metric against the one swept parameter; points that do not fit in memory are red.
class SweepLineChart : public QWidget {
    Q_OBJECT
public:
    explicit SweepLineChart(QWidget* parent = nullptr);
    // Numeric axis values give a value axis (log when they span a decade or more), others categories.
    void setData(const QString& title, const QString& axisPath, const QStringList& axisValues,
                 const QVector<ChartPoint>& points, const MetricInfo& metric);
    QWidget* chartWidget() const;

signals:
    void pointClicked(int index);

private:
    QChartView* m_view;
    QVector<ChartPoint> m_points;
};

// Two metrics of every point, the Pareto front (sim::pareto_points) highlighted and joined.
class ParetoChart : public QWidget {
    Q_OBJECT
public:
    explicit ParetoChart(QWidget* parent = nullptr);
    // frontLine: join the front's points (a 2-objective front is a staircase; a 3-objective one is not).
    void setData(const QString& title, const QVector<ChartPoint>& points, const MetricInfo& x, const MetricInfo& y,
                 bool frontLine = true);
    QWidget* chartWidget() const;
    const QVector<ChartPoint>& points() const { return m_points; }

signals:
    void pointClicked(int index);

private:
    QChartView* m_view;
    QVector<ChartPoint> m_points;
};

}  // namespace fmsim::gui
