#include "timeline_view.hpp"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPainter>
#include <QToolTip>
#include <QVBoxLayout>
#include <QWheelEvent>
#include <algorithm>
#include <cmath>

#include "chart_style.hpp"
#include "format.hpp"

namespace fmsim::gui {

namespace {
constexpr int kMaxOps = 20000;        // ops drawn per stage; painting stays interactive below this
constexpr int kMaxChannelRows = 16;   // memory channels drawn one row each, up to this many
constexpr int kLeftPx = 130, kRightPx = 16, kTopPx = 30, kBottomPx = 64;  // plot margins: labels, axis, legend
constexpr int kEngineRows = 2;        // matrix engine, vector unit
constexpr double kZoomStep = 1.25;    // per wheel notch
constexpr int kTicks = 8;             // time-axis ticks
constexpr int kTickDigits = 6;        // significant digits of a tick label
const QSize kMinimumSize(400, 200);   // the smallest canvas whose rows and labels stay readable
// Text and legend layout, in pixels.
constexpr int kGapPx = 6, kTickPx = 4, kLineHeightPx = 16, kTickLabelWidthPx = 80, kSwatchPx = 10;
constexpr int kStageComboChars = 24;  // "decode step 127" and similar stage names
const char* const kGroups[] = {"embedding", "attention", "ffn", "norm", "head", "conv", "other"};
}  // namespace

TimelineView::TimelineView(QWidget* parent) : QWidget(parent) {
    m_stage = new QComboBox(this);
    m_stage->setMinimumContentsLength(kStageComboChars);
    m_note = new QLabel(this);
    m_canvas = new GanttCanvas(this);
    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel("Stage", this));
    controls->addWidget(m_stage);
    controls->addWidget(m_note, 1);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addWidget(m_canvas, 1);
    connect(m_stage, &QComboBox::currentIndexChanged, this, &TimelineView::showStage);
}

QWidget* TimelineView::chartWidget() const { return m_canvas; }

void TimelineView::setResult(const RunResult& result) {
    m_result = result;
    m_stages.clear();
    for (const OpRow& o : result.ops)
        if (m_stages.isEmpty() || m_stages.back() != o.stage)
            if (!m_stages.contains(o.stage)) m_stages << o.stage;
    const QSignalBlocker b(m_stage);
    m_stage->clear();
    m_stage->addItems(m_stages);
    showStage(0);
}

void TimelineView::showStage(int index) {
    QVector<OpRow> ops;
    const QString stage = m_stages.value(index);
    int total = 0;
    for (const OpRow& o : m_result.ops) {
        if (o.stage != stage) continue;
        ++total;
        if (ops.size() < kMaxOps) ops << o;
    }
    std::sort(ops.begin(), ops.end(), [](const OpRow& a, const OpRow& b) { return a.startS < b.startS; });
    m_note->setText(total > kMaxOps ? QString("first %1 of %2 ops shown").arg(kMaxOps).arg(total)
                                    : QString("%1 ops; wheel zooms, drag pans, double-click resets").arg(total));
    const double bw = m_result.hardware.value("memory_bandwidth_bytes_per_s").toDouble();
    m_canvas->setOps(ops, m_result.memoryChannels, bw,
                     stage.isEmpty() ? QString("Timeline: no ops (run a scenario with a device)")
                                     : QString("Timeline of stage %1 on %2").arg(stage, m_result.report.value("hardware").toString()));
}

GanttCanvas::GanttCanvas(QWidget* parent) : QWidget(parent) {
    setMouseTracking(true);
    setAutoFillBackground(true);
    QPalette p = palette();
    p.setColor(QPalette::Window, Qt::white);
    setPalette(p);
}

QSize GanttCanvas::minimumSizeHint() const { return kMinimumSize; }

