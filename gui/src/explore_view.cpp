#include "explore_view.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableWidget>
#include <QThread>
#include <QVBoxLayout>
#include <cmath>
#include <set>

#include "fmsim/sim/results_db.hpp"
#include "fmsim/sim/sweep.hpp"
#include "fmsim/workloads/errors.hpp"
#include "format.hpp"
#include "heat_map.hpp"
#include "json_util.hpp"
#include "sweep_charts.hpp"

namespace fmsim::gui {

namespace {
constexpr int kControlsWidthPx = 300;
constexpr int kMaxPoints = 400;      // a sweep larger than this is a job for `fmsim sweep` and a database
constexpr int kRangeDigits = 6;      // significant digits of generated range values

// Paths engineers sweep most; any scenario key path can be typed instead.
const QStringList kCommonPaths{"batch",
                               "input_len",
                               "output_len",
                               "precision",
                               "runtime",
                               "hardware",
                               "hardware_overrides.memory.bandwidth_gb_per_s",
                               "hardware_overrides.memory.capacity_gb",
                               "hardware_overrides.cores.count",
                               "hardware_overrides.cores.matrix_engine.dense_flops_per_cycle.bf16",
                               "hardware_overrides.clock.sustained_mhz",
                               "hardware_overrides.power.tdp_w",
                               "system.devices",
                               "parallelism.tp",
                               "cost.usd_per_device_hour"};

// Splits "1, 8, {\"a\": 1, \"b\": 2}" at the commas outside brackets and strings.
QStringList splitTopLevel(const QString& text) {
    QStringList out;
    QString cur;
    int depth = 0;
    bool quoted = false;
    for (const QChar c : text) {
        if (c == '"') quoted = !quoted;
        if (!quoted && (c == '{' || c == '[')) ++depth;
        if (!quoted && (c == '}' || c == ']')) --depth;
        if (c == ',' && depth == 0 && !quoted) {
            out << cur.trimmed();
            cur.clear();
        } else {
            cur += c;
        }
    }
    if (!cur.trimmed().isEmpty()) out << cur.trimmed();
    return out;
}

// A JSON value text as shown on axes: strings without their quotes.
QString display(const QString& jsonText) {
    const QJsonValue v = parseLooseValue(jsonText);
    return v.isString() ? v.toString() : jsonText;
}

QString shortPath(const QString& path) { return path.section('.', -1); }
}  // namespace

ExploreView::ExploreView(QWidget* parent) : QWidget(parent) {
    m_controller = new SweepController(this);
    auto* axes = new QGroupBox("Parameters", this);
    auto* af = new QFormLayout(axes);
    af->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    for (int i = 0; i < 2; ++i) {
        m_path[i] = new QComboBox(this);
        m_path[i]->setEditable(true);
        m_path[i]->addItems(kCommonPaths);
        m_path[i]->setObjectName(QString("explore.path%1").arg(i + 1));
        m_path[i]->setToolTip("A scenario key path, as `fmsim run --set` takes it");
        m_values[i] = new QLineEdit(this);
        m_values[i]->setObjectName(QString("explore.values%1").arg(i + 1));
        m_values[i]->setPlaceholderText("1, 8, 64  or  1:256:9:log");
        m_values[i]->setToolTip("Comma-separated values (numbers, names, JSON objects), or start:stop:steps for a "
                                "linear range, start:stop:steps:log for a geometric one");
    }
    m_second = new QCheckBox("second parameter (heat map)", this);
    af->addRow("path 1", m_path[0]);
    af->addRow("values 1", m_values[0]);
    af->addRow(m_second);
    af->addRow("path 2", m_path[1]);
    af->addRow("values 2", m_values[1]);
    m_path[0]->setCurrentText("batch");
    m_values[0]->setText("1, 4, 16, 64");
    m_path[1]->setCurrentText("hardware_overrides.memory.bandwidth_gb_per_s");
    m_values[1]->setText("1600:8000:5");
    for (QWidget* w : {static_cast<QWidget*>(m_path[1]), static_cast<QWidget*>(m_values[1])}) w->setEnabled(false);
    connect(m_second, &QCheckBox::toggled, this, [this](bool on) {
        m_path[1]->setEnabled(on);
        m_values[1]->setEnabled(on);
    });

    auto* metrics = new QGroupBox("Metrics", this);
    auto* mf = new QFormLayout(metrics);
    m_metric = new QComboBox(this);
    m_paretoX = new QComboBox(this);
    m_paretoY = new QComboBox(this);
    for (QComboBox* c : {m_metric, m_paretoX, m_paretoY}) {
        c->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        constexpr int kMetricChars = 14;
        c->setMinimumContentsLength(kMetricChars);
        for (const MetricInfo& m : sweepMetrics()) c->addItem(m.label, m.path);
        connect(c, &QComboBox::currentIndexChanged, this, &ExploreView::redraw);
    }
    m_paretoX->setCurrentIndex(m_paretoX->findData("latency_s"));
    m_paretoY->setCurrentIndex(m_paretoY->findData("throughput_tokens_per_s"));
    // An optional third objective (energy, $, CO2): the front is then over three metrics, shown
    // on the x/y plane with the third in each point's label.
    m_paretoZ = new QComboBox(this);
    m_paretoZ->addItem("(none)", QString());
    for (const MetricInfo& m : sweepMetrics()) m_paretoZ->addItem(m.label, m.path);
    connect(m_paretoZ, &QComboBox::currentIndexChanged, this, &ExploreView::redraw);
    mf->addRow("chart", m_metric);
    mf->addRow("Pareto x", m_paretoX);
    mf->addRow("Pareto y", m_paretoY);
    m_paretoZ->setToolTip("An optional third objective: the front is taken over x, y and this one");
    mf->addRow("Pareto z", m_paretoZ);

    m_jobs = new QSpinBox(this);
    m_jobs->setRange(1, std::max(1, QThread::idealThreadCount()));
    m_jobs->setToolTip("Worker processes running points at once (one simulation each)");
    m_run = new QPushButton("Run sweep", this);
    m_run->setObjectName("explore.run");
    m_cancel = new QPushButton("Cancel", this);
    m_cancel->setObjectName("explore.cancel");
    m_cancel->setEnabled(false);
    m_progress = new QProgressBar(this);
    m_progress->setObjectName("explore.progress");
    m_progress->setFormat("%v / %m points");
    m_progress->setValue(0);
    m_status = new QLabel("Sweeps start from the scenario in the editor.", this);
    m_status->setWordWrap(true);
    auto* runRow = new QHBoxLayout;
    runRow->addWidget(new QLabel("workers", this));
    runRow->addWidget(m_jobs);
    runRow->addWidget(m_run, 1);
    runRow->addWidget(m_cancel);

    auto* controls = new QVBoxLayout;
    controls->addWidget(axes);
    controls->addWidget(metrics);
    controls->addLayout(runRow);
    controls->addWidget(m_progress);
    controls->addWidget(m_status);
    controls->addStretch();
    auto* controlsWidget = new QWidget(this);
    controlsWidget->setLayout(controls);
    controlsWidget->setFixedWidth(kControlsWidthPx);

    m_line = new SweepLineChart(this);
    m_heat = new HeatMap(this);
    m_sweepStack = new QStackedWidget(this);
    m_sweepStack->addWidget(m_line);
    m_sweepStack->addWidget(m_heat);
    m_pareto = new ParetoChart(this);
    m_table = new QTableWidget(this);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_tabs = new QTabWidget(this);
    m_tabs->addTab(m_sweepStack, "Sweep");
    m_tabs->addTab(m_pareto, "Pareto");
    m_tabs->addTab(m_table, "Points");
    auto* layout = new QHBoxLayout(this);
    layout->addWidget(controlsWidget);
    layout->addWidget(m_tabs, 1);

    connect(m_run, &QPushButton::clicked, this, &ExploreView::startSweep);
    connect(m_cancel, &QPushButton::clicked, this, &ExploreView::cancelSweep);
    connect(m_controller, &SweepController::pointFinished, this, &ExploreView::onPointFinished);
    connect(m_controller, &SweepController::progress, this, [this](int done, int total) {
        m_progress->setRange(0, total);
        m_progress->setValue(done);
    });
    connect(m_controller, &SweepController::finished, this, [this] {
        setRunning(false);
        m_status->setText(QString("Sweep done: %1 points.").arg(m_controller->results().size()));
    });
    connect(m_controller, &SweepController::cancelled, this, [this] {
        setRunning(false);
        m_status->setText(QString("Cancelled: %1 of %2 points kept.")
                              .arg(m_controller->results().size())
                              .arg(m_controller->total()));
    });
    connect(m_controller, &SweepController::failed, this, [this](const QString& m) {
        setRunning(false);
        m_status->setText("Cannot run the sweep: " + m);
        emit message(m);
    });
    connect(m_line, &SweepLineChart::pointClicked, this, &ExploreView::open);
    connect(m_pareto, &ParetoChart::pointClicked, this, &ExploreView::open);
    connect(m_heat, &HeatMap::cellClicked, this, [this](int column, int row) {
        const auto& results = m_controller->results();
        for (int i = 0; i < results.size(); ++i) {
            const auto& v = results.at(i).point.values;
            if (v.size() == 2 && m_axisValues.size() == 2 && m_axisValues.at(0).indexOf(v.at(0).second) == column &&
                m_axisValues.at(1).indexOf(v.at(1).second) == row)
                open(i);
        }
    });
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this](int row, int) {
        open(m_table->item(row, 0)->data(Qt::UserRole).toInt());
    });
}

