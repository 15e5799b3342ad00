#pragma once
// A Gantt chart of one stage of the run: the matrix engine, the vector unit and the off-chip
// memory channels over time, one bar per op (coloured by module group; memory bars shaded by the
// bandwidth the op draws). Wheel zooms around the cursor, dragging pans, a double click resets.
#include <QVector>
#include <QWidget>

#include "run_result.hpp"

class QComboBox;
class QLabel;

namespace fmsim::gui {

class GanttCanvas;

class TimelineView : public QWidget {
    Q_OBJECT
public:
    explicit TimelineView(QWidget* parent = nullptr);
    void setResult(const RunResult& result);
    QWidget* chartWidget() const;

private:
    void showStage(int index);

    RunResult m_result;
    QStringList m_stages;
    QComboBox* m_stage;
    QLabel* m_note;
    GanttCanvas* m_canvas;
};

// The painted chart itself (also what is exported).
class GanttCanvas : public QWidget {
    Q_OBJECT
public:
    explicit GanttCanvas(QWidget* parent = nullptr);
    // `ops` of one stage, sorted by start; `peakBytesPerS`: the device's off-chip bandwidth.
    void setOps(QVector<OpRow> ops, int memoryChannels, double peakBytesPerS, const QString& title);
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent*) override;
    void wheelEvent(QWheelEvent*) override;
    void mousePressEvent(QMouseEvent*) override;
    void mouseMoveEvent(QMouseEvent*) override;
    void mouseDoubleClickEvent(QMouseEvent*) override;

private:
    QRectF plotRect() const;
    int rowCount() const;
    double xOf(double t) const;
    double tOf(double x) const;
    const OpRow* opAt(const QPointF& pos) const;

    QVector<OpRow> m_ops;
    int m_channels = 0;
    double m_peakBw = 0;
    QString m_title;
    double m_t0 = 0, m_t1 = 1;       // visible time range, seconds
    double m_start = 0, m_end = 1;   // the stage's range
    QPointF m_dragFrom;
    double m_dragT0 = 0, m_dragT1 = 0;
};

}  // namespace fmsim::gui
