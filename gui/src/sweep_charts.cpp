#include "sweep_charts.hpp"

#include <QBarCategoryAxis>
#include <QChart>
#include <QChartView>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QScatterSeries>
#include <QToolTip>
#include <QCursor>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "chart_style.hpp"
#include "fmsim/sim/metrics.hpp"

namespace fmsim::gui {

namespace {
constexpr double kMarkerPx = 10, kFrontMarkerPx = 13;
constexpr double kLogSpanRatio = 10;  // values spanning this factor or more may get a log axis
constexpr double kPadding = 0.08;     // axes extend this share of the data range on each side

QScatterSeries* scatterSeries(const QString& name, const QColor& color, double markerPx) {
    auto* s = new QScatterSeries;
    s->setName(name);
    s->setColor(color);
    s->setMarkerSize(markerPx);
    return s;
}

// Puts x at the bottom and y on the left for every series of `chart`, the legend below it, and
// hides the legend entry of `over` (the points that do not fit) when there are none.
void attachAxes(QChart* chart, QAbstractAxis* x, QAbstractAxis* y, QScatterSeries* over) {
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    for (QAbstractSeries* s : chart->series()) {
        s->attachAxis(x);
        s->attachAxis(y);
    }
    if (over->count() == 0) chart->legend()->markers(over).front()->setVisible(false);
    chart->legend()->setAlignment(Qt::AlignBottom);
}

void replaceChart(QChartView* view, QChart* chart) {
    QChart* old = view->chart();
    view->setChart(chart);
    delete old;
}

// A value axis over [lo, hi] with some room, or a log axis when the range spans a decade.
QAbstractAxis* valueAxis(double lo, double hi, const QString& title, bool allowLog) {
    const double logLo = lo / (1 + kPadding * 4), logHi = hi * (1 + kPadding * 4);
    // A log axis labels powers of ten only: it needs two of them in range to be readable.
    if (allowLog && lo > 0 && hi / lo >= kLogSpanRatio && std::floor(std::log10(logHi)) - std::ceil(std::log10(logLo)) >= 1) {
        auto* a = new QLogValueAxis;
        a->setBase(10);
        a->setLabelFormat("%g");
        a->setMinorTickCount(-1);
        a->setRange(logLo, logHi);
        styleAxis(a, title + " (log)");
        return a;
    }
    auto* a = new QValueAxis;
    const double pad = hi > lo ? (hi - lo) * kPadding : std::max(std::fabs(hi) * kPadding, 1e-12);
    // Non-negative data keep a non-negative axis.
    a->setRange(lo >= 0 ? std::max(0.0, lo - pad) : lo - pad, hi + pad);
    a->applyNiceNumbers();
    a->setLabelFormat("%g");
    styleAxis(a, title);
    return a;
}

// The point nearest to `p` in data units normalised by the axes' spans.
int nearest(const QVector<ChartPoint>& points, const QPointF& p) {
    int best = -1;
    double bestD = INFINITY;
    for (const ChartPoint& c : points) {
        const double d = std::hypot((c.x - p.x()) / std::max(std::fabs(p.x()), 1e-30),
                                    (c.y - p.y()) / std::max(std::fabs(p.y()), 1e-30));
        if (d < bestD) {
            bestD = d;
            best = c.index;
        }
    }
    return best;
}
// The hovered point's axis values, as a tooltip.
void showLabel(const QVector<ChartPoint>& points, const QPointF& p, bool on) {
    if (!on) {
        QToolTip::hideText();
        return;
    }
    for (const ChartPoint& c : points)
        if (c.index == nearest(points, p)) QToolTip::showText(QCursor::pos(), c.label + "\nclick to open this design");
}
}  // namespace

namespace {
// How an axis shows a metric's unit: the scale it divides by and the unit it names.
std::pair<double, QString> axisUnit(const sim::Metric& m) {
    using U = sim::MetricUnit;
    switch (m.unit) {
        case U::seconds: return {1, "s"};
        case U::bytes: return {1e9, "GB"};
        case U::joules: return {1, "J"};
        case U::kwh: return {1, "kWh"};
        case U::usd: return {1, "$"};
        case U::kg_co2: return {1, "kg"};
        case U::tokens_per_s: return {1, "tokens/s"};
        case U::samples_per_s: return {1, "samples/s"};
        case U::tokens_per_j: return {1, "tokens/J"};
        case U::flop: return {1e12, "TFLOP"};
        case U::tflop_per_s: return {1, "TFLOP/s"};
        case U::fraction: return {0.01, "%"};
        case U::days: return {1, "days"};
        case U::count: return {1, QString::fromUtf8(m.noun.data(), static_cast<qsizetype>(m.noun.size())) + "s"};
        case U::flag: return {1, ""};
    }
    return {1, ""};
}
}  // namespace

const QVector<MetricInfo>& sweepMetrics() {
    // Every number of the metric table (sim/metrics.hpp) but the yes/no flags.
    static const QVector<MetricInfo> metrics = [] {
        QVector<MetricInfo> out;
        for (const sim::Metric& m : sim::metric_table()) {
            if (m.unit == sim::MetricUnit::flag) continue;
            const auto [scale, unit] = axisUnit(m);
            const QString label = QString::fromUtf8(m.label.data(), static_cast<qsizetype>(m.label.size()));
            out.push_back({QString::fromUtf8(m.name.data(), static_cast<qsizetype>(m.name.size())),
                           unit.isEmpty() ? label : label + " (" + unit + ")", scale, m.better == sim::Better::higher});
        }
        return out;
    }();
    return metrics;
}

const MetricInfo* findMetric(const QString& name) {
    // An older report path ("energy.per_token_j") names the same metric.
    const sim::Metric* m = sim::find_metric(name.toStdString());
    const QString canonical = m ? QString::fromUtf8(m->name.data(), static_cast<qsizetype>(m->name.size())) : name;
    for (const MetricInfo& info : sweepMetrics())
        if (info.path == canonical) return &info;
    return nullptr;
}

PointChart::PointChart(QWidget* parent) : QWidget(parent) {
    m_view = makeChartView(new QChart);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_view);
}

