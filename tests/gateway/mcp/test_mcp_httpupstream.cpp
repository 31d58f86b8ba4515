#include "gateway/mcp/httpupstream.h"
#include "gateway/mcp/jsonrpc.h"
#include "protocol/clock.h"
#include "tests/examples/directorytestkit.h"
#include "tests/support/freeport.h"

#include <functional>
#include <memory>

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPointer>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;
using namespace countersign::testing;
using namespace Qt::StringLiterals;

namespace {

// One HTTP request as the scripted server saw it.
struct SeenRequest {
    QByteArray requestLine;
    QMap<QByteArray, QByteArray> headers; // names in lower case
    QJsonObject body;
    QTcpSocket *socket = nullptr; // valid while the handler runs

    QString method() const { return body.value(QStringLiteral("method")).toString(); }
    QJsonValue id() const { return body.value(QStringLiteral("id")); }
};

// A minimal HTTP/1.1 server on loopback whose answers each test scripts:
// what a real server cannot be made to do on demand (an event stream, no
// answer at all, too large an answer).
class ScriptedServer {
public:
    using Handler = std::function<void(const SeenRequest &request)>;

    ScriptedServer()
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                QObject::connect(socket, &QTcpSocket::readyRead, socket,
                                 [this, socket] { read(socket); });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, [this, socket] {
                    ++m_disconnects;
                    m_buffers.remove(socket);
                    socket->deleteLater();
                });
            }
        });
    }

    ~ScriptedServer()
    {
        // Closing a connection emits disconnected(), which must not reach
        // members already destroyed.
        const QList<QTcpSocket *> sockets = m_server.findChildren<QTcpSocket *>();
        for (QTcpSocket *socket : sockets) {
            socket->disconnect();
            delete socket;
        }
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QUrl url() const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(m_server.serverPort()));
    }
    void setHandler(Handler handler) { m_handler = std::move(handler); }
    const QList<SeenRequest> &requests() const { return m_requests; }
    int disconnects() const { return m_disconnects; }
    QList<SeenRequest> requestsFor(const QString &method) const
    {
        QList<SeenRequest> found;
        for (const SeenRequest &request : m_requests) {
            if (request.method() == method)
                found.append(request);
        }
        return found;
    }

    static void respond(QTcpSocket *socket, const QByteArray &status, const QByteArray &contentType,
                        const QByteArray &body, const QByteArray &extraHeaders = {})
    {
        QByteArray head = "HTTP/1.1 " + status + "\r\n";
        if (!contentType.isEmpty())
            head += "Content-Type: " + contentType + "\r\n";
        head +=
            "Content-Length: " + QByteArray::number(body.size()) + "\r\n" + extraHeaders + "\r\n";
        socket->write(head + body);
    }
    static void respondJson(QTcpSocket *socket, const QJsonObject &message,
                            const QByteArray &extraHeaders = {})
    {
        respond(socket, "200 OK", "application/json",
                QJsonDocument(message).toJson(QJsonDocument::Compact), extraHeaders);
    }
    static void accepted(QTcpSocket *socket) { respond(socket, "202 Accepted", {}, {}); }
    // The start of a response delimited by closing the connection (no
    // Content-Length), as event streams are.
    static void startStream(QTcpSocket *socket, const QByteArray &contentType,
                            const QByteArray &extraHeaders = {})
    {
        socket->write("HTTP/1.1 200 OK\r\nContent-Type: " + contentType
                      + "\r\nCache-Control: no-cache\r\nConnection: close\r\n" + extraHeaders
                      + "\r\n");
    }

    // What a well-behaved server from before MCP 2026-07-28 does for the
    // handshake; true when handled. It refuses server/discover as the
    // TypeScript SDK 1.x does (no session yet).
    static bool handshake(const SeenRequest &request)
    {
        if (request.method() == u"server/discover") {
            respond(
                request.socket, "400 Bad Request", "application/json",
                R"({"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: Server not initialized"},"id":null})");
            return true;
        }
        if (request.method() == u"initialize") {
            respondJson(request.socket,
                        JsonRpcMessage::result(
                            request.id(),
                            {{QStringLiteral("protocolVersion"), QStringLiteral("2025-06-18")},
                             {QStringLiteral("capabilities"), QJsonObject{}},
                             {QStringLiteral("serverInfo"),
                              QJsonObject{{QStringLiteral("name"), QStringLiteral("scripted")},
                                          {QStringLiteral("version"), QStringLiteral("1")}}}}),
                        "Mcp-Session-Id: scripted-session\r\n");
            return true;
        }
        if (!request.body.contains(QStringLiteral("id"))
            || !request.body.contains(QStringLiteral("method"))) {
            accepted(request.socket); // notifications and responses
            return true;
        }
        return false;
    }

private:
    void read(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        for (;;) {
            const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
            if (headEnd < 0)
                return;
            SeenRequest request;
            const QList<QByteArray> lines = buffer.left(headEnd).split('\n');
            request.requestLine = lines.constFirst().trimmed();
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const qsizetype colon = lines[i].indexOf(':');
                if (colon > 0) {
                    request.headers.insert(lines[i].left(colon).trimmed().toLower(),
                                           lines[i].mid(colon + 1).trimmed());
                }
            }
            const qsizetype length = request.headers.value("content-length").toLongLong();
            if (buffer.size() < headEnd + 4 + length)
                return;
            request.body = QJsonDocument::fromJson(buffer.mid(headEnd + 4, length)).object();
            request.socket = socket;
            buffer.remove(0, headEnd + 4 + length);
            m_requests.append(request);
            if (m_handler)
                m_handler(request);
        }
    }

    QTcpServer m_server;
    Handler m_handler;
    QList<SeenRequest> m_requests;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    int m_disconnects = 0;
};

// What an Upstream callback delivered, and how.
struct Delivered {
    int calls = 0;
    bool duringRequest = false;
    QJsonObject response;

    QString errorMessage() const
    {
        return response.value(QStringLiteral("error"))
            .toObject()
            .value(QStringLiteral("message"))
            .toString();
    }
    int errorCode() const
    {
        return response.value(QStringLiteral("error"))
            .toObject()
            .value(QStringLiteral("code"))
            .toInt();
    }
    QJsonObject result() const { return response.value(QStringLiteral("result")).toObject(); }
};

std::shared_ptr<Delivered> ask(Upstream &upstream, const QString &method,
                               const QJsonObject &params = {}, UpstreamRequestOptions options = {})
{
    auto delivered = std::make_shared<Delivered>();
    auto inRequest = std::make_shared<bool>(true);
    upstream.request(
        method, params,
        [delivered, inRequest](const QJsonObject &response) {
            ++delivered->calls;
            delivered->duringRequest = delivered->duringRequest || *inRequest;
            delivered->response = response;
        },
        options);
    *inRequest = false;
    return delivered;
}

QJsonObject callParams(const QString &tool, const QJsonObject &arguments)
{
    return {{QStringLiteral("name"), tool}, {QStringLiteral("arguments"), arguments}};
}

UpstreamConfig httpConfig(const QString &name, const QUrl &url)
{
    UpstreamConfig config;
    config.name = name;
    config.url = url;
    config.audience = url.toString();
    return config;
}

constexpr int answerTimeoutMs = 15'000;

} // namespace

