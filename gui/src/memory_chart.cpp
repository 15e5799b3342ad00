#include "memory_chart.hpp"

#include <QAreaSeries>
#include <QChart>
#include <QChartView>
#include <QLineSeries>
#include <QValueAxis>
#include <QVBoxLayout>

#include "chart_style.hpp"
#include "format.hpp"
#include "json_util.hpp"

namespace fmsim::gui {

namespace {
constexpr double kGB = 1e9;           // decimal gigabytes, as the reports
constexpr double kHeadroom = 1.1;     // the y axis reaches 10% above the highest line
}  // namespace

MemoryChart::MemoryChart(QWidget* parent) : QWidget(parent) {
    m_view = makeChartView(new QChart);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_view);
}

QWidget* MemoryChart::chartWidget() const { return m_view; }

void MemoryChart::setResult(const RunResult& r) {
    auto* chart = new QChart;
    const MemorySeries& m = r.memory;
    const double capacity = r.metric("capacity_bytes_per_device");
    if (m.timeS.isEmpty()) {
        chart->setTitle("Memory: no timeline (run a scenario with a device)");
    } else {
        const TimeUnit tu = timeUnitFor(m.timeS.back());
        const std::pair<const char*, const QVector<double>*> parts[] = {{"weights", &m.weights},
                                                                        {"KV cache", &m.kvCache},
                                                                        {"activations", &m.activations},
                                                                        {"workspace", &m.workspace},
                                                                        {"training state", &m.trainingState},
                                                                        {"runtime", &m.runtime}};
        auto* x = new QValueAxis;
        styleAxis(x, "time from the start of the run (" + tu.name + ")");
        x->setRange(0, m.timeS.back() / tu.scale);
        x->setLabelFormat("%.4g");
        auto* y = new QValueAxis;
        styleAxis(y, "device memory (GB)");
        y->setLabelFormat("%.3g");
        chart->addAxis(x, Qt::AlignBottom);
        chart->addAxis(y, Qt::AlignLeft);
        QVector<double> below(m.timeS.size(), 0.0);
        int colour = 0;
        for (const auto& [name, values] : parts) {
            bool any = false;
            for (double v : *values) any = any || v > 0;
            if (!any) continue;
            auto* lower = new QLineSeries;
            auto* upper = new QLineSeries;
            for (qsizetype i = 0; i < m.timeS.size(); ++i) {
                const double t = m.timeS.at(i) / tu.scale;
                lower->append(t, below.at(i) / kGB);
                below[i] += values->at(i);
                upper->append(t, below.at(i) / kGB);
            }
            auto* area = new QAreaSeries(upper, lower);
            area->setName(name);
            QColor c = paletteColor(colour++);
            area->setColor(c);
            area->setBorderColor(c.darker());
            chart->addSeries(area);
            area->attachAxis(x);
            area->attachAxis(y);
        }
        const double peakOfSeries = *std::max_element(below.begin(), below.end());
        double top = peakOfSeries;
        // The capacity line is drawn when it is on the same scale as the data; far above, the
        // stack would be a flat line at the bottom, so the title gives it instead.
        constexpr double kCapacityScale = 3;
        if (capacity > 0 && capacity <= peakOfSeries * kCapacityScale) {
            auto* cap = new QLineSeries;
            cap->setName("capacity " + formatQuantity(capacity, Unit::bytes));
            cap->append(0, capacity / kGB);
            cap->append(m.timeS.back() / tu.scale, capacity / kGB);
            cap->setPen(QPen(QColor("#d62728"), 2, Qt::DashLine));
            chart->addSeries(cap);
            cap->attachAxis(x);
            cap->attachAxis(y);
            top = std::max(top, capacity);
        }
        y->setRange(0, top / kGB * kHeadroom);
        y->applyNiceNumbers();
        x->applyNiceNumbers();
        const double peak = r.metric("peak_bytes_per_device");
        chart->setTitle(QString("Device memory over time: peak %1 of %2%3")
                            .arg(formatQuantity(peak, Unit::bytes), formatQuantity(capacity, Unit::bytes),
                                 r.fits() ? QString(" (fits)")
                                                                                : QString(" (does not fit)")));
        chart->legend()->setAlignment(Qt::AlignBottom);
    }
    QChart* old = m_view->chart();
    m_view->setChart(chart);
    delete old;
}

}  // namespace fmsim::gui