void GanttCanvas::setOps(QVector<OpRow> ops, int memoryChannels, double peakBytesPerS, const QString& title) {
    m_ops = std::move(ops);
    m_channels = std::min(memoryChannels, kMaxChannelRows);
    m_peakBw = peakBytesPerS;
    m_title = title;
    m_start = m_ops.isEmpty() ? 0 : m_ops.front().startS;
    m_end = m_start;
    for (const OpRow& o : m_ops) m_end = std::max(m_end, o.startS + o.durationS);
    if (m_end <= m_start) m_end = m_start + 1e-6;  // a stage of zero-length ops still gets an axis
    m_t0 = m_start;
    m_t1 = m_end;
    update();
}

int GanttCanvas::rowCount() const { return kEngineRows + m_channels; }

QRectF GanttCanvas::plotRect() const {
    return QRectF(kLeftPx, kTopPx, width() - kLeftPx - kRightPx, height() - kTopPx - kBottomPx);
}

double GanttCanvas::xOf(double t) const {
    const QRectF r = plotRect();
    return r.left() + (t - m_t0) / (m_t1 - m_t0) * r.width();
}

double GanttCanvas::tOf(double x) const {
    const QRectF r = plotRect();
    return m_t0 + (x - r.left()) / r.width() * (m_t1 - m_t0);
}

void GanttCanvas::paintEvent(QPaintEvent*) {
    QPainter p(this);
    paintChartTitle(p, *this, m_title, kTopPx);
    const QRectF plot = plotRect();
    if (m_ops.isEmpty() || plot.width() <= 0 || plot.height() <= 0) return;
    const int rows = rowCount();
    const double rowH = plot.height() / rows;
    QStringList names{"matrix engine", "vector unit"};
    for (int c = 0; c < m_channels; ++c) names << QString("memory ch %1").arg(c);
    for (int i = 0; i < rows; ++i) {
        const QRectF row(plot.left(), plot.top() + i * rowH, plot.width(), rowH);
        p.fillRect(row, i % 2 ? QColor("#f7f7f7") : Qt::white);
        p.setPen(Qt::black);
        p.drawText(QRectF(0, row.top(), kLeftPx - kGapPx, rowH), Qt::AlignRight | Qt::AlignVCenter, names.at(i));
    }
    p.save();
    p.setClipRect(plot);
    constexpr double kBarFill = 0.8;  // bar height as a share of its row
    const double perChannelBw = m_channels > 0 ? m_peakBw / m_channels : 0;
    for (const OpRow& o : m_ops) {
        const double x0 = xOf(o.startS), x1 = std::max(xOf(o.startS + o.durationS), x0 + 1);  // at least a pixel
        if (x1 < plot.left() || x0 > plot.right()) continue;
        const int engineRow = o.engine == "matrix" ? 0 : 1;
        const QColor c = groupColor(o.group);
        p.fillRect(QRectF(x0, plot.top() + engineRow * rowH + rowH * (1 - kBarFill) / 2, x1 - x0, rowH * kBarFill), c);
        if (o.dramBytes <= 0 || o.durationS <= 0 || m_channels == 0) continue;
        // Each channel carries an equal share of the op's off-chip bytes (as the trace export).
        const double share = perChannelBw > 0 ? o.dramBytes / m_channels / o.durationS / perChannelBw : 1;
        QColor mc = c;
        mc.setAlphaF(std::clamp(share, 0.15, 1.0));
        for (int ch = 0; ch < m_channels; ++ch)
            p.fillRect(QRectF(x0, plot.top() + (kEngineRows + ch) * rowH + rowH * (1 - kBarFill) / 2, x1 - x0,
                              rowH * kBarFill),
                       mc);
    }
    p.restore();
    // Time axis.
    const TimeUnit tu = timeUnitFor(m_t1 - m_start);
    p.setPen(Qt::black);
    p.drawLine(plot.bottomLeft(), plot.bottomRight());
    // Ticks at round times from the start of the stage.
    const double step = niceStep((m_t1 - m_t0) / tu.scale, kTicks);
    for (double u = std::ceil((m_t0 - m_start) / tu.scale / step) * step; u <= (m_t1 - m_start) / tu.scale; u += step) {
        const double x = xOf(m_start + u * tu.scale);
        p.drawLine(QPointF(x, plot.bottom()), QPointF(x, plot.bottom() + kTickPx));
        p.drawText(QRectF(x - kTickLabelWidthPx / 2.0, plot.bottom() + kTickPx, kTickLabelWidthPx, kLineHeightPx),
                   Qt::AlignHCenter, QString::number(u, 'g', kTickDigits));
    }
    p.drawText(QRectF(plot.left(), plot.bottom() + kTickPx + kLineHeightPx, plot.width(), kLineHeightPx), Qt::AlignHCenter,
               "time from the start of the stage (" + tu.name + ")");
    // Legend: module groups, and what a memory bar's shade means.
    double lx = plot.left();
    const double baseline = height() - kGapPx - p.fontMetrics().descent();
    for (const char* g : kGroups) {
        p.fillRect(QRectF(lx, baseline - kSwatchPx, kSwatchPx, kSwatchPx), groupColor(g));
        p.drawText(QPointF(lx + kSwatchPx + kTickPx, baseline), g);
        lx += kSwatchPx + kTickPx + p.fontMetrics().horizontalAdvance(g) + 2 * kGapPx;
    }
    p.drawText(QPointF(lx, baseline), "memory: darker = more bandwidth");
}

