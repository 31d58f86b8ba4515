#pragma once

#include <QFrame>
#include <QJsonObject>

class QFormLayout;

namespace countersign {

class PlainLabel;

// One labelled panel of facts in the approval dialog: caption on the left,
// value on the right. The dialog has two, and they must never be confused:
// what the gateway checked (Verified) and what the agent wrote (Unverified),
// which is drawn in a warning colour under its own title. Every caption and
// value is remote text, shown plain and display-safe, and wraps rather than
// widening the dialog.
class FactSection : public QFrame {
    Q_OBJECT

public:
    enum class Trust {
        Verified,
        Unverified,
    };

    FactSection(Trust trust, const QString &title, const QString &note, QWidget *parent = nullptr);

    // A row whose value is one line of remote text. Returns the value label
    // (objectName `valueObjectName` when given) so tests and the dialog's
    // accessibility can find it.
    PlainLabel *addFact(const QString &caption, const QString &value,
                        const QString &valueObjectName = QString());

    // One row per member of `object`, captioned by the member's name (in
    // words, captionFor, when Verified: the agent's own names are shown as
    // it wrote them), the value as jsonValueLines shows it.
    void addJsonFacts(const QJsonObject &object);

    // A row spanning both columns that introduces the rows after it.
    void addHeading(const QString &text);

    int factCount() const;

    // The caption a person reads for a member name: the gateway's own
    // names in words ("upstream" -> "Upstream server"), others with "_" and
    // "-" as spaces and a capital first letter ("reason" -> "Reason").
    static QString captionFor(const QString &memberName);

private:
    PlainLabel *addValueRow(const QString &caption, const QStringList &lines);

    Trust m_trust;
    QFormLayout *m_form = nullptr;
    int m_factCount = 0;
};

} // namespace countersign
