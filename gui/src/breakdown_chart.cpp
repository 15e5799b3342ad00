#include "breakdown_chart.hpp"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHorizontalBarSeries>
#include <QJsonArray>
#include <QLabel>
#include <QMap>
#include <QValueAxis>
#include <QVBoxLayout>
#include <algorithm>

#include "chart_style.hpp"

namespace fmsim::gui {

namespace {
enum By { byGroup, byKind, byTopOps };
enum Metric { timeMetric, energyMetric };
constexpr int kMaxBars = 12;  // more bars than this stop being readable at 1280x800; the rest are summed
}  // namespace

BreakdownChart::BreakdownChart(QWidget* parent) : QWidget(parent) {
    m_by = new QComboBox(this);
    m_by->addItems({"by module group", "by op kind", "top op patterns"});
    m_metric = new QComboBox(this);
    m_metric->addItems({"time", "energy"});
    m_view = makeChartView(new QChart);
    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel("Breakdown", this));
    controls->addWidget(m_by);
    controls->addWidget(m_metric);
    controls->addStretch();
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(m_view, 1);
    connect(m_by, &QComboBox::currentIndexChanged, this, &BreakdownChart::redraw);
    connect(m_metric, &QComboBox::currentIndexChanged, this, &BreakdownChart::redraw);
}

QWidget* BreakdownChart::chartWidget() const { return m_view; }

void BreakdownChart::setResult(const RunResult& result) {
    m_result = result;
    redraw();
}

void BreakdownChart::redraw() {
    const By by = static_cast<By>(m_by->currentIndex());
    // Top op patterns carry time only.
    m_metric->setEnabled(by != byTopOps);
    const bool energy = m_metric->currentIndex() == energyMetric && by != byTopOps;
    QVector<std::pair<QString, double>> rows;  // label, seconds or joules
    QString what;
    if (by == byGroup) {
        const QJsonObject b = m_result.report.value("breakdown").toObject();
        for (auto it = b.begin(); it != b.end(); ++it)
            rows.push_back({it.key(), it.value().toObject().value(energy ? "energy_j" : "time_s").toDouble()});
        what = energy ? "Energy by module group (device energy incl. static share)" : "Time by module group (incl. launch)";
    } else if (by == byKind) {
        QMap<QString, double> sum;
        for (const OpRow& o : m_result.ops) sum[o.kind] += (energy ? o.energyJ : o.durationS) * o.repeat;
        for (auto it = sum.begin(); it != sum.end(); ++it) rows.push_back({it.key(), it.value()});
        what = energy ? "Energy by op kind (per-op records)" : "Kernel time by op kind (per-op records, launch excluded)";
    } else {
        for (const auto& v : m_result.report.value("top_ops").toArray())
            rows.push_back({v.toObject().value("op").toString(), v.toObject().value("time_s").toDouble()});
        what = "Top op patterns by time";
    }
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (rows.size() > kMaxBars) {
        double rest = 0;
        for (qsizetype i = kMaxBars - 1; i < rows.size(); ++i) rest += rows.at(i).second;
        rows.resize(kMaxBars - 1);
        rows.push_back({"(others)", rest});
    }
    const double maxValue = rows.isEmpty() ? 0 : rows.front().second;
    const TimeUnit tu = timeUnitFor(maxValue);
    const double scale = energy ? 1 : tu.scale;
    const QString unit = energy ? "J" : tu.name;

    auto* chart = new QChart;
    chart->setTitle(rows.isEmpty() ? what + ": no data (run a scenario with a device)" : what);
    auto* set = new QBarSet(energy ? "energy" : "time");
    set->setColor(energy ? paletteColor(1) : paletteColor(0));
    set->setLabelColor(Qt::black);
    QStringList labels;
    // Bars are drawn bottom-up: reverse so the largest is on top.
    for (auto it = rows.crbegin(); it != rows.crend(); ++it) {
        *set << it->second / scale;
        labels << it->first;
    }
    auto* series = new QHorizontalBarSeries;
    series->append(set);
    series->setLabelsVisible(true);
    series->setLabelsFormat("@value " + unit);
    series->setLabelsPrecision(3);
    series->setLabelsPosition(QAbstractBarSeries::LabelsOutsideEnd);
    chart->addSeries(series);
    auto* y = new QBarCategoryAxis;
    y->append(labels);
    styleAxis(y, by == byGroup ? "module group" : by == byKind ? "op kind" : "op pattern");
    auto* x = new QValueAxis;
    // Headroom for the value labels at the bar ends.
    constexpr double kLabelHeadroom = 1.18;
    x->setRange(0, std::max(maxValue / scale * kLabelHeadroom, 1e-12));
    x->applyNiceNumbers();
    x->setLabelFormat("%g");
    styleAxis(x, (energy ? "energy (J)" : "time (" + unit + ")"));
    chart->addAxis(y, Qt::AlignLeft);
    chart->addAxis(x, Qt::AlignBottom);
    series->attachAxis(x);
    series->attachAxis(y);
    chart->legend()->hide();
    QChart* old = m_view->chart();
    m_view->setChart(chart);
    delete old;
}

}  // namespace fmsim::gui