void ExploreView::setAxes(const QString& path1, const QString& values1, const QString& path2, const QString& values2) {
    m_path[0]->setCurrentText(path1);
    m_values[0]->setText(values1);
    m_second->setChecked(!path2.isEmpty());
    if (!path2.isEmpty()) {
        m_path[1]->setCurrentText(path2);
        m_values[1]->setText(values2);
    }
}

void ExploreView::setMetrics(const QString& lineMetric, const QString& paretoX, const QString& paretoY,
                             const QString& paretoThird) {
    // By canonical metric name; an older report path ("energy.total_j") names the same metric.
    auto pick = [](QComboBox* c, const QString& name) {
        const MetricInfo* m = name.isEmpty() ? nullptr : findMetric(name);
        c->setCurrentIndex(std::max(0, c->findData(m ? m->path : name)));
    };
    pick(m_metric, lineMetric);
    pick(m_paretoX, paretoX);
    pick(m_paretoY, paretoY);
    pick(m_paretoZ, paretoThird);
}

QString ExploreView::loadSweepFile(const QString& path, QString* error) {
    try {
        const sim::SweepSpec spec = sim::load_sweep(path.toStdString());
        if (spec.axes.empty() || spec.axes.size() > 2 || spec.mode != sim::SweepMode::product) {
            *error = path + ": the explore view takes one or two axes in product mode; run it with `fmsim sweep`";
            return {};
        }
        QStringList texts;
        for (const auto& a : spec.axes) {
            QStringList v;
            for (const auto& s : a.values) v << QString::fromStdString(s);
            texts << v.join(", ");
        }
        setAxes(QString::fromStdString(spec.axes[0].path), texts.at(0),
                spec.axes.size() > 1 ? QString::fromStdString(spec.axes[1].path) : QString(), texts.value(1));
        m_sweepName = QString::fromStdString(spec.name);
        return QString::fromStdString(spec.base_path);
    } catch (const UserError& e) {
        *error = QString::fromStdString(e.what());
        return {};
    }
}

