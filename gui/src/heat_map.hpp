#pragma once
// A heat map of one metric over two swept parameters: a grid of coloured cells with their values,
// the axes' values as labels and a colour bar. Qt Charts has none, so it is painted here. Clicking
// a cell reports it.
#include <QStringList>
#include <QVector>
#include <QWidget>
#include <functional>

namespace fmsim::gui {

class HeatMap : public QWidget {
    Q_OBJECT
public:
    explicit HeatMap(QWidget* parent = nullptr);
    // values[row * columns + column]: NaN for a point that failed or has no value.
    void setData(const QString& title, const QString& xTitle, const QStringList& xLabels, const QString& yTitle,
                 const QStringList& yLabels, const QVector<double>& values, const QString& valueTitle,
                 const std::function<QString(double)>& format);
    QSize minimumSizeHint() const override;

signals:
    void cellClicked(int column, int row);

protected:
    void paintEvent(QPaintEvent*) override;
    void mousePressEvent(QMouseEvent*) override;

private:
    QRectF gridRect() const;
    int leftMargin() const;  // room for the y labels and title

    QString m_title, m_xTitle, m_yTitle, m_valueTitle;
    QStringList m_x, m_y;
    QVector<double> m_values;
    std::function<QString(double)> m_format;
};

// Viridis (perceptually uniform, colour-blind safe) at t in [0, 1].
QColor viridis(double t);

}  // namespace fmsim::gui
