#pragma once

#include "app/companion.h"
#include "app/requestkey.h"
#include "protocol/clock.h"
#include "ui/trayiconstate.h"

#include <QHash>
#include <QObject>
#include <QPointer>

namespace countersign {

class ApprovalDialog;

// The companion's presenter: an approval dialog per request the person
// opens, fed by the Companion's request events, and the person's intent
// (approve with a code or a security key, deny, stop the key) forwarded to
// the Companion. It holds no widgets of the tray itself: the tray shows
// summaryChanged() and calls the slots. Only the dialog's Approve makes a
// proof; a notification only ever opens a dialog.
class CompanionController : public QObject {
    Q_OBJECT

public:
    // `companion` and `clock` (the dialogs' countdown) must outlive it.
    CompanionController(Companion &companion, const Clock &clock, QObject *parent = nullptr);
    ~CompanionController() override;

    TrayIconState summary() const;
    // The open dialog of a request (for tests and the tray).
    ApprovalDialog *dialog(const RequestKey &request) const;
    ApprovalDialog *dialog(const QString &gatewayId, const QString &requestId) const
    {
        return dialog(RequestKey{gatewayId, requestId});
    }

public Q_SLOTS:
    void openApproval(const QString &gatewayId, const QString &requestId);
    // Arrival: the dialog comes up without taking the keyboard.
    void presentApproval(const QString &gatewayId, const QString &requestId);

Q_SIGNALS:
    void summaryChanged(const countersign::TrayIconState &summary);

private:
    void onRequestChanged(const RequestKey &request, const RequestEvent &event);
    void showKeyEvent(ApprovalDialog &dialog, const RequestEvent &event);
    ApprovalDialog *ensureDialog(const RequestKey &request);
    void connectDialog(ApprovalDialog *dialog, const RequestKey &request);
    void emitSummary();

    Companion &m_companion;
    const Clock &m_clock;
    QHash<RequestKey, QPointer<ApprovalDialog>> m_dialogs;
};

} // namespace countersign