QStringList ExploreView::axisValues(int axis) const {
    const QString text = m_values[axis]->text().trimmed();
    static const QRegularExpression range(R"(^([-+0-9.eE]+)\s*:\s*([-+0-9.eE]+)\s*:\s*(\d+)\s*(:\s*log)?$)");
    QStringList out;
    if (const auto m = range.match(text); m.hasMatch()) {
        const double a = m.captured(1).toDouble(), b = m.captured(2).toDouble();
        const int n = m.captured(3).toInt();
        const bool geometric = !m.captured(4).isEmpty();
        if (n < 1 || (geometric && (a <= 0 || b <= 0))) return {};
        const bool integers = std::floor(a) == a && std::floor(b) == b;
        for (int i = 0; i < n; ++i) {
            const double f = n == 1 ? 0 : static_cast<double>(i) / (n - 1);
            double v = geometric ? a * std::pow(b / a, f) : a + (b - a) * f;
            v = integers ? std::round(v) : QString::number(v, 'g', kRangeDigits).toDouble();
            const QString t = compactJson(v);
            if (!out.contains(t)) out << t;
        }
        return out;
    }
    for (const QString& item : splitTopLevel(text)) {
        const QString t = compactJson(parseLooseValue(item));
        if (!out.contains(t)) out << t;
    }
    return out;
}