// HttpUpstream against the real countersign-directory over Streamable HTTP
// on loopback, and against a scripted server for what a real one cannot be
// made to do on demand.
class TestMcpHttpUpstream : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void toolsListInitializesOnce();
    void readToolIsCalled();
    void mutatingToolNeedsTheBearerToken();
    void lostSessionIsOpenedAgainAndTheCallRetried();
    void serverDownFailsCallsNotTheGateway();
    void unansweredCallsTimeOut();
    void callsBeyondSixRunAtOnce();
    void eventStreamAnswerIsParsed();
    void eventStreamWithoutTheResponseFails();
    void callStreamNotificationsReachTheCaller();
    void serverRequestsOnTheGetStreamAreRefusedAtOnce();
    void httpErrorsAreReportedWithTheServersWords();
    void oversizedAnswersAreRefused();
    void destroyedUpstreamNeverCallsBack();
    void modernServerIsSpokenWithoutSession();
    void modernInputRequiredIsRefusedAtOnce();
    void modernToolParametersAreMirroredIntoHeaders();
    void headerMismatchListsTheToolsAndSendsTheCallOnceMore();
    void olderServersFallBackToInitialize_data();
    void olderServersFallBackToInitialize();
    void badDiscoverAnswersFailClearly_data();
    void badDiscoverAnswersFailClearly();

private:
    std::unique_ptr<HttpUpstream> directoryUpstream();

    QTemporaryDir m_dir;
    QString m_users;
    std::optional<EcPrivateKey> m_key;
    SystemClock m_clock;
    QProcess m_server;
    QUrl m_url;
};

void TestMcpHttpUpstream::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_users = m_dir.filePath(QStringLiteral("users.json"));
    const QString jwks = m_dir.filePath(QStringLiteral("jwks.json"));
    m_key = EcPrivateKey::generate().value();
    QVERIFY(writeJwksFile(jwks, m_key->publicKey()));
    m_server.setReadChannel(QProcess::StandardError);
    m_server.start(QStringLiteral(COUNTERSIGN_DIRECTORY_BINARY),
                   {QStringLiteral("--users"), m_users, QStringLiteral("--seed"),
                    QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                    QStringLiteral("--jwks-file"), jwks, QStringLiteral("--issuer"),
                    directoryIssuer, QStringLiteral("--audience"), directoryAudience});
    QVERIFY(m_server.waitForStarted());
    // Port 0 and the printed address: no race between probing and binding.
    static const QRegularExpression listening(
        QStringLiteral("listening on (http://127\\.0\\.0\\.1:\\d+/mcp)"));
    for (QByteArray line = readLine(m_server); !line.isEmpty(); line = readLine(m_server)) {
        const auto match = listening.match(QString::fromUtf8(line));
        if (match.hasMatch()) {
            m_url = QUrl(match.captured(1));
            break;
        }
    }
    QVERIFY2(m_url.isValid() && m_url.port() > 0, "countersign-directory did not start");
}

