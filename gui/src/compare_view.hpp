#pragma once
// Two designs side by side: key metrics, the scenarios as run and the devices' derived figures,
// with the rows that differ highlighted and the change from A to B in percent (green where B is
// better, red where it is worse).
#include <QWidget>

#include "run_result.hpp"

class QLabel;
class QTableWidget;

namespace fmsim::gui {

class CompareView : public QWidget {
    Q_OBJECT
public:
    explicit CompareView(QWidget* parent = nullptr);
    void pinA(const RunResult& r);
    void pinB(const RunResult& r);
    bool hasA() const { return m_a.isValid(); }
    bool hasB() const { return m_b.isValid(); }
    QTableWidget* table() const { return m_table; }

private:
    void rebuild();

    RunResult m_a, m_b;
    QLabel* m_hint;
    QTableWidget* m_table;
};

}  // namespace fmsim::gui