QWidget* PointChart::chartWidget() const { return m_view; }

void PointChart::connectPoints(QScatterSeries* series) {
    connect(series, &QScatterSeries::clicked, this, [this](const QPointF& p) { emit pointClicked(nearest(m_points, p)); });
    connect(series, &QScatterSeries::hovered, this, [this](const QPointF& p, bool on) { showLabel(m_points, p, on); });
}

void PointChart::setChart(QChart* chart) { replaceChart(m_view, chart); }

SweepLineChart::SweepLineChart(QWidget* parent) : PointChart(parent) {}

void SweepLineChart::setData(const QString& title, const QString& axisPath, const QStringList& axisValues,
                             const QVector<ChartPoint>& points, const MetricInfo& metric) {
    m_points = points;
    auto* chart = new QChart;
    chart->setTitle(title);
    bool numeric = true;
    for (const QString& v : axisValues) {
        bool ok = false;
        v.toDouble(&ok);
        numeric = numeric && ok;
    }
    auto* line = new QLineSeries;
    line->setName(metric.label);
    line->setColor(paletteColor(0));
    QScatterSeries* fits = scatterSeries("point (click to open)", paletteColor(0), kMarkerPx);
    QScatterSeries* over = scatterSeries("does not fit in memory", QColor("#d62728"), kMarkerPx);
    QVector<ChartPoint> sorted = points;
    std::sort(sorted.begin(), sorted.end(), [](const ChartPoint& a, const ChartPoint& b) { return a.x < b.x; });
    Span ys;
    for (ChartPoint& p : sorted) {
        p.y /= metric.scale;
        line->append(p.x, p.y);
        (p.fits ? fits : over)->append(p.x, p.y);
        ys.add(p.y);
    }
    for (ChartPoint& p : m_points) p.y /= metric.scale;
    for (QXYSeries* s : std::initializer_list<QXYSeries*>{line, fits, over}) chart->addSeries(s);
    QAbstractAxis* x;
    if (numeric && !axisValues.isEmpty()) {
        Span xs;
        for (const QString& v : axisValues) xs.add(v.toDouble());
        x = valueAxis(xs.lo, xs.hi, axisPath, true);
    } else {
        auto* cat = new QBarCategoryAxis;
        cat->append(axisValues);
        styleAxis(cat, axisPath);
        x = cat;
    }
    QAbstractAxis* y = valueAxis(ys.valid() ? ys.lo : 0, ys.valid() ? ys.hi : 1, metric.label, false);
    attachAxes(chart, x, y, over);
    for (QScatterSeries* s : {fits, over}) connectPoints(s);
    setChart(chart);
}

ParetoChart::ParetoChart(QWidget* parent) : PointChart(parent) {}

void ParetoChart::setData(const QString& title, const QVector<ChartPoint>& points, const MetricInfo& mx,
                          const MetricInfo& my, bool drawFrontLine) {
    m_points = points;
    for (ChartPoint& p : m_points) {
        p.x /= mx.scale;
        p.y /= my.scale;
    }
    auto* chart = new QChart;
    chart->setTitle(title);
    QScatterSeries* others = scatterSeries("dominated", paletteColor(0), kMarkerPx);
    QScatterSeries* front = scatterSeries("Pareto front", paletteColor(1), kFrontMarkerPx);
    QScatterSeries* over = scatterSeries("does not fit in memory", QColor("#bbbbbb"), kMarkerPx);
    over->setMarkerShape(QScatterSeries::MarkerShapeRectangle);
    auto* frontLine = new QLineSeries;
    frontLine->setName("front");
    frontLine->setPen(QPen(paletteColor(1), 1.5, Qt::DashLine));
    QVector<ChartPoint> onFront;
    Span xs, ys;
    for (const ChartPoint& p : m_points) {
        (p.onFront ? front : p.fits ? others : over)->append(p.x, p.y);
        if (p.onFront) onFront << p;
        xs.add(p.x);
        ys.add(p.y);
    }
    std::sort(onFront.begin(), onFront.end(), [](const ChartPoint& a, const ChartPoint& b) { return a.x < b.x; });
    if (drawFrontLine)
        for (const ChartPoint& p : onFront) frontLine->append(p.x, p.y);
    for (QXYSeries* s : std::initializer_list<QXYSeries*>{frontLine, others, over, front}) chart->addSeries(s);
    QAbstractAxis* x = valueAxis(xs.valid() ? xs.lo : 0, xs.valid() ? xs.hi : 1,
                                 mx.label + (mx.maximize ? ", higher is better" : ", lower is better"), true);
    QAbstractAxis* y = valueAxis(ys.valid() ? ys.lo : 0, ys.valid() ? ys.hi : 1,
                                 my.label + (my.maximize ? ", higher is better" : ", lower is better"), true);
    attachAxes(chart, x, y, over);
    chart->legend()->markers(frontLine).front()->setVisible(false);
    for (QScatterSeries* s : {others, front, over}) connectPoints(s);
    setChart(chart);
}

}  // namespace fmsim::gui