void TestMcpHttpUpstream::cleanupTestCase()
{
    m_server.terminate();
    QVERIFY(m_server.waitForFinished(10'000));
    QCOMPARE(m_server.exitCode(), 0);
}

std::unique_ptr<HttpUpstream> TestMcpHttpUpstream::directoryUpstream()
{
    UpstreamConfig config = httpConfig(QStringLiteral("directory"), m_url);
    config.audience = directoryAudience;
    return std::make_unique<HttpUpstream>(config);
}

void TestMcpHttpUpstream::toolsListInitializesOnce()
{
    const auto upstream = directoryUpstream();
    QCOMPARE(upstream->name(), QStringLiteral("directory"));
    QCOMPARE(upstream->audience(), directoryAudience);
    QVERIFY(!upstream->isReady());

    // Two requests before the session exists share one initialize.
    const auto first = ask(*upstream, QStringLiteral("tools/list"));
    const auto second = ask(*upstream, QStringLiteral("tools/list"));
    QCOMPARE(first->calls, 0);
    QTRY_COMPARE_WITH_TIMEOUT(first->calls, 1, answerTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(second->calls, 1, answerTimeoutMs);
    QVERIFY(!first->duringRequest);
    QVERIFY(upstream->isReady());
    QVERIFY(upstream->sessionId().size() >= 32);

    QStringList names;
    for (const QJsonValue &tool : first->result().value(QStringLiteral("tools")).toArray())
        names.append(tool.toObject().value(QStringLiteral("name")).toString());
    names.sort();
    QCOMPARE(names,
             QStringList({QStringLiteral("disable_user"), QStringLiteral("enable_user"),
                          QStringLiteral("get_user"), QStringLiteral("list_users")}));
    QCOMPARE(second->result(), first->result());
    QCOMPARE(first->response.value(QStringLiteral("jsonrpc")).toString(), QStringLiteral("2.0"));
}

void TestMcpHttpUpstream::readToolIsCalled()
{
    const auto upstream = directoryUpstream();
    const auto answer =
        ask(*upstream, QStringLiteral("tools/call"),
            callParams(QStringLiteral("get_user"), userArguments(QStringLiteral("bob"))));
    QTRY_COMPARE_WITH_TIMEOUT(answer->calls, 1, answerTimeoutMs);
    QVERIFY2(!isToolError(answer->response), qPrintable(resultText(answer->response)));
    QVERIFY(resultText(answer->response).contains(u"bob@example.com"));

    // A JSON-RPC error of the server is its answer, passed on as it is.
    const auto unknown = ask(*upstream, QStringLiteral("tools/call"),
                             callParams(QStringLiteral("no_such_tool"), {}));
    QTRY_COMPARE_WITH_TIMEOUT(unknown->calls, 1, answerTimeoutMs);
    QCOMPARE(unknown->errorCode(), JsonRpcMessage::invalidParams);
}

void TestMcpHttpUpstream::mutatingToolNeedsTheBearerToken()
{
    const auto upstream = directoryUpstream();
    const QJsonObject carol = userArguments(QStringLiteral("carol"));

    const auto refused = ask(*upstream, QStringLiteral("tools/call"),
                             callParams(QStringLiteral("disable_user"), carol));
    QTRY_COMPARE_WITH_TIMEOUT(refused->calls, 1, answerTimeoutMs);
    QVERIFY(isToolError(refused->response));
    QVERIFY(!isDisabledInFile(m_users, QStringLiteral("carol")));

    UpstreamRequestOptions options;
    options.elevatedToken = mintToken(*m_key, m_clock, QStringLiteral("disable_user"), carol);
    const auto approved = ask(*upstream, QStringLiteral("tools/call"),
                              callParams(QStringLiteral("disable_user"), carol), options);
    QTRY_COMPARE_WITH_TIMEOUT(approved->calls, 1, answerTimeoutMs);
    QVERIFY2(!isToolError(approved->response), qPrintable(resultText(approved->response)));
    QVERIFY(isDisabledInFile(m_users, QStringLiteral("carol")));

    // The token went in the header of that one request only.
    const auto later = ask(*upstream, QStringLiteral("tools/call"),
                           callParams(QStringLiteral("enable_user"), carol));
    QTRY_COMPARE_WITH_TIMEOUT(later->calls, 1, answerTimeoutMs);
    QVERIFY(isToolError(later->response));
    QVERIFY(isDisabledInFile(m_users, QStringLiteral("carol")));
}

void TestMcpHttpUpstream::lostSessionIsOpenedAgainAndTheCallRetried()
{
    const auto upstream = directoryUpstream();
    const auto first = ask(*upstream, QStringLiteral("tools/list"));
    QTRY_COMPARE_WITH_TIMEOUT(first->calls, 1, answerTimeoutMs);
    const QByteArray oldSession = upstream->sessionId();
    QVERIFY(!oldSession.isEmpty());

    // The server forgets the session (as after a restart): it answers 404.
    QNetworkAccessManager network;
    QNetworkRequest end(m_url);
    end.setRawHeader("Mcp-Session-Id", oldSession);
    QNetworkReply *ended = network.deleteResource(end);
    QSignalSpy finished(ended, &QNetworkReply::finished);
    QVERIFY(finished.wait(answerTimeoutMs));
    QCOMPARE(ended->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
    ended->deleteLater();

    // The retried call carries its elevated token again: the 404 means the
    // server never acted on the first attempt.
    const QJsonObject bob = userArguments(QStringLiteral("bob"));
    UpstreamRequestOptions options;
    options.elevatedToken = mintToken(*m_key, m_clock, QStringLiteral("disable_user"), bob);
    const auto retried = ask(*upstream, QStringLiteral("tools/call"),
                             callParams(QStringLiteral("disable_user"), bob), options);
    const auto alongside = ask(*upstream, QStringLiteral("tools/list"));
    QTRY_COMPARE_WITH_TIMEOUT(retried->calls, 1, answerTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(alongside->calls, 1, answerTimeoutMs);
    QVERIFY2(!isToolError(retried->response),
             qPrintable(retried->errorMessage() + resultText(retried->response)));
    QVERIFY(isDisabledInFile(m_users, QStringLiteral("bob")));
    QCOMPARE(alongside->result().value(QStringLiteral("tools")).toArray().size(), 4);
    QVERIFY(!upstream->sessionId().isEmpty());
    QVERIFY(upstream->sessionId() != oldSession);
    QCOMPARE(retried->calls, 1);
}

void TestMcpHttpUpstream::serverDownFailsCallsNotTheGateway()
{
    // A port nobody listens on.
    const quint16 port = testing::freePort();
    QVERIFY(port != 0);
    HttpUpstream upstream(httpConfig(QStringLiteral("down"),
                                     QUrl(QStringLiteral("http://127.0.0.1:%1/mcp").arg(port))));
    for (int attempt = 0; attempt < 2; ++attempt) {
        const auto answer = ask(upstream, QStringLiteral("tools/list"));
        QCOMPARE(answer->calls, 0);
        QTRY_COMPARE_WITH_TIMEOUT(answer->calls, 1, answerTimeoutMs);
        QVERIFY(!answer->duringRequest);
        QCOMPARE(answer->errorCode(), JsonRpcMessage::upstreamFailure);
        QCOMPARE(answer->errorMessage(),
                 QStringLiteral("upstream down is unavailable: connection refused"));
        QVERIFY(!upstream.isReady());
    }
}

void TestMcpHttpUpstream::unansweredCallsTimeOut()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    bool answerInitialize = false;
    server.setHandler([&answerInitialize](const SeenRequest &request) {
        if (answerInitialize)
            ScriptedServer::handshake(request);
        // Anything else is read and never answered.
    });
    UpstreamRequestOptions quick;
    quick.timeout = std::chrono::milliseconds(300);

    {
        // Stuck in initialize: the call's own timeout still holds.
        HttpUpstream upstream(httpConfig(QStringLiteral("stuck"), server.url()));
        const auto answer = ask(upstream, QStringLiteral("tools/list"), {}, quick);
        QTRY_COMPARE_WITH_TIMEOUT(answer->calls, 1, answerTimeoutMs);
        QCOMPARE(answer->errorCode(), JsonRpcMessage::upstreamFailure);
        QCOMPARE(answer->errorMessage(), QStringLiteral("upstream stuck did not answer in time"));
    }
    answerInitialize = true;
    HttpUpstream upstream(httpConfig(QStringLiteral("slow"), server.url()));
    const auto answer = ask(upstream, QStringLiteral("tools/list"), {}, quick);
    QTRY_COMPARE_WITH_TIMEOUT(answer->calls, 1, answerTimeoutMs);
    QCOMPARE(answer->errorMessage(), QStringLiteral("upstream slow did not answer in time"));
    QVERIFY(upstream.isReady());
    QCOMPARE(server.requestsFor(QStringLiteral("tools/list")).size(), 1);
}

// Qt's per-host limit of 6 connections used to queue the 7th call inside
// the gateway behind the first six; now every concurrent call is on the
// wire at once (up to HttpUpstream::maxConnections).
void TestMcpHttpUpstream::callsBeyondSixRunAtOnce()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    QList<SeenRequest> held;
    server.setHandler([&held](const SeenRequest &request) {
        if (!ScriptedServer::handshake(request))
            held.append(request); // answered once all have arrived
    });
    HttpUpstream upstream(httpConfig(QStringLiteral("wide"), server.url()));
    constexpr int calls = 20;
    static_assert(calls <= HttpUpstream::maxConnections);
    QList<std::shared_ptr<Delivered>> answers;
    for (int i = 0; i < calls; ++i) {
        answers.append(
            ask(upstream, QStringLiteral("tools/call"),
                callParams(QStringLiteral("slow"), QJsonObject{{QStringLiteral("i"), i}})));
    }
    QTRY_COMPARE_WITH_TIMEOUT(held.size(), calls, answerTimeoutMs);
    for (const SeenRequest &request : std::as_const(held)) {
        ScriptedServer::respondJson(request.socket,
                                    JsonRpcMessage::result(request.id(), QJsonObject{}));
    }
    for (const auto &answer : std::as_const(answers)) {
        QTRY_COMPARE_WITH_TIMEOUT(answer->calls, 1, answerTimeoutMs);
        QVERIFY(answer->response.value(QStringLiteral("result")).isObject());
    }
}

void TestMcpHttpUpstream::eventStreamAnswerIsParsed()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    QPointer<QTcpSocket> stream;
    QJsonValue callId;
    server.setHandler([&](const SeenRequest &request) {
        if (request.method() == u"initialize") {
            // The handshake itself may come as a stream too.
            ScriptedServer::startStream(request.socket, "text/event-stream",
                                        "Mcp-Session-Id: sse-session\r\n");
            request.socket->write(
                "event: message\ndata: "
                + QJsonDocument(
                      JsonRpcMessage::result(
                          request.id(),
                          {{QStringLiteral("protocolVersion"), QStringLiteral("2025-06-18")},
                           {QStringLiteral("capabilities"), QJsonObject{}}}))
                      .toJson(QJsonDocument::Compact)
                + "\n\n");
            request.socket->disconnectFromHost();
            return;
        }
        if (request.method() == u"tools/call") {
            stream = request.socket;
            callId = request.id();
            ScriptedServer::startStream(request.socket, "text/event-stream; charset=utf-8");
            // A comment, a priming event, a notification and a request of
            // the server's own: none of them is the answer.
            request.socket->write(
                ": keep-alive\n\n"
                "id: 1\ndata:\n\n"
                "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                "\"params\":{\"progressToken\":1,\"progress\":0.5}}\n\n"
                "data: {\"jsonrpc\":\"2.0\",\"id\":\"server-1\",\"method\":\"ping\"}\n\n");
            return;
        }
        if (request.body.value(QStringLiteral("id")) == QJsonValue(QStringLiteral("server-1"))
            && stream) {
            // The client answered the ping while the stream is open: now the
            // rest of it, in CRLF lines, with an answer to another id, an
            // event of another type and the response split over data lines.
            ScriptedServer::accepted(request.socket);
            const QByteArray id = QByteArray::number(callId.toInteger());
            stream->write("data: {\"jsonrpc\":\"2.0\",\"id\":99999,\"result\":{}}\r\n\r\n"
                          "event: other\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":"
                          + id
                          + ",\"result\":{\"wrong\":true}}\r\n\r\n"
                            "data: {\"jsonrpc\":\"2.0\",\r\ndata: \"id\":"
                          + id + ",\r\ndata:\"result\":{\"answer\":42}}\r\n\r\n");
            stream->disconnectFromHost();
            return;
        }
        ScriptedServer::handshake(request);
    });

    HttpUpstream upstream(httpConfig(QStringLiteral("sse"), server.url()));
    UpstreamRequestOptions options;
    options.elevatedToken = "header.payload.signature";
    const auto answer =
        ask(upstream, QStringLiteral("tools/call"),
            callParams(QStringLiteral("disable_user"), userArguments(QStringLiteral("alice"))),
            options);
    QTRY_COMPARE_WITH_TIMEOUT(answer->calls, 1, answerTimeoutMs);
    QVERIFY2(answer->errorMessage().isEmpty(), qPrintable(answer->errorMessage()));
    QCOMPARE(answer->result(), QJsonObject({{QStringLiteral("answer"), 42}}));
    QCOMPARE(upstream.sessionId(), QByteArray("sse-session"));

    const QList<SeenRequest> initialize = server.requestsFor(QStringLiteral("initialize"));
    QCOMPARE(initialize.size(), 1);
    QCOMPARE(initialize[0].requestLine, QByteArray("POST /mcp HTTP/1.1"));
    QCOMPARE(initialize[0].headers.value("accept"),
             QByteArray("application/json, text/event-stream"));
    QVERIFY(!initialize[0].headers.contains("mcp-session-id"));
    const QJsonObject params = initialize[0].body.value(QStringLiteral("params")).toObject();
    QCOMPARE(params.value(QStringLiteral("protocolVersion")).toString(),
             QStringLiteral("2025-06-18"));
    QCOMPARE(params.value(QStringLiteral("clientInfo")).toObject().value(u"name").toString(),
             QStringLiteral("countersign-gateway"));
    QVERIFY(!initialize[0].headers.contains("authorization"));

    QCOMPARE(server.requestsFor(QStringLiteral("notifications/initialized")).size(), 1);
    const QList<SeenRequest> calls = server.requestsFor(QStringLiteral("tools/call"));
    QCOMPARE(calls.size(), 1);
    QCOMPARE(calls[0].headers.value("mcp-session-id"), QByteArray("sse-session"));
    QCOMPARE(calls[0].headers.value("mcp-protocol-version"), QByteArray("2025-06-18"));
    QCOMPARE(calls[0].headers.value("authorization"),
             QByteArray("Bearer header.payload.signature"));
    QCOMPARE(calls[0].headers.value("content-type"), QByteArray("application/json"));
    // Over HTTP the token is in the header only, never in the message.
    QVERIFY(!calls[0].body.value(QStringLiteral("params")).toObject().contains(u"_meta"));
    QVERIFY(!QJsonDocument(calls[0].body).toJson().contains("header.payload.signature"));

    // The ping was answered, in the session.
    bool pingAnswered = false;
    for (const SeenRequest &request : server.requests()) {
        if (request.id() == QJsonValue(QStringLiteral("server-1"))) {
            pingAnswered = request.body.value(QStringLiteral("result")).isObject()
                && request.headers.value("mcp-session-id") == "sse-session";
        }
    }
    QVERIFY(pingAnswered);
}

void TestMcpHttpUpstream::callStreamNotificationsReachTheCaller()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    server.setHandler([&](const SeenRequest &request) {
        if (request.method() == u"tools/call") {
            ScriptedServer::startStream(request.socket, "text/event-stream");
            const QByteArray id = QByteArray::number(request.id().toInteger());
            request.socket->write(
                "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                "\"params\":{\"progressToken\":\"t-1\",\"progress\":50,\"total\":100}}\n\n"
                "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                "\"params\":{\"level\":\"info\",\"data\":\"working\"}}\n\n"
                "data: {\"jsonrpc\":\"2.0\",\"id\":"
                + id + ",\"result\":{\"content\":[]}}\n\n");
            request.socket->disconnectFromHost();
            return;
        }
        if (request.requestLine.startsWith("GET ")) {
            ScriptedServer::respond(request.socket, "405 Method Not Allowed", {}, {});
            return;
        }
        ScriptedServer::handshake(request);
    });

    HttpUpstream upstream(httpConfig(QStringLiteral("notifying"), server.url()));
    auto seen = std::make_shared<QList<QJsonObject>>();
    auto answeredFirst = std::make_shared<bool>(false);
    std::shared_ptr<Delivered> answer;
    UpstreamRequestOptions options;
    options.onNotification = [seen, answeredFirst, &answer](const QJsonObject &notification) {
        *answeredFirst = *answeredFirst || (answer && answer->calls > 0);
        seen->append(notification);
    };
    answer = ask(upstream, QStringLiteral("tools/call"),
                 callParams(QStringLiteral("slow"), QJsonObject{}), options);
    QTRY_COMPARE_WITH_TIMEOUT(answer->calls, 1, answerTimeoutMs);
    QVERIFY2(answer->errorMessage().isEmpty(), qPrintable(answer->errorMessage()));
    QCOMPARE(seen->size(), 2);
    QVERIFY(!*answeredFirst);
    QCOMPARE(seen->at(0).value(u"method").toString(), QStringLiteral("notifications/progress"));
    QCOMPARE(seen->at(0).value(u"params").toObject().value(u"progress").toInt(), 50);
    QCOMPARE(seen->at(1).value(u"method").toString(), QStringLiteral("notifications/message"));
    QCOMPARE(seen->at(1).value(u"params").toObject().value(u"data").toString(),
             QStringLiteral("working"));

    // The server offers no GET stream (405): it is not asked again.
    const auto second = ask(upstream, QStringLiteral("tools/call"),
                            callParams(QStringLiteral("slow"), QJsonObject{}));
    QTRY_COMPARE_WITH_TIMEOUT(second->calls, 1, answerTimeoutMs);
    qsizetype gets = 0;
    for (const SeenRequest &request : server.requests())
        gets += request.requestLine.startsWith("GET ") ? 1 : 0;
    QCOMPARE(gets, 1);
}

void TestMcpHttpUpstream::serverRequestsOnTheGetStreamAreRefusedAtOnce()
{
    // A server that asks for sampling outside any call's stream (on the
    // session's GET stream) and answers the call only once its request is
    // answered: before, nobody listened there and the call timed out.
    ScriptedServer server;
    QVERIFY(server.listen());
    QPointer<QTcpSocket> getStream;
    QPointer<QTcpSocket> callSocket;
    QJsonValue callId;
    QJsonObject refusal;
    QByteArray refusalSession;
    const auto answerCall = [&] {
        if (!callSocket || refusal.isEmpty())
            return;
        ScriptedServer::respondJson(callSocket,
                                    JsonRpcMessage::result(callId, {{u"content"_s, QJsonArray{}}}));
    };
    server.setHandler([&](const SeenRequest &request) {
        if (request.requestLine.startsWith("GET ")) {
            getStream = request.socket;
            ScriptedServer::startStream(request.socket, "text/event-stream");
            request.socket->write("data: {\"jsonrpc\":\"2.0\",\"id\":\"s-1\","
                                  "\"method\":\"sampling/createMessage\",\"params\":{}}\n\n");
            return;
        }
        if (request.method() == u"tools/call") {
            callSocket = request.socket;
            callId = request.id();
            answerCall();
            return;
        }
        if (request.id() == QJsonValue(QStringLiteral("s-1"))) {
            refusal = request.body;
            refusalSession = request.headers.value("mcp-session-id");
            ScriptedServer::accepted(request.socket);
            answerCall();
            return;
        }
        ScriptedServer::handshake(request);
    });

    HttpUpstream upstream(httpConfig(QStringLiteral("sampling"), server.url()));
    UpstreamRequestOptions options;
    options.timeout = std::chrono::seconds(10);
    const auto answer = ask(upstream, QStringLiteral("tools/call"),
                            callParams(QStringLiteral("summarize"), QJsonObject{}), options);
    QTRY_COMPARE_WITH_TIMEOUT(answer->calls, 1, answerTimeoutMs);
    QVERIFY2(answer->errorMessage().isEmpty(), qPrintable(answer->errorMessage()));
    QVERIFY(getStream);
    const QJsonObject error = refusal.value(u"error").toObject();
    QCOMPARE(error.value(u"code").toInt(), JsonRpcMessage::methodNotFound);
    QVERIFY2(error.value(u"message").toString().contains(u"does not relay"),
             qPrintable(error.value(u"message").toString()));
    QCOMPARE(refusalSession, QByteArray("scripted-session"));
    const QList<SeenRequest> gets = [&] {
        QList<SeenRequest> found;
        for (const SeenRequest &request : server.requests()) {
            if (request.requestLine.startsWith("GET "))
                found.append(request);
        }
        return found;
    }();
    QCOMPARE(gets.size(), 1);
    QCOMPARE(gets[0].headers.value("accept"), QByteArray("text/event-stream"));
    QCOMPARE(gets[0].headers.value("mcp-session-id"), QByteArray("scripted-session"));
}

void TestMcpHttpUpstream::eventStreamWithoutTheResponseFails()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    server.setHandler([](const SeenRequest &request) {
        if (ScriptedServer::handshake(request))
            return;
        ScriptedServer::startStream(request.socket, "text/event-stream");
        request.socket->write("data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\","
                              "\"params\":{\"level\":\"info\",\"data\":\"x\"}}\n\n");
        request.socket->disconnectFromHost();
    });
    HttpUpstream upstream(httpConfig(QStringLiteral("cut"), server.url()));
    const auto answer = ask(upstream, QStringLiteral("tools/list"));
    QTRY_COMPARE_WITH_TIMEOUT(answer->calls, 1, answerTimeoutMs);
    QCOMPARE(answer->errorCode(), JsonRpcMessage::upstreamFailure);
    QCOMPARE(answer->errorMessage(),
             QStringLiteral("upstream cut is unavailable: its event stream ended without the "
                            "response"));
}

