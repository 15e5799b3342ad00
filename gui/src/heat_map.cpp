#include "heat_map.hpp"

#include <QMouseEvent>
#include <QPainter>
#include <algorithm>
#include <cmath>

#include "chart_style.hpp"

namespace fmsim::gui {

namespace {
constexpr int kRightPx = 110, kTopPx = 34, kBottomPx = 56;  // colour bar, titles
constexpr int kYTitlePx = 30;                              // the rotated y title left of the labels
constexpr int kBarWidthPx = 16;
const QSize kMinimumSize(400, 250);  // the smallest map whose cells still hold their values
// Text layout, in pixels.
constexpr int kGapPx = 4, kLineHeightPx = 18, kBarGapPx = 16, kBarLabelWidthPx = 74;
constexpr double kDarkCellLuminance = 0.5;  // below it, cell text is white
}  // namespace

QColor viridis(double t) {
    // Five stops of matplotlib's viridis, linearly interpolated.
    static const QColor stops[] = {QColor("#440154"), QColor("#3b528b"), QColor("#21918c"), QColor("#5ec962"),
                                   QColor("#fde725")};
    constexpr int kLast = static_cast<int>(std::size(stops)) - 1;
    t = std::clamp(t, 0.0, 1.0) * kLast;
    const int i = std::min(static_cast<int>(t), kLast - 1);
    const double f = t - i;
    const QColor& a = stops[i];
    const QColor& b = stops[i + 1];
    return QColor::fromRgbF(static_cast<float>(a.redF() + (b.redF() - a.redF()) * f),
                            static_cast<float>(a.greenF() + (b.greenF() - a.greenF()) * f),
                            static_cast<float>(a.blueF() + (b.blueF() - a.blueF()) * f));
}

HeatMap::HeatMap(QWidget* parent) : QWidget(parent) {
    setAutoFillBackground(true);
    QPalette p = palette();
    p.setColor(QPalette::Window, Qt::white);
    setPalette(p);
}

QSize HeatMap::minimumSizeHint() const { return kMinimumSize; }

void HeatMap::setData(const QString& title, const QString& xTitle, const QStringList& xLabels, const QString& yTitle,
                      const QStringList& yLabels, const QVector<double>& values, const QString& valueTitle,
                      const std::function<QString(double)>& format) {
    m_title = title;
    m_xTitle = xTitle;
    m_yTitle = yTitle;
    m_x = xLabels;
    m_y = yLabels;
    m_values = values;
    m_valueTitle = valueTitle;
    m_format = format;
    update();
}

int HeatMap::leftMargin() const {
    int widest = 0;
    for (const QString& y : m_y) widest = std::max(widest, fontMetrics().horizontalAdvance(y));
    return kYTitlePx + widest + 2 * kGapPx;
}

QRectF HeatMap::gridRect() const {
    const int left = leftMargin();
    return QRectF(left, kTopPx, width() - left - kRightPx, height() - kTopPx - kBottomPx);
}

void HeatMap::paintEvent(QPaintEvent*) {
    QPainter p(this);
    paintChartTitle(p, *this, m_title, kTopPx);
    const QRectF g = gridRect();
    if (m_x.isEmpty() || m_y.isEmpty() || g.width() <= 0 || g.height() <= 0) return;
    Span span;
    for (double v : m_values)
        if (!std::isnan(v)) span.add(v);
    const double lo = span.lo, hi = span.hi;
    const double cw = g.width() / m_x.size(), ch = g.height() / m_y.size();
    for (int r = 0; r < m_y.size(); ++r)
        for (int c = 0; c < m_x.size(); ++c) {
            // Row 0 at the bottom, as on a chart's y axis.
            const QRectF cell(g.left() + c * cw, g.bottom() - (r + 1) * ch, cw, ch);
            const double v = m_values.value(r * m_x.size() + c, NAN);
            const QColor fill = std::isnan(v) ? QColor("#cccccc") : viridis(hi > lo ? (v - lo) / (hi - lo) : 0.5);
            p.fillRect(cell.adjusted(1, 1, -1, -1), fill);  // a one-pixel white grid between cells
            p.setPen(fill.lightnessF() < kDarkCellLuminance ? Qt::white : Qt::black);
            p.drawText(cell, Qt::AlignCenter | Qt::TextWordWrap, std::isnan(v) ? QString("error") : m_format(v));
        }
    p.setPen(Qt::black);
    for (int c = 0; c < m_x.size(); ++c)
        p.drawText(QRectF(g.left() + c * cw, g.bottom() + kGapPx, cw, kLineHeightPx), Qt::AlignHCenter | Qt::AlignTop,
                   m_x.at(c));
    for (int r = 0; r < m_y.size(); ++r)
        p.drawText(QRectF(0, g.bottom() - (r + 1) * ch, g.left() - kGapPx, ch), Qt::AlignRight | Qt::AlignVCenter, m_y.at(r));
    p.drawText(QRectF(g.left(), g.bottom() + kGapPx + kLineHeightPx, g.width(), kLineHeightPx), Qt::AlignHCenter, m_xTitle);
    p.save();
    p.translate(kYTitlePx / 2.0, g.center().y());
    p.rotate(-90);  // the y title reads bottom to top
    p.drawText(QRectF(-g.height() / 2, -kLineHeightPx / 2.0, g.height(), kLineHeightPx), Qt::AlignCenter, m_yTitle);
    p.restore();
    // Colour bar, low at the bottom.
    const QRectF bar(g.right() + kBarGapPx, g.top(), kBarWidthPx, g.height());
    QLinearGradient grad(bar.bottomLeft(), bar.topLeft());
    constexpr int kGradientStops = 10;
    for (int i = 0; i <= kGradientStops; ++i) grad.setColorAt(static_cast<double>(i) / kGradientStops, viridis(static_cast<double>(i) / kGradientStops));
    p.fillRect(bar, grad);
    p.drawRect(bar);
    if (std::isfinite(lo)) {
        p.drawText(QRectF(bar.right() + kGapPx, bar.top() - kLineHeightPx / 2.0, kBarLabelWidthPx, kLineHeightPx),
                   Qt::AlignLeft, m_format(hi));
        p.drawText(QRectF(bar.right() + kGapPx, bar.bottom() - kLineHeightPx / 2.0, kBarLabelWidthPx, kLineHeightPx),
                   Qt::AlignLeft, m_format(lo));
    }
    p.drawText(QRectF(bar.left() - kBarGapPx, bar.bottom() + kGapPx, kRightPx, 2 * kLineHeightPx),
               Qt::AlignLeft | Qt::TextWordWrap, m_valueTitle);
}

void HeatMap::mousePressEvent(QMouseEvent* e) {
    const QRectF g = gridRect();
    if (!g.contains(e->position()) || m_x.isEmpty() || m_y.isEmpty()) return;
    const int c = static_cast<int>((e->position().x() - g.left()) / (g.width() / m_x.size()));
    const int r = static_cast<int>((g.bottom() - e->position().y()) / (g.height() / m_y.size()));
    emit cellClicked(std::clamp(c, 0, static_cast<int>(m_x.size()) - 1), std::clamp(r, 0, static_cast<int>(m_y.size()) - 1));
}

}  // namespace fmsim::gui
