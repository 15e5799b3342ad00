#include "chart_style.hpp"

#include <QAbstractAxis>
#include <QChart>
#include <QChartView>
#include <QHash>
#include <QLegend>
#include <QPainter>
#include <QWidget>
#include <cmath>

namespace fmsim::gui {

namespace {
constexpr int kTitlePointSize = 11;
constexpr int kLabelPointSize = 9;

// Tableau 10, a palette made for telling categories apart.
const QColor kPalette[] = {QColor("#4e79a7"), QColor("#f28e2b"), QColor("#e15759"), QColor("#76b7b2"),
                           QColor("#59a14f"), QColor("#edc948"), QColor("#b07aa1"), QColor("#ff9da7"),
                           QColor("#9c755f"), QColor("#bab0ac")};
}  // namespace

QChartView* makeChartView(QChart* chart) {
    chart->setTheme(QChart::ChartThemeLight);
    QFont title = chart->titleFont();
    title.setPointSize(kTitlePointSize);
    title.setBold(true);
    chart->setTitleFont(title);
    QFont legend = chart->legend()->font();
    legend.setPointSize(kLabelPointSize);
    chart->legend()->setFont(legend);
    chart->setMargins(QMargins(4, 4, 4, 4));
    auto* view = new QChartView(chart);
    view->setRenderHint(QPainter::Antialiasing);
    return view;
}

void styleAxis(QAbstractAxis* axis, const QString& title) {
    axis->setTitleText(title);
    QFont t = axis->titleFont();
    t.setPointSize(kLabelPointSize);
    t.setBold(false);
    axis->setTitleFont(t);
    QFont l = axis->labelsFont();
    l.setPointSize(kLabelPointSize);
    axis->setLabelsFont(l);
}

QColor groupColor(const QString& group) {
    static const QHash<QString, int> order{{"embedding", 6}, {"attention", 0}, {"ffn", 1}, {"norm", 3},
                                           {"head", 4},      {"conv", 8},      {"other", 9}};
    return kPalette[order.value(group, 9)];
}

QColor paletteColor(int n) { return kPalette[n % static_cast<int>(std::size(kPalette))]; }

TimeUnit timeUnitFor(double maxSeconds) {
    if (maxSeconds >= 1) return {1, "s"};
    if (maxSeconds >= 1e-3) return {1e-3, "ms"};
    return {1e-6, "µs"};
}

void paintChartTitle(QPainter& p, const QWidget& widget, const QString& title, int heightPx) {
    p.fillRect(widget.rect(), Qt::white);
    QFont bold = widget.font();
    bold.setBold(true);
    p.setFont(bold);
    p.drawText(QRectF(0, 0, widget.width(), heightPx), Qt::AlignCenter, title);
    p.setFont(widget.font());
}

double niceStep(double range, int ticks) {
    if (range <= 0 || ticks <= 0) return 1;
    const double raw = range / ticks;
    const double power = std::pow(10, std::floor(std::log10(raw)));
    for (double m : {1.0, 2.0, 5.0})
        if (m * power >= raw) return m * power;
    return 10 * power;
}

}  // namespace fmsim::gui
