#pragma once
// Saving what the user sees: a chart as PNG or SVG, and results as files in the facade's formats
// (report JSON as is, per-op CSV, memory CSV, sweep points as `fmsim results` writes them).
#include <QByteArray>
#include <QString>

class QWidget;

namespace fmsim::gui {

// PNG or SVG, chosen by the file's suffix; false with `error` set otherwise.
bool exportWidget(QWidget* widget, const QString& path, QString* error);
bool writeFile(const QString& path, const QByteArray& data, QString* error);

}  // namespace fmsim::gui
