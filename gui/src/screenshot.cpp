#include "screenshot.hpp"

#include <QCoreApplication>
#include <QEventLoop>
#include <QImage>
#include <QTimer>
#include <cstdio>

#include "explore_view.hpp"
#include "main_window.hpp"
#include "results_view.hpp"

namespace fmsim::gui {

namespace {
constexpr int kRunTimeoutMs = 600000;  // the shipped scenarios take seconds; a stuck worker must not hang CI
constexpr int kUserErrorExit = 2;

int fail(const QString& message) {
    std::fprintf(stderr, "error: %s\n", qPrintable(message));
    return kUserErrorExit;
}

// Waits for `signal` of `sender`; false on `failSignal` or the timeout.
template <class Sender, class Ok, class Failed>
bool waitFor(Sender* sender, Ok ok, Failed failSignal, QString* error) {
    QEventLoop loop;
    bool done = false;
    QObject::connect(sender, ok, &loop, [&] {
        done = true;
        loop.quit();
    });
    QObject::connect(sender, failSignal, &loop, [&](const QString& m) {
        *error = m;
        loop.quit();
    });
    QTimer::singleShot(kRunTimeoutMs, &loop, [&] {
        *error = "timed out";
        loop.quit();
    });
    loop.exec();
    return done;
}

bool runAndWait(MainWindow& w, QString* error) {
    if (!w.run()) {
        *error = "cannot start the run";
        return false;
    }
    return waitFor(&w, &MainWindow::runFinished, &MainWindow::runFailed, error);
}
}  // namespace

int takeScreenshot(MainWindow& w, const ScreenshotOptions& o) {
    w.resize(o.size);
    w.show();
    QString error;
    if (!o.sweep.isEmpty()) {
        const QString base = w.exploreView()->loadSweepFile(o.sweep, &error);
        if (base.isEmpty()) return fail(error);
        if (!w.openScenario(o.scenario.isEmpty() ? base : o.scenario, &error)) return fail(error);
    } else if (!w.openScenario(o.scenario, &error)) {
        return fail(error);
    }
    if (!runAndWait(w, &error)) return fail(error);
    if (!o.compare.isEmpty()) {
        w.pinA();
        if (!w.openScenario(o.compare, &error) || !runAndWait(w, &error)) return fail(error);
        w.pinB();
    }
    if (!o.sweep.isEmpty()) {
        if (!w.exploreView()->startSweep()) return fail("cannot start the sweep");
        if (!waitFor(w.exploreView()->controller(), &SweepController::finished, &SweepController::failed, &error))
            return fail(error);
        w.exploreView()->showTab(o.exploreChart);
    }
    w.showTab(o.tab);
    w.resultsView()->showChart(o.chart);
    QCoreApplication::processEvents();
    const QImage image = w.grab().toImage();
    if (image.isNull() || !image.save(o.out, "PNG")) return fail("cannot write " + o.out);
    std::printf("%s: %dx%d\n", qPrintable(o.out), image.width(), image.height());
    return 0;
}

}  // namespace fmsim::gui
