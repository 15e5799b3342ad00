#include "export.hpp"

#include <QFileInfo>
#include <QPainter>
#include <QPixmap>
#include <QSaveFile>
#include <QSvgGenerator>
#include <QWidget>

namespace fmsim::gui {

bool exportWidget(QWidget* widget, const QString& path, QString* error) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    if (suffix == "png") {
        if (widget->grab().save(path, "PNG")) return true;
        *error = "cannot write " + path;
        return false;
    }
    if (suffix == "svg") {
        QSvgGenerator svg;
        svg.setFileName(path);
        svg.setSize(widget->size());
        svg.setViewBox(widget->rect());
        svg.setTitle(widget->windowTitle());
        svg.setDescription("fmsim-gui chart");
        QPainter painter;
        if (!painter.begin(&svg)) {
            *error = "cannot write " + path;
            return false;
        }
        widget->render(&painter);
        painter.end();
        return true;
    }
    *error = "export a chart as .png or .svg, not '" + suffix + "'";
    return false;
}

bool writeFile(const QString& path, const QByteArray& data, QString* error) {
    QSaveFile f(path);
    if (f.open(QIODevice::WriteOnly) && f.write(data) == data.size() && f.commit()) return true;
    *error = "cannot write " + path + ": " + f.errorString();
    return false;
}

}  // namespace fmsim::gui