void TestMcpHttpUpstream::httpErrorsAreReportedWithTheServersWords()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    server.setHandler([](const SeenRequest &request) {
        if (ScriptedServer::handshake(request))
            return;
        if (request.method() == u"tools/list") {
            ScriptedServer::respond(
                request.socket, "503 Service Unavailable", "application/json",
                R"({"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"maintenance"}})");
            return;
        }
        ScriptedServer::respond(request.socket, "200 OK", "text/html", "<html></html>");
    });
    HttpUpstream upstream(httpConfig(QStringLiteral("broken"), server.url()));
    const auto unavailable = ask(upstream, QStringLiteral("tools/list"));
    const auto html =
        ask(upstream, QStringLiteral("tools/call"), callParams(QStringLiteral("x"), {}));
    QTRY_COMPARE_WITH_TIMEOUT(unavailable->calls, 1, answerTimeoutMs);
    QTRY_COMPARE_WITH_TIMEOUT(html->calls, 1, answerTimeoutMs);
    QCOMPARE(unavailable->errorCode(), JsonRpcMessage::upstreamFailure);
    QCOMPARE(unavailable->errorMessage(),
             QStringLiteral("upstream broken is unavailable: HTTP 503 Service Unavailable: "
                            "maintenance"));
    QCOMPARE(html->errorCode(), JsonRpcMessage::upstreamFailure);
    QVERIFY2(html->errorMessage().contains(u"Content-Type \"text/html\""),
             qPrintable(html->errorMessage()));
    // A failed call does not end the session.
    QVERIFY(upstream.isReady());
    QCOMPARE(server.requestsFor(QStringLiteral("initialize")).size(), 1);
}

