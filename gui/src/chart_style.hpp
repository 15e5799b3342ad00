#pragma once
// One look for every chart: fonts, colours per module group, axis titles with units, and a time
// unit chosen from the data (s, ms or µs).
#include <QColor>
#include <QString>
#include <algorithm>
#include <cmath>

class QAbstractAxis;
class QChart;
class QChartView;
class QPainter;
class QWidget;

namespace fmsim::gui {

// A chart view with antialiasing, the light theme and the shared fonts.
QChartView* makeChartView(QChart* chart);
void styleAxis(QAbstractAxis* axis, const QString& title);

// Module groups (workloads::ModuleGroup names) keep one colour in every chart.
QColor groupColor(const QString& group);
// The n-th colour of the categorical palette (series without a fixed meaning).
QColor paletteColor(int n);

// A unit to show times in: values / scale read in `name`.
struct TimeUnit {
    double scale;  // seconds per unit
    QString name;  // "s", "ms", "µs"
};
TimeUnit timeUnitFor(double maxSeconds);

// The smallest interval holding every value added.
struct Span {
    double lo = INFINITY, hi = -INFINITY;
    void add(double v) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
    }
    bool valid() const { return lo <= hi; }
};

// The background of a hand-painted chart (heat map, timeline): white, with `title` in bold centred
// in the top `heightPx` pixels of `widget`; the painter is left with the widget's normal font.
void paintChartTitle(QPainter& p, const QWidget& widget, const QString& title, int heightPx);

// A tick step of 1, 2 or 5 times a power of ten giving about `ticks` ticks over `range`.
double niceStep(double range, int ticks);

}  // namespace fmsim::gui
