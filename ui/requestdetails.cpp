#include "requestdetails.h"

#include "factsection.h"

#include <QLayout>
#include <QScreen>
#include <QVBoxLayout>

namespace countersign {

RequestDetails::RequestDetails(const VerifiedApprovalRequest &request, const QString &gatewayName,
                               QWidget *parent)
    : QScrollArea(parent)
{
    const Sarc &sarc = request.request.sarc;
    auto *content = new QWidget;
    content->setObjectName(QStringLiteral("detailsContent"));
    auto *column = new QVBoxLayout(content);
    column->setContentsMargins(0, 0, 0, 0);
    column->setSpacing(10);

    auto *verified = new FactSection(FactSection::Trust::Verified, tr("Verified by the gateway"),
                                     QString(), content);
    verified->setObjectName(QStringLiteral("verifiedSection"));
    verified->addFact(tr("User"), sarc.subject.id, QStringLiteral("subjectUserValue"));
    verified->addFact(tr("Agent"), sarc.subject.agent, QStringLiteral("subjectAgentValue"));
    verified->addFact(tr("Action"), sarc.action.name, QStringLiteral("actionValue"));
    verified->addJsonFacts(sarc.action.properties);
    verified->addFact(
        tr("Resource"),
        tr("%1 (%2)", "resource id (resource type)").arg(sarc.resource.id, sarc.resource.type),
        QStringLiteral("resourceValue"));
    // The tool's arguments: what will run, bound to this request by its hash.
    verified->addJsonFacts(sarc.resource.properties);
    verified->addFact(
        tr("Gateway"),
        tr("%1 (%2)", "gateway name (gateway URL)").arg(gatewayName, request.request.gatewayId),
        QStringLiteral("gatewayValue"));
    if (!sarc.context.verified.isEmpty()) {
        verified->addHeading(tr("Context"));
        verified->addJsonFacts(sarc.context.verified);
    }
    column->addWidget(verified);

    auto *unverified = new FactSection(
        FactSection::Trust::Unverified, tr("Unverified — supplied by the agent"),
        tr("The agent wrote this and the gateway did not check it. Decide on the verified "
           "facts above."),
        content);
    unverified->setObjectName(QStringLiteral("unverifiedSection"));
    unverified->addJsonFacts(sarc.context.agentSupplied);
    // Nothing to label when the agent said nothing.
    unverified->setVisible(unverified->factCount() > 0);
    column->addWidget(unverified);
    column->addStretch(1);

    setObjectName(QStringLiteral("details"));
    setAccessibleName(tr("Request details"));
    setFrameShape(QFrame::NoFrame);
    setWidgetResizable(true);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    setWidget(content);
    // The panels draw their own backgrounds on the dialog's.
    viewport()->setAutoFillBackground(false);
    content->setAutoFillBackground(false);
}

void RequestDetails::fitContentHeight()
{
    // Before the first show the viewport has not been laid out yet, so the
    // scroll area's own width stands in for it (no frame; no scroll bar
    // unless the content is capped anyway).
    QWidget *content = widget();
    int contentHeight = content->sizeHint().height();
    if (content->layout() && content->layout()->hasHeightForWidth())
        contentHeight = content->layout()->totalHeightForWidth(width());
    const QScreen *shownOn = screen();
    const int cap = shownOn ? shownOn->availableGeometry().height() / 2 : 480;
    setMinimumHeight(qMin(contentHeight, cap));
}

} // namespace countersign
