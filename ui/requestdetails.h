#pragma once

#include "protocol/messages/approvalrequest.h"

#include <QScrollArea>

namespace countersign {

// What a signed request says, as the approval dialog shows it: the
// gateway-verified facts (Subject, Action, Resource with its properties, the
// gateway, verified Context) in one panel, the agent's own words in a
// separate panel labelled unverified. Scrolls when it would take more than
// half the screen.
class RequestDetails : public QScrollArea {
    Q_OBJECT

public:
    RequestDetails(const VerifiedApprovalRequest &request, const QString &gatewayName,
                   QWidget *parent = nullptr);

    // Sets the minimum height to show everything at the current width, up
    // to half the screen. QScrollArea's own size hint ignores its content.
    void fitContentHeight();
};

} // namespace countersign
