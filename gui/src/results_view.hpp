#pragma once
// The results of the current run: summary cards (latency or TTFT/TPOT, throughput, memory peak
// against capacity, energy, $, CO2) above the charts (breakdown, roofline, timeline, memory).
#include <QFrame>
#include <QMap>
#include <QWidget>
#include <limits>

#include "fmsim/sim/metrics.hpp"
#include "format.hpp"
#include "run_result.hpp"

class QLabel;
class QProgressBar;
class QTabWidget;

namespace fmsim::gui {

class BreakdownChart;
class MemoryChart;
class RooflineChart;
class TimelineView;

// One summary figure: a metric of the table (sim/metrics.hpp), its value as formatted text, a
// line of context. It keeps the number it shows, so tests compare it with `fmsim run --json`.
class Card : public QFrame {
    Q_OBJECT
public:
    Card(const QString& title, const sim::Metric& metric, QWidget* parent = nullptr);
    void setValue(double value, const QString& detail = {});
    // Memory cards: the share of the capacity, drawn as a bar (red when over).
    void setFill(double fraction);
    double value() const { return m_value; }
    QString valueText() const;
    // The metric it shows (the throughput card shows samples/s where a run has no tokens/s).
    const sim::Metric& metric() const { return *m_metric; }
    void setMetric(const sim::Metric& metric) { m_metric = &metric; }

private:
    const sim::Metric* m_metric;
    double m_value = std::numeric_limits<double>::quiet_NaN();
    QLabel* m_title;
    QLabel* m_text;
    QLabel* m_detail;
    QProgressBar* m_fill = nullptr;
};

class ResultsView : public QWidget {
    Q_OBJECT
public:
    explicit ResultsView(QWidget* parent = nullptr);
    void setResult(const RunResult& result);
    void showError(const QString& message);  // "" hides it
    // The card of a headline metric of the table, by canonical name: latency_s, ttft_s, tpot_s,
    // throughput_tokens_per_s, peak_bytes_per_device, energy_j, energy_per_token_j, cost_usd, co2_kg.
    Card* card(const QString& key) const { return m_cards.value(key); }
    QStringList cardKeys() const { return m_cards.keys(); }
    QWidget* currentChart() const;
    // "breakdown", "roofline", "timeline" or "memory".
    void showChart(const QString& name);

private:
    QLabel* m_header;
    QLabel* m_error;
    QMap<QString, Card*> m_cards;
    QTabWidget* m_charts;
    BreakdownChart* m_breakdown;
    RooflineChart* m_roofline;
    TimelineView* m_timeline;
    MemoryChart* m_memory;
};

}  // namespace fmsim::gui