void TestMcpHttpUpstream::oversizedAnswersAreRefused()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    server.setHandler([](const SeenRequest &request) {
        if (ScriptedServer::handshake(request))
            return;
        if (request.method() == u"tools/list") {
            // Announced: refused before the body is read.
            request.socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                  "Content-Length: "
                                  + QByteArray::number(HttpUpstream::maxResponseBytes + 1)
                                  + "\r\n\r\n{\"jsonrpc\":\"2.0\",");
            return;
        }
        // Not announced: an event stream that never ends its event.
        ScriptedServer::startStream(request.socket, "text/event-stream");
        request.socket->write("data: \"");
        request.socket->write(QByteArray(HttpUpstream::maxResponseBytes, 'x'));
    });
    HttpUpstream upstream(httpConfig(QStringLiteral("big"), server.url()));
    const QString expected =
        QStringLiteral("upstream big is unavailable: its answer is larger than 16 MiB");
    const auto announced = ask(upstream, QStringLiteral("tools/list"));
    QTRY_COMPARE_WITH_TIMEOUT(announced->calls, 1, answerTimeoutMs);
    QCOMPARE(announced->errorCode(), JsonRpcMessage::upstreamFailure);
    QCOMPARE(announced->errorMessage(), expected);
    const auto streamed =
        ask(upstream, QStringLiteral("tools/call"), callParams(QStringLiteral("x"), {}));
    QTRY_COMPARE_WITH_TIMEOUT(streamed->calls, 1, answerTimeoutMs);
    QCOMPARE(streamed->errorMessage(), expected);
    QTRY_VERIFY_WITH_TIMEOUT(server.disconnects() >= 2, answerTimeoutMs);
}

void TestMcpHttpUpstream::destroyedUpstreamNeverCallsBack()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    server.setHandler([](const SeenRequest &request) { ScriptedServer::handshake(request); });
    auto upstream =
        std::make_unique<HttpUpstream>(httpConfig(QStringLiteral("gone"), server.url()));
    const auto answer = ask(*upstream, QStringLiteral("tools/list"));
    QTRY_COMPARE_WITH_TIMEOUT(server.requestsFor(QStringLiteral("tools/list")).size(), 1,
                              answerTimeoutMs);
    upstream.reset();
    // The closed connection is the sign that the upstream let go of it.
    QTRY_VERIFY_WITH_TIMEOUT(server.disconnects() >= 1, answerTimeoutMs);
    QCOMPARE(answer->calls, 0);
}

namespace {

QJsonObject discoverResult(const QJsonValue &id, const QJsonArray &versions)
{
    return JsonRpcMessage::result(
        id,
        {{QStringLiteral("resultType"), QStringLiteral("complete")},
         {QStringLiteral("supportedVersions"), versions},
         {QStringLiteral("capabilities"), QJsonObject{{QStringLiteral("tools"), QJsonObject{}}}}});
}

QJsonObject requestMeta(const SeenRequest &request)
{
    return request.body.value(QStringLiteral("params"))
        .toObject()
        .value(QStringLiteral("_meta"))
        .toObject();
}

} // namespace

