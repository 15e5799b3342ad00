// fmsim-gui tests, headless (QT_QPA_PLATFORM=offscreen): the cards show what `fmsim run --json`
// reports, an edit in the generated hardware editor moves the derived peak to its closed form, a
// running sweep can be cancelled, and screenshot mode writes a 1280x800 PNG.
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QImage>
#include <QJsonDocument>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>
#include <cerrno>
#include <cmath>
#include <csignal>

#include "explore_view.hpp"
#include "export.hpp"
#include "fmsim/hwmodels/hardware.hpp"
#include "fmsim/sim/metrics.hpp"
#include "format.hpp"
#include "hardware_editor.hpp"
#include "json_util.hpp"
#include "main_window.hpp"
#include "results_view.hpp"
#include "run_controller.hpp"
#include "scenario_editor.hpp"
#include "schema_form.hpp"
#include "sweep_charts.hpp"

using namespace fmsim::gui;

namespace {
constexpr int kTimeoutMs = 60000;  // generous: each run here takes well under a second
const QString kScenarios = QStringLiteral(FMSIM_SOURCE_DIR "/configs/scenarios/");

// Where the report JSON has the metric a card shows: its "metrics" object, by the card's metric
// name (throughput: tokens/s where the report has it, else samples/s).
QString reportPath(const QString& card, const QJsonObject& report) {
    if (card != "throughput_tokens_per_s") return "metrics." + card;
    return std::isnan(numberAt(report, "metrics.throughput_tokens_per_s")) ? "metrics.throughput_samples_per_s"
                                                                          : "metrics.throughput_tokens_per_s";
}

bool processGone(qint64 pid) { return ::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH; }
}  // namespace

class GuiTest : public QObject {
    Q_OBJECT
private slots:
    void initTestCase() { RunController::setWorkerProgram(FMSIM_GUI); }
    void cards_match_cli_data();
    void cards_match_cli();
    void hardware_edit_updates_peak();
    void cancel_sweep();
    void error_then_open_design();
    void screenshot_png();
};

void GuiTest::cards_match_cli_data() {
    QTest::addColumn<QString>("scenario");
    QTest::newRow("encoder, priced") << "bert-base-l4.json";          // throughput, cost; no TTFT/TPOT
    QTest::newRow("generation") << "gpt2-decode-cuda-graphs.json";   // TTFT/TPOT; no price
}

void GuiTest::cards_match_cli() {
    QFETCH(QString, scenario);
    const QString path = kScenarios + scenario;
    MainWindow w;
    QString error;
    QVERIFY2(w.openScenario(path, &error), qPrintable(error));
    QSignalSpy finished(&w, &MainWindow::runFinished);
    QSignalSpy progress(w.runController(), &RunController::progress);
    QVERIFY(w.run());
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, kTimeoutMs);
    // The worker reported its replay stage by stage, ending at the whole workload.
    QVERIFY(progress.count() >= 1);
    QCOMPARE(progress.back().at(0).toLongLong(), progress.back().at(1).toLongLong());

    QProcess cli;
    cli.start(FMSIM_CLI, {"run", path, "--json", "-"});
    QVERIFY(cli.waitForFinished(kTimeoutMs));
    QCOMPARE(cli.exitCode(), 0);
    const QJsonObject ref = QJsonDocument::fromJson(cli.readAllStandardOutput()).object();
    QVERIFY(!ref.isEmpty());

    ResultsView* results = w.resultsView();
    // One card per headline metric of the table.
    int headline = 0;
    for (const fmsim::sim::Metric& m : fmsim::sim::metric_table()) headline += m.headline ? 1 : 0;
    QCOMPARE(results->cardKeys().size(), headline);
    for (const QString& key : results->cardKeys()) {
        const Card* card = results->card(key);
        const double expected = numberAt(ref, reportPath(key, ref));
        if (std::isnan(expected)) {
            QVERIFY2(std::isnan(card->value()), qPrintable(key));
        } else {
            QVERIFY2(card->value() == expected,
                     qPrintable(QString("%1: card %2, cli %3").arg(key).arg(card->value(), 0, 'g', 17).arg(expected, 0, 'g', 17)));
        }
        QCOMPARE(card->valueText(), formatMetric(card->metric(), expected));
    }

    // Exports: the report as the facade wrote it, the visible chart as PNG and SVG.
    QCOMPARE(QJsonDocument::fromJson(w.currentResult().reportJson).object(), ref);
    QTemporaryDir dir;
    for (const char* name : {"chart.png", "chart.svg"}) {
        QVERIFY2(exportWidget(results->currentChart(), dir.filePath(name), &error), qPrintable(error));
        QVERIFY(QFileInfo(dir.filePath(name)).size() > 0);
    }
}