void GanttCanvas::wheelEvent(QWheelEvent* e) {
    const double factor = e->angleDelta().y() > 0 ? 1 / kZoomStep : kZoomStep;
    const double t = tOf(e->position().x());
    m_t0 = std::max(m_start, t - (t - m_t0) * factor);
    m_t1 = std::min(m_end, t + (m_t1 - t) * factor);
    if (m_t1 <= m_t0) {
        m_t0 = m_start;
        m_t1 = m_end;
    }
    update();
}

void GanttCanvas::mousePressEvent(QMouseEvent* e) {
    m_dragFrom = e->position();
    m_dragT0 = m_t0;
    m_dragT1 = m_t1;
}

void GanttCanvas::mouseMoveEvent(QMouseEvent* e) {
    if (e->buttons() & Qt::LeftButton) {
        const double dt = (e->position().x() - m_dragFrom.x()) / plotRect().width() * (m_dragT1 - m_dragT0);
        const double span = m_dragT1 - m_dragT0;
        m_t0 = std::clamp(m_dragT0 - dt, m_start, m_end - span);
        m_t1 = m_t0 + span;
        update();
        return;
    }
    if (const OpRow* o = opAt(e->position()))
        QToolTip::showText(e->globalPosition().toPoint(),
                           QString("%1\n%2, %3, %4-bound\n%5 at %6\n%7 FLOP, %8 off-chip")
                               .arg(o->name, o->kind, o->group, o->bound, formatQuantity(o->durationS, Unit::seconds),
                                    formatQuantity(o->startS, Unit::seconds), formatQuantity(o->flops, Unit::plain),
                                    formatQuantity(o->dramBytes, Unit::bytes)),
                           this);
    else
        QToolTip::hideText();
}

void GanttCanvas::mouseDoubleClickEvent(QMouseEvent*) {
    m_t0 = m_start;
    m_t1 = m_end;
    update();
}

const OpRow* GanttCanvas::opAt(const QPointF& pos) const {
    const QRectF plot = plotRect();
    if (!plot.contains(pos) || m_ops.isEmpty()) return nullptr;
    const int row = static_cast<int>((pos.y() - plot.top()) / (plot.height() / rowCount()));
    const double t = tOf(pos.x());
    constexpr double kSlackPx = 2;  // ops narrower than this are still found under the cursor
    const double slack = (m_t1 - m_t0) / plot.width() * kSlackPx;
    for (const OpRow& o : m_ops) {
        if (o.startS > t + slack) break;
        if (o.startS + o.durationS < t - slack) continue;
        const bool onRow = row < kEngineRows ? (o.engine == "matrix") == (row == 0) : o.dramBytes > 0;
        if (onRow) return &o;
    }
    return nullptr;
}

}  // namespace fmsim::gui