void TestMcpHttpUpstream::modernServerIsSpokenWithoutSession()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    server.setHandler([](const SeenRequest &request) {
        if (request.method() == u"server/discover") {
            ScriptedServer::respondJson(
                request.socket,
                discoverResult(request.id(),
                               {QStringLiteral("2026-07-28"), QStringLiteral("2025-11-25")}));
            return;
        }
        if (request.method() == u"tools/call") {
            ScriptedServer::startStream(request.socket, "text/event-stream");
            request.socket->write(
                "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                "\"params\":{\"progressToken\":\"t-1\",\"progress\":1}}\n\n");
            const QJsonObject result{
                {QStringLiteral("resultType"), QStringLiteral("complete")},
                {QStringLiteral("content"),
                 QJsonArray{QJsonObject{{QStringLiteral("type"), QStringLiteral("text")},
                                        {QStringLiteral("text"), QStringLiteral("done")}}}}};
            request.socket->write("data: "
                                  + QJsonDocument(JsonRpcMessage::result(request.id(), result))
                                        .toJson(QJsonDocument::Compact)
                                  + "\n\n");
            request.socket->disconnectFromHost();
            return;
        }
        ScriptedServer::respondJson(
            request.socket,
            JsonRpcMessage::result(request.id(),
                                   {{QStringLiteral("resultType"), QStringLiteral("complete")},
                                    {QStringLiteral("tools"), QJsonArray{}}}));
    });
    HttpUpstream upstream(httpConfig(QStringLiteral("modern"), server.url()));
    const auto listed = ask(upstream, QStringLiteral("tools/list"));
    QTRY_COMPARE_WITH_TIMEOUT(listed->calls, 1, answerTimeoutMs);
    QVERIFY2(listed->response.contains(QStringLiteral("result")),
             qPrintable(listed->errorMessage()));
    QVERIFY(upstream.isReady());
    QCOMPARE(upstream.protocolVersionInUse(), QByteArray("2026-07-28"));
    QVERIFY(upstream.sessionId().isEmpty());

    auto notifications = std::make_shared<QList<QJsonObject>>();
    UpstreamRequestOptions options;
    options.elevatedToken = "elevated.jwt.token";
    options.onNotification = [notifications](const QJsonObject &n) { notifications->append(n); };
    QJsonObject params = callParams(QStringLiteral("weather \u00e9t\u00e9"), {});
    params.insert(QStringLiteral("_meta"),
                  QJsonObject{{QStringLiteral("progressToken"), QStringLiteral("t-1")},
                              {QStringLiteral("io.modelcontextprotocol/protocolVersion"),
                               QStringLiteral("1999-01-01")}});
    const auto called = ask(upstream, QStringLiteral("tools/call"), params, options);
    QTRY_COMPARE_WITH_TIMEOUT(called->calls, 1, answerTimeoutMs);
    QCOMPARE(called->result().value(QStringLiteral("content")).toArray().size(), 1);
    QCOMPARE(notifications->size(), 1);

    // No initialize, no GET stream, no session: every request carries the
    // version, the method and the name in headers and the _meta envelope.
    QVERIFY(server.requestsFor(QStringLiteral("initialize")).isEmpty());
    for (const SeenRequest &request : server.requests()) {
        QVERIFY2(request.requestLine.startsWith("POST "), request.requestLine.constData());
        QVERIFY(!request.headers.contains("mcp-session-id"));
        QCOMPARE(request.headers.value("mcp-protocol-version"), QByteArray("2026-07-28"));
        QCOMPARE(request.headers.value("mcp-method"), request.method().toLatin1());
        const QJsonObject meta = requestMeta(request);
        QCOMPARE(meta.value(QStringLiteral("io.modelcontextprotocol/protocolVersion")).toString(),
                 QStringLiteral("2026-07-28"));
        QVERIFY(
            meta.value(QStringLiteral("io.modelcontextprotocol/clientCapabilities")).isObject());
        QCOMPARE(meta.value(QStringLiteral("io.modelcontextprotocol/clientInfo"))
                     .toObject()
                     .value(QStringLiteral("name"))
                     .toString(),
                 QStringLiteral("countersign-gateway"));
    }
    QCOMPARE(server.requestsFor(QStringLiteral("server/discover")).size(), 1);
    const SeenRequest call = server.requestsFor(QStringLiteral("tools/call")).constFirst();
    // A name that is not plain ASCII goes in the Base64 sentinel form.
    QCOMPARE(call.headers.value("mcp-name"),
             QByteArray("=?base64?") + QStringLiteral("weather \u00e9t\u00e9").toUtf8().toBase64()
                 + "?=");
    QCOMPARE(call.headers.value("authorization"), QByteArray("Bearer elevated.jwt.token"));
    QCOMPARE(requestMeta(call).value(QStringLiteral("progressToken")).toString(),
             QStringLiteral("t-1"));
    // Log messages are asked for when someone listens (the proxy filters).
    QCOMPARE(requestMeta(call).value(QStringLiteral("io.modelcontextprotocol/logLevel")).toString(),
             QStringLiteral("debug"));
    QVERIFY(!server.requestsFor(QStringLiteral("tools/list"))
                 .constFirst()
                 .headers.contains("mcp-name"));
}

void TestMcpHttpUpstream::modernInputRequiredIsRefusedAtOnce()
{
    ScriptedServer server;
    QVERIFY(server.listen());
    server.setHandler([](const SeenRequest &request) {
        if (request.method() == u"server/discover") {
            ScriptedServer::respondJson(
                request.socket, discoverResult(request.id(), {QStringLiteral("2026-07-28")}));
            return;
        }
        const QJsonObject elicit{
            {QStringLiteral("method"), QStringLiteral("elicitation/create")},
            {QStringLiteral("params"),
             QJsonObject{{QStringLiteral("mode"), QStringLiteral("form")},
                         {QStringLiteral("message"), QStringLiteral("Your name?")}}}};
        const QString type = request.method() == u"tools/call" ? QStringLiteral("input_required")
                                                               : QStringLiteral("paused");
        ScriptedServer::respondJson(
            request.socket,
            JsonRpcMessage::result(
                request.id(),
                {{QStringLiteral("resultType"), type},
                 {QStringLiteral("inputRequests"), QJsonObject{{QStringLiteral("who"), elicit}}},
                 {QStringLiteral("requestState"), QStringLiteral("opaque")}}));
    });
    HttpUpstream upstream(httpConfig(QStringLiteral("asking"), server.url()));
    const auto answer =
        ask(upstream, QStringLiteral("tools/call"), callParams(QStringLiteral("greet"), {}));
    QTRY_COMPARE_WITH_TIMEOUT(answer->calls, 1, answerTimeoutMs);
    QCOMPARE(answer->errorCode(), JsonRpcMessage::upstreamFailure);
    QVERIFY2(answer->errorMessage().startsWith(
                 u"upstream asking asked the agent for input (elicitation/create), and "
                 u"countersign-gateway does not relay an upstream's input requests"),
             qPrintable(answer->errorMessage()));
    const auto unknown = ask(upstream, QStringLiteral("prompts/get"),
                             {{QStringLiteral("name"), QStringLiteral("p")}});
    QTRY_COMPARE_WITH_TIMEOUT(unknown->calls, 1, answerTimeoutMs);
    QCOMPARE(unknown->errorMessage(),
             QStringLiteral("upstream asking answered with resultType \"paused\", which the "
                            "gateway does not know"));
}