void GuiTest::hardware_edit_updates_peak() {
    MainWindow w;
    QString error;
    QVERIFY2(w.openScenario(kScenarios + "bert-base-l4.json", &error), qPrintable(error));  // an L4
    HardwareEditor* hw = w.hardwareEditor();
    const QJsonObject doc = hw->document();
    const double cores = numberAt(doc, "cores.count");
    const double bf16PerCycle = numberAt(doc, "cores.matrix_engine.dense_flops_per_cycle.bf16");
    const double mhz = numberAt(doc, "clock.sustained_mhz");
    QVERIFY(cores > 0 && bf16PerCycle > 0 && mhz > 0);
    QCOMPARE(hw->derivedMatrixPeak("bf16"), cores * bf16PerCycle * mhz * 1e6);

    // Typed into the generated clock editor: the peak follows keystroke by keystroke.
    auto* clock = qobject_cast<QDoubleSpinBox*>(hw->form()->editorAt("clock.sustained_mhz"));
    QVERIFY(clock);
    clock->selectAll();
    QTest::keyClicks(clock, "1500");
    QCOMPARE(clock->value(), 1500.0);
    QCOMPARE(hw->derivedMatrixPeak("bf16"), cores * bf16PerCycle * 1500 * 1e6);

    // The matrix unit's bf16 rate, in the per-dtype editor.
    auto* rate = qobject_cast<QDoubleSpinBox*>(hw->form()->editorAt("cores.matrix_engine.dense_flops_per_cycle.bf16"));
    QVERIFY(rate);
    rate->setValue(2 * bf16PerCycle);
    QCOMPARE(hw->derivedMatrixPeak("bf16"), cores * 2 * bf16PerCycle * 1500 * 1e6);
    auto* table = hw->findChild<QTableWidget*>("derived.peaks");
    QVERIFY(table);
    const auto rows = table->findItems("bf16", Qt::MatchExactly);
    QCOMPARE(rows.size(), 1);
    QCOMPARE(table->item(rows.front()->row(), 1)->text(),
             formatQuantity(cores * 2 * bf16PerCycle * 1500 * 1e6, Unit::flops_per_s));

    // The edits are the scenario's hardware overrides.
    const QJsonObject overrides = w.scenarioEditor()->scenario().value("hardware_overrides").toObject();
    QCOMPARE(numberAt(overrides, "clock.sustained_mhz"), 1500.0);
    QCOMPARE(numberAt(overrides, "cores.matrix_engine.dense_flops_per_cycle.bf16"), 2 * bf16PerCycle);

    // An invalid device is an inline message from the facade, not a crash.
    auto* boost = qobject_cast<QDoubleSpinBox*>(hw->form()->editorAt("clock.boost_mhz"));
    QVERIFY(boost);
    boost->setValue(1000);  // below the sustained clock
    QVERIFY(hw->errorText().contains("/clock/boost_mhz"));
    QVERIFY(std::isnan(hw->derivedMatrixPeak("bf16")));
    boost->setValue(2040);
    QVERIFY(hw->errorText().isEmpty());

    // Saved as a preset, the design loads through the facade with the same peak.
    QTemporaryDir dir;
    const QString preset = dir.filePath("l4-faster.json");
    QVERIFY2(hw->savePreset(preset, &error), qPrintable(error));
    const auto spec = fmsim::hwmodels::load_hardware(preset.toStdString());
    QCOMPARE(spec.peak_matrix_flops(fmsim::workloads::DType::bf16), cores * 2 * bf16PerCycle * 1500 * 1e6);
    QVERIFY(spec.sources.count("fmsim-gui") == 1);
}