bool ExploreView::startSweep() {
    const BaseScenario base = m_base ? m_base() : BaseScenario{};
    if (base.scenario.isEmpty()) {
        m_status->setText("Open or make a scenario first: sweeps start from it.");
        return false;
    }
    sim::SweepSpec spec;
    const int axes = m_second->isChecked() ? 2 : 1;
    m_axisPaths.clear();
    m_axisValues.clear();
    for (int i = 0; i < axes; ++i) {
        const QString path = m_path[i]->currentText().trimmed();
        const QStringList values = axisValues(i);
        if (path.isEmpty() || values.isEmpty()) {
            m_status->setText(QString("Parameter %1: give a key path and at least one value.").arg(i + 1));
            return false;
        }
        sim::SweepAxis a{path.toStdString(), {}};
        for (const QString& v : values) a.values.push_back(v.toStdString());
        spec.axes.push_back(a);
        m_axisPaths << path;
        m_axisValues << values;
    }
    spec.name = m_sweepName.isEmpty() ? base.scenario.value("name").toString("scenario").toStdString() + "-explore"
                                      : m_sweepName.toStdString();
    QVector<SweepPointSpec> points;
    for (const sim::SweepPoint& p : sim::expand_points(spec)) {
        SweepPointSpec s;
        s.index = static_cast<int>(p.index);
        for (const auto& set : p.sets()) s.sets << QString::fromStdString(set);
        s.label = QString::fromStdString(p.label());
        s.key = QString::fromStdString(p.key);
        s.valuesJson = QString::fromStdString(p.values_json);
        for (const auto& [k, v] : p.values) s.values.push_back({QString::fromStdString(k), QString::fromStdString(v)});
        points << s;
    }
    if (points.size() > kMaxPoints) {
        m_status->setText(QString("%1 points: more than %2; use `fmsim sweep` with a results database for sweeps this "
                                  "large.")
                              .arg(points.size())
                              .arg(kMaxPoints));
        return false;
    }
    m_sweepName = QString::fromStdString(spec.name);
    m_sweepBase = base;
    m_table->setRowCount(0);
    setRunning(true);
    m_status->setText(QString("Running %1 points of %2…").arg(points.size()).arg(base.displayName));
    if (!m_controller->start(base.scenario, base.originDir, base.displayName, points, m_jobs->value())) return false;
    redraw();
    return true;
}

void ExploreView::cancelSweep() { m_controller->cancel(); }

void ExploreView::setRunning(bool running) {
    m_run->setEnabled(!running);
    m_cancel->setEnabled(running);
    for (int i = 0; i < 2; ++i) m_values[i]->setEnabled(!running && (i == 0 || m_second->isChecked()));
}

