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

Card::Card(const QString& title, Unit unit, QWidget* parent) : QFrame(parent), m_unit(unit) {
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

QString Card::valueText() const { return formatQuantity(m_value, m_unit); }

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
    const std::tuple<const char*, const char*, Unit> cards[] = {
        {"latency_s", "Latency", Unit::seconds},
        {"ttft_s", "Time to first token", Unit::seconds},
        {"tpot_s", "Time per output token", Unit::seconds},
        {"throughput", "Throughput", Unit::tokens_per_s},
        {"memory.peak_bytes_per_device", "Memory peak per device", Unit::bytes},
        {"energy.total_j", "Energy (devices)", Unit::joules},
        {"cost.usd", "Cost", Unit::usd},
        {"cost.co2_kg", "CO₂ (at the wall)", Unit::co2_kg}};
    int i = 0;
    for (const auto& [key, title, unit] : cards) {
        auto* c = new Card(title, unit, this);
        m_cards.insert(key, c);
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
    m_cards["latency_s"]->setValue(num("latency_s"), training ? "one training step" : "the whole run");
    m_cards["ttft_s"]->setValue(num("ttft_s"), std::isnan(num("ttft_s")) ? "generation only" : "the prefill");
    m_cards["tpot_s"]->setValue(num("tpot_s"), std::isnan(num("tpot_s")) ? "generation only" : "mean decode step");
    Card* tp = m_cards["throughput"];
    const double tokens = num("throughput_tokens_per_s"), samples = num("throughput_samples_per_s");
    tp->setUnit(std::isnan(tokens) ? Unit::samples_per_s : Unit::tokens_per_s);
    tp->setValue(std::isnan(tokens) ? samples : tokens,
                 std::isnan(tokens) ? QString("samples per second") : formatQuantity(samples, Unit::samples_per_s));
    const double peak = num("memory.peak_bytes_per_device"), capacity = num("memory.capacity_bytes_per_device");
    const bool fits = valueAt(rep, "memory.fits").toBool(true);
    m_cards["memory.peak_bytes_per_device"]->setValue(
        peak, std::isnan(capacity) ? QString("no device")
                                   : QString("of %1 — %2").arg(formatQuantity(capacity, Unit::bytes),
                                                               fits ? QString("fits")
                                                                    : "over by " + formatQuantity(num("memory.over_bytes"), Unit::bytes)));
    m_cards["memory.peak_bytes_per_device"]->setFill(peak / capacity);
    m_cards["energy.total_j"]->setValue(num("energy.total_j"),
                                        std::isnan(num("energy.per_token_j"))
                                            ? QString()
                                            : formatQuantity(num("energy.per_token_j"), Unit::joules) + " per token");
    m_cards["cost.usd"]->setValue(num("cost.usd"), std::isnan(num("cost.usd")) ? QString("not priced: set cost.usd_per_device_hour")
                                                                               : QString("device-hours × price"));
    m_cards["cost.co2_kg"]->setValue(num("cost.co2_kg"),
                                     formatSignificant(num("energy.facility_kwh")) + " kWh at the wall");
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