void GuiTest::cancel_sweep() {
    MainWindow w;
    QString error;
    QVERIFY2(w.openScenario(kScenarios + "bert-base-l4.json", &error), qPrintable(error));
    ExploreView* explore = w.exploreView();
    SweepController* sweep = explore->controller();
    explore->setAxes("batch", "1:48:48");  // 48 points, one worker: several seconds in all
    QSignalSpy cancelled(sweep, &SweepController::cancelled);
    QVERIFY(explore->startSweep());
    QVERIFY(sweep->isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(sweep->results().size() >= 1, kTimeoutMs);
    const QList<qint64> pids = sweep->workerPids();
    explore->cancelSweep();
    QTRY_VERIFY_WITH_TIMEOUT(cancelled.count() == 1, kTimeoutMs);

    // Stopped, no worker left, finished points kept, the view ready for the next sweep.
    QVERIFY(!sweep->isRunning());
    QVERIFY(sweep->workerPids().isEmpty());
    for (qint64 pid : pids) QVERIFY2(processGone(pid), qPrintable(QString("worker %1 still exists").arg(pid)));
    const auto kept = sweep->results().size();
    QVERIFY(kept >= 1 && kept < sweep->total());
    for (const auto& r : sweep->results()) QVERIFY2(r.ok, qPrintable(r.error));
    QVERIFY(explore->findChild<QPushButton*>("explore.run")->isEnabled());
    QVERIFY(!explore->findChild<QPushButton*>("explore.cancel")->isEnabled());
    QCOMPARE(explore->resultsCsv().count('\n'), kept + 1);  // header + one row per kept point

    // The window still runs scenarios.
    QSignalSpy finished(&w, &MainWindow::runFinished);
    QVERIFY(w.run());
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, kTimeoutMs);
}

void GuiTest::error_then_open_design() {
    MainWindow w;
    QString error;
    QVERIFY2(w.openScenario(kScenarios + "bert-base-l4.json", &error), qPrintable(error));
    // A bad value: the facade's message, naming the scenario (not the worker's temporary copy).
    auto* batch = qobject_cast<QSpinBox*>(w.scenarioEditor()->form()->editorAt("batch"));
    QVERIFY(batch);
    batch->setValue(0);
    QSignalSpy failed(&w, &MainWindow::runFailed);
    QVERIFY(w.run());
    QTRY_VERIFY_WITH_TIMEOUT(failed.count() == 1, kTimeoutMs);
    const QString message = failed.front().front().toString();
    QVERIFY2(message.contains("bert-base-l4.json: /batch: expected an integer >= 1"), qPrintable(message));
    QVERIFY(!w.runController()->isRunning());

    // A two-point sweep, then its second point opened from the table: it runs as the scenario.
    batch->setValue(64);
    ExploreView* explore = w.exploreView();
    explore->setAxes("input_len", "64, 32");
    QSignalSpy done(explore->controller(), &SweepController::finished);
    QVERIFY(explore->startSweep());
    QTRY_VERIFY_WITH_TIMEOUT(done.count() == 1, kTimeoutMs);
    auto* table = explore->findChild<QTableWidget*>();
    QVERIFY(table && table->rowCount() == 2);
    // A third Pareto objective: a point on the latency/throughput front stays on the front with
    // energy added (the 3-objective front contains the 2-objective one), and labels carry it.
    auto* pareto = explore->findChild<ParetoChart*>();
    QVERIFY(pareto);
    auto onFront = [&] {
        int n = 0;
        for (const ChartPoint& p : pareto->points()) n += p.onFront;
        return n;
    };
    explore->setMetrics("latency_s", "latency_s", "throughput_tokens_per_s");
    const int front2 = onFront();
    explore->setMetrics("latency_s", "latency_s", "throughput_tokens_per_s", "energy.total_j");
    QVERIFY(front2 >= 1 && onFront() >= front2);
    QVERIFY(pareto->points().front().label.contains("energy (J)"));
    QSignalSpy finished(&w, &MainWindow::runFinished);
    const int row = table->item(0, 1)->text() == "32" ? 0 : 1;
    emit table->cellDoubleClicked(row, 0);
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, kTimeoutMs);
    QCOMPARE(w.scenarioEditor()->scenario().value("input_len").toInt(), 32);
    QCOMPARE(numberAt(w.currentResult().report, "scenario.input_len"), 32.0);
    QCOMPARE(numberAt(w.currentResult().report, "scenario.batch"), 64.0);
}

void GuiTest::screenshot_png() {
    QTemporaryDir dir;
    const QString out = dir.filePath("window.png");
    QProcess gui;
    gui.start(FMSIM_GUI, {"--screenshot", out, kScenarios + "bert-base-l4.json"});
    QVERIFY(gui.waitForFinished(kTimeoutMs));
    QVERIFY2(gui.exitCode() == 0, gui.readAllStandardError().constData());
    QVERIFY(QFileInfo(out).size() > 0);
    const QImage image(out);
    QCOMPARE(image.size(), QSize(1280, 800));
    // Not a blank canvas: the cards and charts paint many colours.
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 8)
        for (int x = 0; x < image.width(); x += 8) colours.insert(image.pixel(x, y));
    QVERIFY(colours.size() > 20);
}

QTEST_MAIN(GuiTest)
#include "test_gui.moc"
