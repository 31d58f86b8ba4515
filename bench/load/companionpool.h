#pragma once

#include "bench/load/simulatedcompanion.h"
#include "protocol/pairing/pairinglink.h"

#include <functional>
#include <vector>

#include <QNetworkAccessManager>

namespace countersign::load {

// One simulated device, as the load run prepares it on the gateway's thread.
struct CompanionSpec {
    int index = 0;
    EcPrivateKey deviceKey;
    Totp totp;
    QString deviceId;                // set when registered through the store
    std::optional<PairingLink> link; // set when it pairs over HTTP instead
};

struct PairingOutcome {
    int paired = 0;
    QStringList failures; // first few only
    qint64 wallNs = 0;
};

struct ConnectOutcome {
    int welcomed = 0;
    QStringList failures; // first few only
    QList<qint64> handshakeNs;
    qint64 wallNs = 0;
};

// All simulated companions, on a thread of their own so that the client
// work (signing auth and proofs, verifying requests) runs beside the
// gateway's event loop instead of inside it. Every method runs in the pool's
// thread; results go back through `report`, which the caller runs on its
// own thread.
class CompanionPool : public QObject {
    Q_OBJECT

public:
    using Report = std::function<void(std::function<void()>)>;

    CompanionPool(const Clock &clock, Report report, QObject *parent = nullptr);

    // A pool living on `thread` (started here, named "companions"), whose
    // reports run on `home`'s thread; deleted when the thread finishes.
    static CompanionPool *startOn(QThread &thread, const Clock &clock, QObject *home);

    // Called (through `report`) for every approval.accepted any companion
    // receives; set before create().
    using Accepted = std::function<void(const QString &requestId, bool approved)>;
    void setAcceptedHandler(Accepted handler) { m_accepted = std::move(handler); }

    void create(std::vector<CompanionSpec> specs, const GatewayPin &pin);
    // POST /companion/v1/pair for every companion that has a link, at most
    // `parallel` at once.
    void pairOverHttp(int parallel, std::function<void(PairingOutcome)> done);
    // Opens every channel, at most `parallel` handshakes in flight so that
    // the listen backlog does not overflow into SYN retransmits.
    void connectAll(int parallel, std::function<void(ConnectOutcome)> done);
    void tally(std::function<void(CompanionTally)> done) const;
    void closeAll();

private:
    void pairNext();
    void connectNext();
    void finishConnect();
    void noteFailure(QStringList &failures, const QString &why);

    const Clock &m_clock;
    Report m_report;
    Accepted m_accepted;
    std::optional<GatewayPin> m_pin;
    QUrl m_pairUrl;
    CompanionTally m_tally;
    std::vector<SimulatedCompanion *> m_companions;
    QHash<SimulatedCompanion *, PairingLink> m_links;
    QNetworkAccessManager *m_network = nullptr;

    QElapsedTimer m_phase;
    std::size_t m_next = 0;
    int m_inFlight = 0;
    int m_parallel = 1;
    int m_finished = 0;
    PairingOutcome m_pairing;
    std::function<void(PairingOutcome)> m_pairingDone;
    ConnectOutcome m_connect;
    std::function<void(ConnectOutcome)> m_connectDone;
};

} // namespace countersign::load