void ExploreView::onPointFinished(const SweepPointResult& r) {
    const int index = static_cast<int>(m_controller->results().size()) - 1;
    QStringList header{"#"};
    for (const QString& p : m_axisPaths) header << shortPath(p);
    header << "status" << "latency" << "throughput" << "memory peak" << "energy" << "cost" << "wall time";
    m_table->setColumnCount(static_cast<int>(header.size()));
    m_table->setHorizontalHeaderLabels(header);
    const int row = m_table->rowCount();
    m_table->insertRow(row);
    auto set = [&](int col, const QString& text) { m_table->setItem(row, col, new QTableWidgetItem(text)); };
    set(0, QString::number(r.point.index));
    m_table->item(row, 0)->setData(Qt::UserRole, index);
    int col = 1;
    for (const auto& v : r.point.values) set(col++, display(v.second));
    const RunResult& res = r.result;
    const bool fits = res.fits();
    set(col++, r.ok ? (fits ? "ok" : "ok (does not fit)") : "error: " + r.error);
    const double tokens = res.metric("throughput_tokens_per_s");
    set(col++, formatQuantity(r.ok ? res.metric("latency_s") : NAN, Unit::seconds));
    set(col++, std::isnan(tokens) ? formatQuantity(res.metric("throughput_samples_per_s"), Unit::samples_per_s)
                                  : formatQuantity(tokens, Unit::tokens_per_s));
    set(col++, formatQuantity(res.metric("peak_bytes_per_device"), Unit::bytes));
    set(col++, formatQuantity(res.metric("energy_j"), Unit::joules));
    set(col++, formatQuantity(res.metric("cost_usd"), Unit::usd));
    set(col++, formatQuantity(r.elapsedS, Unit::seconds));
    if (!r.ok) m_table->item(row, 1 + static_cast<int>(m_axisPaths.size()))->setForeground(QColor("#b00020"));
    m_table->resizeColumnsToContents();
    redraw();
}

void ExploreView::redraw() {
    const auto& results = m_controller->results();
    const MetricInfo* metric = findMetric(m_metric->currentData().toString());
    if (!metric || m_axisPaths.isEmpty()) return;
    const QString run = QString("%1 (%2 of %3 points)").arg(m_sweepName).arg(results.size()).arg(m_controller->total());
    if (m_axisPaths.size() == 1) {
        QVector<ChartPoint> pts;
        bool numeric = true;
        for (const QString& v : m_axisValues.at(0)) numeric = numeric && parseLooseValue(v).isDouble();
        for (int i = 0; i < results.size(); ++i) {
            const SweepPointResult& r = results.at(i);
            const double y = r.result.metric(metric->path);
            if (!r.ok || std::isnan(y)) continue;
            const QString v = r.point.values.at(0).second;
            const double x = numeric ? parseLooseValue(v).toDouble() : static_cast<double>(m_axisValues.at(0).indexOf(v));
            pts.push_back({i, r.point.label, x, y, r.result.fits(), false});
        }
        QStringList shown;
        for (const QString& v : m_axisValues.at(0)) shown << display(v);
        m_line->setData(metric->label + " vs " + shortPath(m_axisPaths.at(0)) + ": " + run, m_axisPaths.at(0), shown,
                        pts, *metric);
        m_sweepStack->setCurrentWidget(m_line);
    } else {
        const QStringList& xs = m_axisValues.at(0);
        const QStringList& ys = m_axisValues.at(1);
        QVector<double> cells(xs.size() * ys.size(), NAN);
        for (const SweepPointResult& r : results) {
            if (!r.ok || r.point.values.size() != 2) continue;
            const auto c = xs.indexOf(r.point.values.at(0).second), w = ys.indexOf(r.point.values.at(1).second);
            if (c >= 0 && w >= 0) cells[w * xs.size() + c] = r.result.metric(metric->path) / metric->scale;
        }
        QStringList xl, yl;
        for (const QString& v : xs) xl << display(v);
        for (const QString& v : ys) yl << display(v);
        m_heat->setData(metric->label + ": " + run + "; click a cell to open it", m_axisPaths.at(0), xl, m_axisPaths.at(1),
                        yl, cells, metric->label, [](double v) { return formatSignificant(v); });
        m_sweepStack->setCurrentWidget(m_heat);
    }
    // Pareto: the facade's front over the points that ran, fit and have the chosen metrics.
    const MetricInfo* mx = findMetric(m_paretoX->currentData().toString());
    const MetricInfo* my = findMetric(m_paretoY->currentData().toString());
    const QString zPath = m_paretoZ->currentData().toString();
    const MetricInfo* mz = zPath.isEmpty() ? nullptr : findMetric(zPath);
    std::vector<sim::StoredPoint> stored;
    QVector<ChartPoint> pts;
    for (int i = 0; i < results.size(); ++i) {
        const SweepPointResult& r = results.at(i);
        const double x = r.result.metric(mx->path), y = r.result.metric(my->path);
        const double z = mz ? r.result.metric(mz->path) : 0;
        if (!r.ok || std::isnan(x) || std::isnan(y) || std::isnan(z)) continue;
        sim::StoredPoint s;
        s.point_index = i;  // the result's position, to find it in the front
        s.status = "ok";
        s.report = r.result.reportJson.toStdString();
        s.metrics = sim::metrics_from_report(s.report);
        stored.push_back(s);
        const QString label = mz ? r.point.label + ", " + mz->label + " " + formatSignificant(z / mz->scale) : r.point.label;
        pts.push_back({i, label, x, y, r.result.fits(), false});
    }
    QString title = QString("Pareto front: %1 points").arg(pts.size());
    try {
        std::vector<sim::ParetoObjective> objectives{{mx->path.toStdString(), mx->maximize},
                                                     {my->path.toStdString(), my->maximize}};
        if (mz) objectives.push_back({mz->path.toStdString(), mz->maximize});
        std::set<std::int64_t> front;
        if (!stored.empty())
            for (const auto& p : sim::pareto_points(stored, objectives).points) front.insert(p.point_index);
        for (ChartPoint& p : pts) p.onFront = front.count(p.index) > 0;
        title += QString(", %1 on the front%2 (click a point to open it)")
                     .arg(front.size())
                     .arg(mz ? " of " + mx->label + ", " + my->label + " and " + mz->label : QString());
    } catch (const UserError& e) {
        title += QString(" (%1)").arg(QString::fromStdString(e.what()));
    }
    m_pareto->setData(title, pts, *mx, *my, /*frontLine=*/mz == nullptr);
}

