// fmsim-gui: the desktop app (docs/gui.md). `--worker` runs one simulation and exits without
// starting a GUI; `--screenshot` renders the window headless; otherwise the window opens.
#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <cstdio>

#include "fmsim/workloads/model.hpp"
#include "main_window.hpp"
#include "screenshot.hpp"
#include "worker_main.hpp"

int main(int argc, char** argv) {
    using namespace fmsim::gui;
    if (isWorkerInvocation(argc, argv)) return workerMain(argc, argv);

    // Headless screenshots need no display: use Qt's offscreen platform unless one is chosen.
    bool screenshot = false;
    for (int i = 1; i < argc; ++i) screenshot = screenshot || QByteArray(argv[i]) == "--screenshot";
    if (screenshot && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") && qEnvironmentVariableIsEmpty("DISPLAY") &&
        qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");

    QApplication app(argc, argv);
    QApplication::setApplicationName("fmsim-gui");
    QApplication::setStyle("Fusion");  // the same look on every desktop and offscreen

    QCommandLineParser parser;
    parser.setApplicationDescription("fmsim desktop app: edit a scenario and its device, run, explore, compare.");
    parser.addHelpOption();
    parser.addPositionalArgument("scenario", "Scenario file to open and run (default: configs/scenarios/default.json, "
                                             "opened without running).");
    const QCommandLineOption shot("screenshot", "Render the window with the scenario's results to OUT.png and exit.", "OUT.png");
    const QCommandLineOption tab("tab", "Screenshot tab: results, hardware, explore, compare.", "TAB", "results");
    const QCommandLineOption chart("chart", "Results chart: breakdown, roofline, timeline, memory.", "CHART", "breakdown");
    const QCommandLineOption size("size", "Window size for the screenshot.", "WxH", "1280x800");
    const QCommandLineOption sweep("sweep", "Sweep file to run in the Explore tab (screenshot).", "SWEEP.json");
    const QCommandLineOption exploreChart("explore-chart", "Explore chart: sweep, pareto, points.", "CHART", "sweep");
    const QCommandLineOption compare("compare", "Second scenario, pinned as B against SCENARIO (screenshot).", "SCENARIO");
    parser.addOptions({shot, tab, chart, size, sweep, exploreChart, compare});
    parser.process(app);

    const QString defaultScenario =
        QDir(QString::fromStdString((fmsim::workloads::config_dir() / "scenarios").string())).filePath("default.json");
    const QString scenario = parser.positionalArguments().value(0);
    MainWindow window;
    if (parser.isSet(shot)) {
        ScreenshotOptions o;
        o.out = parser.value(shot);
        o.scenario = scenario.isEmpty() && !parser.isSet(sweep) ? defaultScenario : scenario;
        o.tab = parser.value(tab);
        o.chart = parser.value(chart);
        o.sweep = parser.value(sweep);
        o.exploreChart = parser.value(exploreChart);
        o.compare = parser.value(compare);
        const QStringList wh = parser.value(size).split('x');
        if (wh.size() != 2 || wh.at(0).toInt() <= 0 || wh.at(1).toInt() <= 0) {
            std::fprintf(stderr, "error: --size: expected WIDTHxHEIGHT, e.g. 1280x800\n");
            return 2;
        }
        o.size = QSize(wh.at(0).toInt(), wh.at(1).toInt());
        return takeScreenshot(window, o);
    }
    QString error;
    if (!window.openScenario(scenario.isEmpty() ? defaultScenario : scenario, &error))
        std::fprintf(stderr, "error: %s\n", qPrintable(error));
    else if (!scenario.isEmpty())
        window.run();
    window.resize(1280, 800);  // the size the layout is designed for
    window.show();
    return QApplication::exec();
}
