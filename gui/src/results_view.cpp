#include "results_view.hpp"

#include <QGridLayout>
#include <QLabel>
#include <QProgressBar>
#include <QTabWidget>
#include <QVBoxLayout>
#include <cmath>

#include "breakdown_chart.hpp"
#include "json_util.hpp"
#include "memory_chart.hpp"
#include "roofline_chart.hpp"
#include "timeline_view.hpp"

namespace fmsim::gui {

namespace {
constexpr int kCardColumns = 4;
constexpr int kPercent = 100;
constexpr int kValuePointSize = 16;
}  // namespace

Card::Card(const QString& title, const sim::Metric& metric, QWidget* parent) : QFrame(parent), m_metric(&metric) {
    setFrameShape(QFrame::StyledPanel);
    setObjectName("card");
    setStyleSheet("QFrame#card { background: white; border: 1px solid #d0d4da; border-radius: 6px; }");
    m_title = new QLabel(title, this);
    m_title->setStyleSheet("color: #555;");
    m_text = new QLabel(valueText(), this);
    QFont f = m_text->font();
    f.setPointSize(kValuePointSize);
    f.setBold(true);
    m_text->setFont(f);
    m_detail = new QLabel(this);
    m_detail->setStyleSheet("color: #666;");
    m_detail->setWordWrap(true);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 6);
    layout->setSpacing(1);
    layout->addWidget(m_title);
    layout->addWidget(m_text);
    layout->addWidget(m_detail);
}

QString Card::valueText() const { return formatMetric(*m_metric, m_value); }

void Card::setValue(double value, const QString& detail) {
    m_value = value;
    m_text->setText(valueText());
    m_detail->setText(detail);
}

void Card::setFill(double fraction) {
    if (!m_fill) {
        m_fill = new QProgressBar(this);
        m_fill->setRange(0, kPercent);
        m_fill->setTextVisible(false);
        constexpr int kBarHeightPx = 6;
        m_fill->setFixedHeight(kBarHeightPx);
        layout()->addWidget(m_fill);
    }
    const bool over = fraction > 1;
    m_fill->setValue(std::isnan(fraction) ? 0 : static_cast<int>(std::min(fraction, 1.0) * kPercent));
    m_fill->setStyleSheet(QString("QProgressBar::chunk { background: %1; }").arg(over ? "#d62728" : "#59a14f"));
}

ResultsView::ResultsView(QWidget* parent) : QWidget(parent) {
    m_header = new QLabel("Run a scenario (Ctrl+R) to see its results.", this);
    m_header->setWordWrap(true);
    m_error = new QLabel(this);
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet("background: #fde8e8; color: #8a1c1c; border: 1px solid #e0a0a0; padding: 6px;");
    m_error->hide();
    auto* grid = new QGridLayout;
    grid->setSpacing(6);
    // One card per headline metric of the table, in its order.
    int i = 0;
    for (const sim::Metric& m : sim::metric_table()) {
        if (!m.headline) continue;
        QString title = QString::fromUtf8(m.label.data(), static_cast<qsizetype>(m.label.size()));
        title[0] = title[0].toUpper();
        auto* c = new Card(title, m, this);
        m_cards.insert(QString::fromUtf8(m.name.data(), static_cast<qsizetype>(m.name.size())), c);
        grid->addWidget(c, i / kCardColumns, i % kCardColumns);
        ++i;
    }
    for (int c = 0; c < kCardColumns; ++c) grid->setColumnStretch(c, 1);
    m_breakdown = new BreakdownChart(this);
    m_roofline = new RooflineChart(this);
    m_timeline = new TimelineView(this);
    m_memory = new MemoryChart(this);
    m_charts = new QTabWidget(this);
    m_charts->addTab(m_breakdown, "Breakdown");
    m_charts->addTab(m_roofline, "Roofline");
    m_charts->addTab(m_timeline, "Timeline");
    m_charts->addTab(m_memory, "Memory");
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(m_error);
    layout->addWidget(m_header);
    layout->addLayout(grid);
    layout->addWidget(m_charts, 1);
}