void TestMcpHttpUpstream::modernToolParametersAreMirroredIntoHeaders()
{
    // A modern server whose tools declare x-mcp-header parameters: one
    // valid, one whose annotation hides under items (invalid, so it must not
    // be listed), one with a number (invalid type).
    const QJsonObject valid = QJsonDocument::fromJson(R"({
        "name": "execute_sql",
        "inputSchema": {"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "target": {"type": "object", "properties": {
                "shard": {"type": "integer", "x-mcp-header": "Shard"}}},
            "query": {"type": "string"}}}})")
                                  .object();
    const QJsonObject underItems = QJsonDocument::fromJson(R"({
        "name": "batch",
        "inputSchema": {"type": "object", "properties": {
            "jobs": {"type": "array", "items": {"type": "object", "properties": {
                "region": {"type": "string", "x-mcp-header": "Region"}}}}}}})")
                                       .object();
    const QJsonObject number = QJsonDocument::fromJson(R"({
        "name": "scale",
        "inputSchema": {"type": "object", "properties": {
            "factor": {"type": "number", "x-mcp-header": "Factor"}}}})")
                                   .object();
    ScriptedServer server;
    QVERIFY(server.listen());
    server.setHandler([&](const SeenRequest &request) {
        if (request.method() == u"server/discover") {
            ScriptedServer::respondJson(
                request.socket, discoverResult(request.id(), {QStringLiteral("2026-07-28")}));
            return;
        }
        const QJsonObject result = request.method() == u"tools/list"
            ? QJsonObject{{QStringLiteral("resultType"), QStringLiteral("complete")},
                          {QStringLiteral("tools"), QJsonArray{valid, underItems, number}}}
            : QJsonObject{{QStringLiteral("resultType"), QStringLiteral("complete")},
                          {QStringLiteral("content"), QJsonArray{}}};
        ScriptedServer::respondJson(request.socket, JsonRpcMessage::result(request.id(), result));
    });
    HttpUpstream upstream(httpConfig(QStringLiteral("spanner"), server.url()));

    // Before any list the gateway knows no schema: the call goes without.
    const auto early = ask(upstream, QStringLiteral("tools/call"),
                           callParams(QStringLiteral("execute_sql"),
                                      {{QStringLiteral("region"), QStringLiteral("us-west1")}}));
    QTRY_COMPARE_WITH_TIMEOUT(early->calls, 1, answerTimeoutMs);
    QVERIFY(!server.requestsFor(QStringLiteral("tools/call"))
                 .constLast()
                 .headers.contains("mcp-param-region"));

    QTest::ignoreMessage(
        QtWarningMsg,
        QRegularExpression(QStringLiteral("upstream spanner tool batch left out of "
                                          "tools/list: invalid x-mcp-header: .*"
                                          "not on a property reachable")));
    QTest::ignoreMessage(
        QtWarningMsg,
        QRegularExpression(QStringLiteral("upstream spanner tool scale left out of "
                                          "tools/list: invalid x-mcp-header: .*"
                                          "not integer, string or boolean")));
    const auto listed = ask(upstream, QStringLiteral("tools/list"));
    QTRY_COMPARE_WITH_TIMEOUT(listed->calls, 1, answerTimeoutMs);
    const QJsonArray tools = listed->result().value(QStringLiteral("tools")).toArray();
    QCOMPARE(tools.size(), 1);
    QCOMPARE(tools.at(0).toObject().value(QStringLiteral("name")).toString(),
             QStringLiteral("execute_sql"));

    const auto called =
        ask(upstream, QStringLiteral("tools/call"),
            callParams(QStringLiteral("execute_sql"),
                       {{QStringLiteral("region"), QStringLiteral("Z\u00fcrich")},
                        {QStringLiteral("target"), QJsonObject{{QStringLiteral("shard"), 42}}},
                        {QStringLiteral("query"), QStringLiteral("SELECT 1")}}));
    QTRY_COMPARE_WITH_TIMEOUT(called->calls, 1, answerTimeoutMs);
    QVERIFY2(called->response.contains(QStringLiteral("result")),
             qPrintable(called->errorMessage()));
    const SeenRequest call = server.requestsFor(QStringLiteral("tools/call")).constLast();
    QCOMPARE(call.headers.value("mcp-param-region"),
             QByteArray("=?base64?") + QStringLiteral("Z\u00fcrich").toUtf8().toBase64() + "?=");
    QCOMPARE(call.headers.value("mcp-param-shard"), QByteArray("42"));

    // An absent value sends no header.
    const auto bare = ask(upstream, QStringLiteral("tools/call"),
                          callParams(QStringLiteral("execute_sql"),
                                     {{QStringLiteral("query"), QStringLiteral("SELECT 1")}}));
    QTRY_COMPARE_WITH_TIMEOUT(bare->calls, 1, answerTimeoutMs);
    const SeenRequest bareCall = server.requestsFor(QStringLiteral("tools/call")).constLast();
    QVERIFY(!bareCall.headers.contains("mcp-param-region"));
    QVERIFY(!bareCall.headers.contains("mcp-param-shard"));

    // A value a header cannot carry is refused by the gateway, not sent.
    const qsizetype sent = server.requestsFor(QStringLiteral("tools/call")).size();
    const auto fractional =
        ask(upstream, QStringLiteral("tools/call"),
            callParams(QStringLiteral("execute_sql"),
                       {{QStringLiteral("target"), QJsonObject{{QStringLiteral("shard"), 1.5}}}}));
    QTRY_COMPARE_WITH_TIMEOUT(fractional->calls, 1, answerTimeoutMs);
    QCOMPARE(fractional->errorCode(), JsonRpcMessage::invalidParams);
    QVERIFY2(fractional->errorMessage().contains(u"Mcp-Param-Shard"),
             qPrintable(fractional->errorMessage()));
    QCOMPARE(server.requestsFor(QStringLiteral("tools/call")).size(), sent);
}

// A call before the gateway listed the tools (after a restart, say) goes
// without Mcp-Param-* headers; the server refuses it with HeaderMismatch,
// and the gateway lists the tools and sends the call once more, with them.
// A server that keeps refusing gets no third try.
void TestMcpHttpUpstream::headerMismatchListsTheToolsAndSendsTheCallOnceMore()
{
    const QJsonObject tool = QJsonDocument::fromJson(R"({
        "name": "execute_sql",
        "inputSchema": {"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"}}}})")
                                 .object();
    bool alwaysRefuse = false;
    ScriptedServer server;
    QVERIFY(server.listen());
    server.setHandler([&](const SeenRequest &request) {
        if (request.method() == u"server/discover") {
            ScriptedServer::respondJson(
                request.socket, discoverResult(request.id(), {QStringLiteral("2026-07-28")}));
            return;
        }
        if (request.method() == u"tools/list") {
            ScriptedServer::respondJson(
                request.socket,
                JsonRpcMessage::result(request.id(),
                                       {{QStringLiteral("resultType"), QStringLiteral("complete")},
                                        {QStringLiteral("tools"), QJsonArray{tool}}}));
            return;
        }
        if (alwaysRefuse || request.headers.value("mcp-param-region") != "us-west1") {
            ScriptedServer::respond(
                request.socket, "400 Bad Request", "application/json",
                QJsonDocument(
                    JsonRpcMessage::error(request.id(), -32020,
                                          QStringLiteral("Header mismatch: Mcp-Param-Region")))
                    .toJson(QJsonDocument::Compact));
            return;
        }
        ScriptedServer::respondJson(
            request.socket,
            JsonRpcMessage::result(request.id(),
                                   {{QStringLiteral("resultType"), QStringLiteral("complete")},
                                    {QStringLiteral("content"), QJsonArray{}}}));
    });
    HttpUpstream upstream(httpConfig(QStringLiteral("spanner"), server.url()));
    const QJsonObject params = callParams(QStringLiteral("execute_sql"),
                                          {{QStringLiteral("region"), QStringLiteral("us-west1")}});
    const auto called = ask(upstream, QStringLiteral("tools/call"), params);
    QTRY_COMPARE_WITH_TIMEOUT(called->calls, 1, answerTimeoutMs);
    QVERIFY2(called->response.contains(QStringLiteral("result")),
             qPrintable(called->errorMessage()));
    QCOMPARE(server.requestsFor(QStringLiteral("tools/list")).size(), 1);
    const QList<SeenRequest> calls = server.requestsFor(QStringLiteral("tools/call"));
    QCOMPARE(calls.size(), 2);
    QVERIFY(!calls.at(0).headers.contains("mcp-param-region"));
    QCOMPARE(calls.at(1).headers.value("mcp-param-region"), QByteArray("us-west1"));

    alwaysRefuse = true;
    const auto refused = ask(upstream, QStringLiteral("tools/call"), params);
    QTRY_COMPARE_WITH_TIMEOUT(refused->calls, 1, answerTimeoutMs);
    QCOMPARE(refused->errorCode(), JsonRpcMessage::upstreamFailure);
    QCOMPARE(server.requestsFor(QStringLiteral("tools/list")).size(), 2);
    QCOMPARE(server.requestsFor(QStringLiteral("tools/call")).size(), 4);
}

