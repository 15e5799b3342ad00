#pragma once
// `fmsim-gui --screenshot OUT.png [SCENARIO]`: the main window rendered headless (QT_QPA_PLATFORM
// offscreen) with a scenario's results, for docs and reviews.
#include <QSize>
#include <QString>

namespace fmsim::gui {

class MainWindow;

struct ScreenshotOptions {
    QString out;                  // PNG file to write
    QString scenario;             // run first; default: configs/scenarios/default.json
    QString tab = "results";      // results, hardware, explore, compare
    QString chart = "breakdown";  // results tab: breakdown, roofline, timeline, memory
    QString sweep;                // a sweep file to run in the explore tab (one or two axes)
    QString compare;              // a second scenario, pinned as B against SCENARIO as A
    QString exploreChart = "sweep";  // explore tab: sweep, pareto, points
    QSize size{1280, 800};
};

// Runs what the options ask for in `window` (waiting for the workers), renders it and writes the
// PNG. Returns 0, or 2 with the reason on stderr.
int takeScreenshot(MainWindow& window, const ScreenshotOptions& options);

}  // namespace fmsim::gui
