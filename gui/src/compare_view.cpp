#include "compare_view.hpp"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

#include "fmsim/sim/metrics.hpp"
#include "format.hpp"
#include "json_util.hpp"

namespace fmsim::gui {

namespace {
enum Column { colName, colA, colB, colDelta, colCount };
const QColor kDiffBackground("#fff4d6");
const QColor kBetter("#1a7f37"), kWorse("#b42318"), kNeutral("#1f5fbf");

struct Quantity {
    const char* path;
    const char* label;
    Unit unit;
};
// Derived device figures (hardware_json).
const Quantity kDevice[] = {{"sustained_clock_mhz", "sustained clock", Unit::megahertz},
                            {"cores", "cores", Unit::plain},
                            {"peak_matrix_flops_per_s.bf16", "matrix peak bf16", Unit::flops_per_s},
                            {"peak_matrix_flops_per_s.fp8", "matrix peak fp8", Unit::flops_per_s},
                            {"ridge_point_flops_per_byte.bf16", "ridge point bf16", Unit::flops_per_byte},
                            {"memory_capacity_bytes", "memory capacity", Unit::bytes},
                            {"memory_bandwidth_bytes_per_s", "memory bandwidth", Unit::bytes_per_s},
                            {"tdp_w", "TDP", Unit::watts}};
}  // namespace

CompareView::CompareView(QWidget* parent) : QWidget(parent) {
    m_hint = new QLabel("Pin a result as A and another as B (toolbar: Pin A, Pin B) to compare them.", this);
    m_hint->setWordWrap(true);
    m_table = new QTableWidget(0, colCount, this);
    m_table->setObjectName("compare.table");
    m_table->setHorizontalHeaderLabels({"quantity", "A", "B", "B vs A"});
    m_table->verticalHeader()->hide();
    constexpr int kRowHeightPx = 22;
    m_table->verticalHeader()->setDefaultSectionSize(kRowHeightPx);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setSectionResizeMode(colName, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(colA, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(colB, QHeaderView::Stretch);
    m_table->horizontalHeader()->setSectionResizeMode(colDelta, QHeaderView::ResizeToContents);
    auto* swap = new QPushButton("Swap A and B", this);
    auto* top = new QHBoxLayout;
    top->addWidget(m_hint, 1);
    top->addWidget(swap);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(m_table, 1);
    connect(swap, &QPushButton::clicked, this, [this] {
        std::swap(m_a, m_b);
        rebuild();
    });
}

void CompareView::pinA(const RunResult& r) {
    m_a = r;
    rebuild();
}

void CompareView::pinB(const RunResult& r) {
    m_b = r;
    rebuild();
}

void CompareView::rebuild() {
    m_table->setRowCount(0);
    m_table->setHorizontalHeaderLabels({"quantity", "A: " + (m_a.isValid() ? m_a.label : QString("(not pinned)")),
                                        "B: " + (m_b.isValid() ? m_b.label : QString("(not pinned)")), "B vs A"});
    auto section = [&](const QString& title) {
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        auto* item = new QTableWidgetItem(title);
        QFont f = item->font();
        f.setBold(true);
        item->setFont(f);
        item->setBackground(QColor("#e8ecf2"));
        m_table->setItem(row, colName, item);
        m_table->setSpan(row, colName, 1, colCount);
    };
    // One row; numbers get a percent change, coloured by whether B is better where that is known.
    auto addRow = [&](const QString& name, const QString& a, const QString& b, double na, double nb, int better) {
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        const QString cells[] = {name, a, b, formatPercentDelta(na, nb)};
        const bool differs = a != b;
        for (int c = 0; c < colCount; ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (differs) item->setBackground(kDiffBackground);
            if (c == colDelta && differs && !std::isnan(na) && !std::isnan(nb) && na != nb) {
                const bool up = nb > na;
                item->setForeground(better == 0 ? kNeutral : (up == (better > 0)) ? kBetter : kWorse);
            }
            m_table->setItem(row, c, item);
        }
    };
    section("Metrics");
    // Every metric of the table (sim/metrics.hpp) that either run has, in the table's order.
    for (const sim::Metric& m : sim::metric_table()) {
        const QString name = QString::fromUtf8(m.name.data(), static_cast<qsizetype>(m.name.size()));
        const double a = m_a.metric(name), b = m_b.metric(name);
        if (std::isnan(a) && std::isnan(b)) continue;
        // +1: higher is better, -1: lower is better, 0: neither (work, parameters, capacity).
        const int better = m.better == sim::Better::higher ? 1 : m.better == sim::Better::lower ? -1 : 0;
        QString label = QString::fromUtf8(m.label.data(), static_cast<qsizetype>(m.label.size()));
        const std::string scope = sim::scope_text(m.scope, m_a.metric("step_time_s") >= 0 || m_b.metric("step_time_s") >= 0);
        if (!scope.empty() && !label.contains(QString::fromStdString(scope))) label += " (" + QString::fromStdString(scope) + ")";
        addRow(label, formatMetric(m, a), formatMetric(m, b), a, b, better);
    }
    section("Device (derived)");
    for (const Quantity& q : kDevice) {
        const double a = numberAt(m_a.hardware, q.path), b = numberAt(m_b.hardware, q.path);
        if (std::isnan(a) && std::isnan(b)) continue;
        addRow(q.label, formatQuantity(a, q.unit), formatQuantity(b, q.unit), a, b, 0);
    }
    section("Scenario as run");
    const auto fa = flatten(m_a.report.value("scenario").toObject());
    const auto fb = flatten(m_b.report.value("scenario").toObject());
    QStringList keys;
    for (const auto& [k, v] : fa) keys << k;
    for (const auto& [k, v] : fb)
        if (!keys.contains(k)) keys << k;
    auto lookup = [](const QVector<std::pair<QString, QString>>& f, const QString& k) {
        for (const auto& [key, v] : f)
            if (key == k) return v;
        return QString("–");
    };
    for (const QString& k : keys) {
        const QString a = lookup(fa, k), b = lookup(fb, k);
        bool okA = false, okB = false;
        const double na = a.toDouble(&okA), nb = b.toDouble(&okB);
        addRow(k, a, b, okA ? na : NAN, okB ? nb : NAN, 0);
    }
}

}  // namespace fmsim::gui