void TestMcpHttpUpstream::olderServersFallBackToInitialize_data()
{
    QTest::addColumn<QByteArray>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("400 not initialized")
        << QByteArray("400 Bad Request")
        << QByteArray(
               R"({"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: Server not initialized"},"id":null})");
    QTest::newRow("200 method not found")
        << QByteArray("200 OK")
        << QByteArray(
               R"({"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}})");
    QTest::newRow("404 text") << QByteArray("404 Not Found") << QByteArray("no such thing");
    QTest::newRow("405 empty") << QByteArray("405 Method Not Allowed") << QByteArray();
}

void TestMcpHttpUpstream::olderServersFallBackToInitialize()
{
    QFETCH(QByteArray, status);
    QFETCH(QByteArray, body);
    ScriptedServer server;
    QVERIFY(server.listen());
    server.setHandler([status, body](const SeenRequest &request) {
        if (request.method() == u"server/discover") {
            ScriptedServer::respond(request.socket, status,
                                    body.startsWith('{') ? "application/json" : "text/plain", body);
            return;
        }
        if (ScriptedServer::handshake(request))
            return;
        if (request.requestLine.startsWith("GET ")) {
            ScriptedServer::respond(request.socket, "405 Method Not Allowed", {}, {});
            return;
        }
        ScriptedServer::respondJson(
            request.socket,
            JsonRpcMessage::result(request.id(), {{QStringLiteral("tools"), QJsonArray{}}}));
    });
    HttpUpstream upstream(httpConfig(QStringLiteral("older"), server.url()));
    for (int round = 0; round < 2; ++round) {
        const auto answer = ask(upstream, QStringLiteral("tools/list"));
        QTRY_COMPARE_WITH_TIMEOUT(answer->calls, 1, answerTimeoutMs);
        QVERIFY2(answer->response.contains(QStringLiteral("result")),
                 qPrintable(answer->errorMessage()));
    }
    QCOMPARE(upstream.protocolVersionInUse(), QByteArray("2025-06-18"));
    QCOMPARE(upstream.sessionId(), QByteArray("scripted-session"));
    // Asked once: the era is the server's, not the request's.
    QCOMPARE(server.requestsFor(QStringLiteral("server/discover")).size(), 1);
    QCOMPARE(server.requestsFor(QStringLiteral("initialize")).size(), 1);
    const SeenRequest listed = server.requestsFor(QStringLiteral("tools/list")).constLast();
    QCOMPARE(listed.headers.value("mcp-session-id"), QByteArray("scripted-session"));
    QVERIFY(
        !requestMeta(listed).contains(QStringLiteral("io.modelcontextprotocol/protocolVersion")));
}

void TestMcpHttpUpstream::badDiscoverAnswersFailClearly_data()
{
    QTest::addColumn<QByteArray>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("expected");
    QTest::newRow("invalid JSON") << QByteArray("200 OK")
                                  << QByteArray("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{")
                                  << QStringLiteral("it answered with malformed JSON-RPC");
    QTest::newRow("no 2026-07-28")
        << QByteArray("200 OK")
        << QByteArray(
               R"({"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","supportedVersions":["2099-01-01"],"capabilities":{}}})")
        << QStringLiteral("it speaks MCP \"2099-01-01\", and the gateway speaks 2026-07-28");
    QTest::newRow("versions not a list")
        << QByteArray("200 OK")
        << QByteArray(R"({"jsonrpc":"2.0","id":1,"result":{"supportedVersions":"2026-07-28"}})")
        << QStringLiteral("its answer to server/discover is malformed: supportedVersions is not a "
                          "list");
    QTest::newRow("versions not strings")
        << QByteArray("200 OK")
        << QByteArray(R"({"jsonrpc":"2.0","id":1,"result":{"supportedVersions":[20260728]}})")
        << QStringLiteral("its answer to server/discover is malformed: supportedVersions holds "
                          "something that is not a version");
    QByteArray many = R"({"jsonrpc":"2.0","id":1,"result":{"supportedVersions":[)";
    for (int i = 0; i < 33; ++i)
        many += (i == 0 ? "" : ",") + QByteArray("\"2026-07-28\"");
    many += "]}}";
    QTest::newRow("too many versions")
        << QByteArray("200 OK") << many
        << QStringLiteral("its answer to server/discover is malformed: supportedVersions lists "
                          "33 versions (1 to 32 expected)");
    QTest::newRow("unsupported version")
        << QByteArray("400 Bad Request")
        << QByteArray(
               R"({"jsonrpc":"2.0","id":1,"error":{"code":-32022,"message":"Unsupported protocol version","data":{"supported":["2027-01-01"],"requested":"2026-07-28"}}})")
        << QStringLiteral("it does not support MCP 2026-07-28; it supports \"2027-01-01\"");
    QTest::newRow("header mismatch")
        << QByteArray("400 Bad Request")
        << QByteArray(
               R"({"jsonrpc":"2.0","id":null,"error":{"code":-32020,"message":"Header mismatch"}})")
        << QStringLiteral("it refused server/discover (-32020): Header mismatch");
    QTest::newRow("huge") << QByteArray("200 OK")
                          << QByteArray(R"({"jsonrpc":"2.0","id":1,"result":{"x":")")
            + QByteArray(HttpUpstream::maxResponseBytes, 'x') + QByteArray(R"("}})")
                          << QStringLiteral("its answer is larger than 16 MiB");
}

void TestMcpHttpUpstream::badDiscoverAnswersFailClearly()
{
    QFETCH(QByteArray, status);
    QFETCH(QByteArray, body);
    QFETCH(QString, expected);
    ScriptedServer server;
    QVERIFY(server.listen());
    server.setHandler([status, body](const SeenRequest &request) {
        // The id the gateway chose, wherever the scripted body names 1.
        QByteArray answer = body;
        const QByteArray id = "\"id\":" + QByteArray::number(request.id().toInteger()) + ",";
        answer.replace(QByteArrayView("\"id\":1,"), QByteArrayView(id));
        ScriptedServer::respond(request.socket, status, "application/json", answer);
    });
    HttpUpstream upstream(httpConfig(QStringLiteral("odd"), server.url()));
    for (int round = 0; round < 2; ++round) {
        const auto answer = ask(upstream, QStringLiteral("tools/list"));
        QTRY_COMPARE_WITH_TIMEOUT(answer->calls, 1, answerTimeoutMs);
        QCOMPARE(answer->errorCode(), JsonRpcMessage::upstreamFailure);
        QVERIFY2(answer->errorMessage().startsWith(u"upstream odd is unavailable: " + expected),
                 qPrintable(answer->errorMessage()));
        QVERIFY(!upstream.isReady());
    }
    // Nothing is known after a broken answer: each request asks again, and
    // a modern server is never sent initialize.
    QTRY_COMPARE_WITH_TIMEOUT(server.requestsFor(QStringLiteral("server/discover")).size(), 2,
                              answerTimeoutMs);
    QVERIFY(server.requestsFor(QStringLiteral("initialize")).isEmpty());
    QVERIFY(server.requestsFor(QStringLiteral("tools/list")).isEmpty());
}

QTEST_GUILESS_MAIN(TestMcpHttpUpstream)
#include "test_mcp_httpupstream.moc"
