#include "roofline_chart.hpp"

#include <algorithm>
#include <QChart>
#include <QChartView>
#include <QLabel>
#include <QLineSeries>
#include <QLogValueAxis>
#include <QMap>
#include <QScatterSeries>
#include <QSet>
#include <QVBoxLayout>
#include <cmath>

#include "chart_style.hpp"
#include "format.hpp"
#include "json_util.hpp"

namespace fmsim::gui {

namespace {
constexpr double kTera = 1e12;       // the y axis is in TFLOP/s
constexpr int kMaxPoints = 4000;     // distinct points drawn; repeated layers collapse onto the same ones
constexpr double kAxisMargin = 2;    // the axes extend this factor beyond the data

// Points that coincide on screen share one key (three significant digits on each log axis).
quint64 pointKey(double x, double y) {
    constexpr double kBucketsPerDecade = 300;
    const auto bx = static_cast<qint64>(std::llround(std::log10(x) * kBucketsPerDecade));
    const auto by = static_cast<qint64>(std::llround(std::log10(y) * kBucketsPerDecade));
    return (static_cast<quint64>(bx) << 32) ^ static_cast<quint64>(by & 0xffffffff);
}

// The run's math dtype: the scenario's precision, one name or {math, activations}.
QString mathDtype(const QJsonObject& report) {
    const QJsonValue p = valueAt(report, "scenario.precision");
    if (p.isString()) return p.toString();
    const QJsonObject o = p.toObject();
    return o.value("math").toString(o.value("activations").toString("bf16"));
}
}  // namespace

RooflineChart::RooflineChart(QWidget* parent) : QWidget(parent) {
    m_view = makeChartView(new QChart);
    m_hover = new QLabel("Hover over a point to name its op.", this);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_view, 1);
    layout->addWidget(m_hover);
}

QWidget* RooflineChart::chartWidget() const { return m_view; }

void RooflineChart::setResult(const RunResult& r) {
    m_names.clear();
    auto* chart = new QChart;
    const QString dtype = mathDtype(r.report);
    const double bw = r.hardware.value("memory_bandwidth_bytes_per_s").toDouble();
    const double matrixPeak = numberAt(r.hardware, "peak_matrix_flops_per_s." + dtype);
    const double vectorPeak = numberAt(r.hardware, "peak_vector_flops_per_s." + dtype);

    QMap<QString, QScatterSeries*> byGroup;
    Span xs, ys;
    int skipped = 0, drawn = 0, placed = 0;
    for (const OpRow& o : r.ops) {
        // The useful work the kernel did: its op's FLOPs, less what it skipped (a causal attention
        // kernel computes half the scores its op counts); tile padding is not useful work.
        const double work = std::min(o.flops, o.kernelFlops);
        if (work <= 0 || o.dramBytes <= 0 || o.durationS <= 0) {
            ++skipped;  // no FLOPs (copies) or no off-chip traffic: no place on these axes
            continue;
        }
        const double x = work / o.dramBytes, y = work / o.durationS / kTera;
        ++placed;
        const quint64 key = pointKey(x, y);
        if (m_names.contains(key) || drawn >= kMaxPoints) continue;
        m_names.insert(key, o.name + " (" + o.kind + ", " + o.bound + "-bound, " + o.mapping + "): " +
                                formatSignificant(x) + " FLOP/B, " + formatSignificant(y) + " TFLOP/s, " +
                                formatQuantity(o.durationS, Unit::seconds));
        QScatterSeries*& s = byGroup[o.group];
        if (!s) {
            s = new QScatterSeries;
            s->setName(o.group);
            s->setColor(groupColor(o.group));
            s->setBorderColor(groupColor(o.group).darker());
            constexpr double kMarkerPx = 7;
            s->setMarkerSize(kMarkerPx);
        }
        s->append(x, y);
        ++drawn;
        xs.add(x);
        ys.add(y);
    }
    if (drawn == 0) {
        chart->setTitle("Roofline: no ops to show (run a scenario with a device)");
        QChart* old = m_view->chart();
        m_view->setChart(chart);
        delete old;
        return;
    }
    const double peak = std::max(matrixPeak, vectorPeak);
    if (bw > 0 && peak > 0) {
        xs.add(peak / bw);  // the ridge point
        ys.add(peak / kTera);
    }
    const double xMin = xs.lo / kAxisMargin, xMax = xs.hi * kAxisMargin;
    const double yMin = ys.lo / kAxisMargin, yMax = ys.hi * kAxisMargin;

    auto* x = new QLogValueAxis;
    x->setBase(10);
    x->setRange(xMin, xMax);
    x->setLabelFormat("%g");
    styleAxis(x, "arithmetic intensity (FLOP per off-chip byte)");
    auto* y = new QLogValueAxis;
    y->setBase(10);
    y->setRange(yMin, yMax);
    y->setLabelFormat("%g");
    styleAxis(y, "achieved performance (TFLOP/s)");
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);

    // A roof: bandwidth-bound up to the ridge point, flat at the peak after it.
    auto addRoof = [&](double peakFlops, const QString& name, Qt::PenStyle style, const QColor& color) {
        if (peakFlops <= 0 || bw <= 0) return;
        auto* line = new QLineSeries;
        line->setName(name);
        const double ridge = peakFlops / bw;
        line->append(xMin, std::max(bw * xMin / kTera, yMin));
        if (ridge > xMin && ridge < xMax) line->append(ridge, peakFlops / kTera);
        line->append(xMax, std::min(bw * xMax, peakFlops) / kTera);
        QPen pen(color, 2, style);
        line->setPen(pen);
        chart->addSeries(line);
        line->attachAxis(x);
        line->attachAxis(y);
    };
    addRoof(matrixPeak, QString("matrix %1 roof: %2, ridge %3").arg(dtype, formatQuantity(matrixPeak, Unit::flops_per_s),
                                                                     formatQuantity(matrixPeak / bw, Unit::flops_per_byte)),
            Qt::SolidLine, QColor("#333333"));
    addRoof(vectorPeak, QString("vector %1 roof: %2").arg(dtype, formatQuantity(vectorPeak, Unit::flops_per_s)),
            Qt::DashLine, QColor("#777777"));
    for (QScatterSeries* s : byGroup) {
        chart->addSeries(s);
        s->attachAxis(x);
        s->attachAxis(y);
        connect(s, &QScatterSeries::hovered, this, [this](const QPointF& p, bool on) {
            if (on) m_hover->setText(m_names.value(pointKey(p.x(), p.y()), QString()));
        });
    }
    chart->setTitle(QString("Roofline of %1 ops (%2 distinct points) on %3%4")
                        .arg(placed)
                        .arg(drawn)
                        .arg(r.report.value("hardware").toString(),
                             skipped ? QString("; %1 without FLOPs or off-chip bytes not shown").arg(skipped) : QString()));
    chart->legend()->setAlignment(Qt::AlignRight);
    QChart* old = m_view->chart();
    m_view->setChart(chart);
    delete old;
}

}  // namespace fmsim::gui
