#pragma once

#include <QLabel>

namespace countersign {

// A label that never interprets its text. QLabel's default, Qt::AutoText,
// turns anything that looks like HTML into rich text (links, images, styled
// runs), so text from a request could make itself look like something else.
// Every label in ui/ that can show remote text is one of these.
class PlainLabel : public QLabel {
    Q_OBJECT

public:
    explicit PlainLabel(const QString &text = QString(), QWidget *parent = nullptr);
};

} // namespace countersign