void ResultsView::showError(const QString& message) {
    m_error->setText(message);
    m_error->setVisible(!message.isEmpty());
}

void ResultsView::setResult(const RunResult& r) {
    showError({});
    const QJsonObject& rep = r.report;
    auto num = [&](const char* path) { return numberAt(rep, path); };
    m_header->setText(QString("<b>%1</b> — %2 on %3 (%4)%5 · %6 parameters · %7 FLOP · kernels: %8 simulated, %9 reused")
                          .arg(rep.value("name").toString().toHtmlEscaped(),
                               valueAt(rep, "scenario.model").isString() ? valueAt(rep, "scenario.model").toString()
                                                                         : QString("inline model"),
                               rep.value("hardware").toString("no device"), rep.value("runtime").toString("-"),
                               rep.value("parallelism").isString() ? ", " + rep.value("parallelism").toString() : QString(),
                               formatQuantity(num("params"), Unit::plain), formatQuantity(num("flops"), Unit::plain))
                          .arg(num("kernels.simulated"))
                          .arg(num("kernels.reused")));
    const bool training = rep.value("training").isObject();
    // Each card: its metric's value and, as context, what one value covers (per step, per
    // request, ...) or why it is absent; a few cards say more.
    for (auto it = m_cards.begin(); it != m_cards.end(); ++it) {
        const sim::Metric* m = sim::find_metric(it.key().toStdString());
        it.value()->setMetric(*m);
        const double v = r.metric(it.key());
        const QString scope = QString::fromStdString(sim::scope_text(m->scope, training));
        it.value()->setValue(v, std::isnan(v) ? (m->when_absent.empty() ? QString("does not apply")
                                                                         : QString::fromUtf8(m->when_absent.data(),
                                                                                             static_cast<qsizetype>(m->when_absent.size())))
                                              : scope);
    }
    if (Card* tp = m_cards.value("throughput_tokens_per_s")) {
        const double tokens = r.metric("throughput_tokens_per_s"), samples = r.metric("throughput_samples_per_s");
        const sim::Metric& samplesMetric = *sim::find_metric("throughput_samples_per_s");
        if (std::isnan(tokens)) {
            tp->setMetric(samplesMetric);
            tp->setValue(samples, "samples per second");
        } else {
            tp->setValue(tokens, formatMetric(samplesMetric, samples));
        }
    }
    if (Card* mem = m_cards.value("peak_bytes_per_device")) {
        const double peak = r.metric("peak_bytes_per_device"), capacity = r.metric("capacity_bytes_per_device");
        const sim::Metric& bytes = *sim::find_metric("capacity_bytes_per_device");
        mem->setValue(peak, std::isnan(capacity) ? QString("no device")
                                                 : QString("of %1 per device — %2")
                                                       .arg(formatMetric(bytes, capacity),
                                                            r.fits() ? QString("fits")
                                                                     : "over by " + formatMetric(bytes, r.metric("over_bytes_per_device"))));
        mem->setFill(peak / capacity);
    }
    if (Card* co2 = m_cards.value("co2_kg"))
        co2->setValue(r.metric("co2_kg"),
                      formatMetric(*sim::find_metric("facility_energy_kwh"), r.metric("facility_energy_kwh")) +
                          " at the wall, " + QString::fromStdString(sim::scope_text(sim::MetricScope::per_batch, training)));
    m_breakdown->setResult(r);
    m_roofline->setResult(r);
    m_timeline->setResult(r);
    m_memory->setResult(r);
}

QWidget* ResultsView::currentChart() const {
    QWidget* w = m_charts->currentWidget();
    if (w == m_breakdown) return m_breakdown->chartWidget();
    if (w == m_roofline) return m_roofline->chartWidget();
    if (w == m_timeline) return m_timeline->chartWidget();
    return m_memory->chartWidget();
}

void ResultsView::showChart(const QString& name) {
    const QMap<QString, QWidget*> tabs{{"breakdown", m_breakdown}, {"roofline", m_roofline},
                                       {"timeline", m_timeline},   {"memory", m_memory}};
    if (tabs.contains(name)) m_charts->setCurrentWidget(tabs.value(name));
}

}  // namespace fmsim::gui
