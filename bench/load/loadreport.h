#pragma once

#include "bench/load/distribution.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QStringList>

namespace countersign::load {

// Everything one run measured, printed as text and as JSON.
struct LoadReport {
    // Set-up
    int companions = 0;
    int requests = 0;
    int concurrency = 0;
    int connectParallel = 0;
    int httpPaired = 0;      // devices paired over POST /companion/v1/pair
    int storeRegistered = 0; // devices added with Store::addDevice
    qint64 fileLimit = 0;
    QString threading;
    QString dataDir;        // where the gateway's SQLite database was
    double setupWallMs = 0; // keys, TOTP enrolment, offers or device rows

    // Pairing over HTTP
    double pairingWallMs = 0;

    // Connecting the companions (hello/auth/welcome)
    int welcomed = 0;
    int hubConnected = 0; // CompanionHub::connectedDevices() afterwards
    double connectWallMs = 0;
    Distribution handshake;

    // Approving
    double approveWallMs = 0;
    Distribution requestedToResolved;
    Distribution create; // ApprovalBroker::create() alone
    int approved = 0;
    QMap<QString, int> otherOutcomes; // denied, expired, create failed, unresolved...
    double proofsPerSecond = 0;
    int proofsSent = 0;
    int acceptedAcks = 0;    // approval.accepted the companions received
    int resolvedNotices = 0; // approval.resolved the companions received
    QMap<QString, int> proofErrors;
    int unexpectedCloses = 0;

    // Memory (one process: gateway and clients together)
    qint64 rssStartKib = 0;
    qint64 rssBeforeConnectKib = 0;
    qint64 rssAfterConnectKib = 0;
    qint64 rssAfterApproveKib = 0;

    QStringList failures; // why the run failed; empty when it passed

    bool passed() const { return failures.isEmpty(); }
    QString toText() const;
    QJsonObject toJson() const;
};

} // namespace countersign::load