void ExploreView::open(int resultIndex) {
    const auto& results = m_controller->results();
    if (resultIndex < 0 || resultIndex >= results.size()) return;
    const SweepPointSpec& point = results.at(resultIndex).point;
    BaseScenario design = m_sweepBase;
    for (const auto& [path, value] : point.values) setValueAt(design.scenario, path, parseLooseValue(value));
    design.scenario["name"] = design.scenario.value("name").toString() + " [" + point.label + "]";
    emit openDesign(design);
}

QWidget* ExploreView::currentChart() const {
    if (m_tabs->currentWidget() == m_pareto) return m_pareto->chartWidget();
    if (m_tabs->currentWidget() == m_table) return m_table;
    return m_sweepStack->currentWidget() == m_heat ? static_cast<QWidget*>(m_heat) : m_line->chartWidget();
}

void ExploreView::showTab(const QString& name) {
    if (name == "pareto") m_tabs->setCurrentWidget(m_pareto);
    else if (name == "points") m_tabs->setCurrentWidget(m_table);
    else m_tabs->setCurrentWidget(m_sweepStack);
}

namespace {
std::vector<sim::StoredPoint> storedPoints(const QString& sweep, const QVector<SweepPointResult>& results) {
    std::vector<sim::StoredPoint> out;
    for (const SweepPointResult& r : results) {
        sim::StoredPoint s;
        s.sweep = sweep.toStdString();
        s.point_key = r.point.key.toStdString();
        s.axis_values = r.point.valuesJson.toStdString();
        s.point_index = r.point.index;
        s.status = r.ok ? "ok" : "error";
        s.error = r.error.toStdString();
        s.report = r.result.reportJson.toStdString();
        if (r.ok) s.metrics = sim::metrics_from_report(s.report);
        s.elapsed_s = r.elapsedS;
        out.push_back(s);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.point_index < b.point_index; });
    return out;
}
}  // namespace

QByteArray ExploreView::resultsCsv() const {
    return QByteArray::fromStdString(sim::results_csv(storedPoints(m_sweepName, m_controller->results())));
}

QByteArray ExploreView::resultsJson() const {
    return QByteArray::fromStdString(sim::results_json(storedPoints(m_sweepName, m_controller->results())));
}

}  // namespace fmsim::gui
