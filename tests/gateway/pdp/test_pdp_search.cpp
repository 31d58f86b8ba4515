#include "gateway/pdp/authzensearch.h"
#include "gateway/pdp/policydecisionpoint.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

// The AuthZEN Search APIs on a small hand-built directory and a policy of
// subject_id / resource_id / action globs: candidates come from the
// directory, each is decided by the PDP, results keep directory order, and
// pages are bounded, resumable and refuse tampering.
class TestPdpSearch : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void subjectSearch();
    void resourceSearch();
    void actionSearch();
    void stepUpIsNotAPermit();
    void searchedIdIsIgnored();
    void requestPropertiesAreKept();
    void unknownTypeFindsNothing();
    void resultsAreTypeThenId();
    void resultsAreEscapedJson();
    void pagesWalkTheWholeResultSet();
    void candidatesPerRequestAreBounded();
    void tamperedTokensAreRefused_data();
    void tamperedTokensAreRefused();
    void tokenIsBoundToTheRequest();
    void malformedRequests_data();
    void malformedRequests();

private:
    QJsonObject search(SearchKind kind, const char *json, const SearchLimits &limits = {});
    static QStringList ids(const QJsonObject &response);

    PolicyDecisionPoint m_pdp;
};

namespace {

QStringList names(std::initializer_list<const char *> list)
{
    QStringList result;
    for (const char *name : list)
        result.append(QString::fromUtf8(name));
    return result;
}

QJsonObject object(const QByteArray &json)
{
    const QJsonDocument document = QJsonDocument::fromJson(json);
    Q_ASSERT(document.isObject());
    return document.object();
}

const QByteArray policyYaml = R"(rules:
  - name: alice-views-all
    match: {action: view, subject_id: alice}
    effect: allow
  - name: bob-views-1xx
    match: {action: view, subject_id: bob, resource_id: "1*"}
    effect: allow
  - name: carol-edits-102
    match: {action: edit, subject_id: carol, resource_id: "102"}
    effect: allow
  - name: legal-views-103
    match: {action: view, resource_id: "103", subject: {department: Legal}}
    effect: allow
  - name: anyone-peeks
    match: {action: peek}
    effect: allow
  - name: alice-deletes-with-approval
    match: {action: delete, subject_id: alice}
    effect: step_up
)";

DirectoryEntity entity(const QString &type, const QString &id)
{
    return DirectoryEntity{type, id, {}};
}

} // namespace

void TestPdpSearch::initTestCase()
{
    auto policy = Policy::parse(policyYaml, QStringLiteral("search.yaml"));
    QVERIFY2(policy.ok(), policy.ok() ? "" : qPrintable(policy.error().message));
    m_pdp.setPolicy(policy.value());
    auto directory = std::make_shared<EntityDirectory>();
    for (const char *id : {"alice", "bob", "carol", "dan"})
        directory->addSubject(entity(QStringLiteral("user"), QString::fromLatin1(id)));
    directory->addSubject(entity(QStringLiteral("service"), QStringLiteral("alice")));
    directory->addSubject(entity(QStringLiteral("odd \"type\""),
                                 QStringLiteral("q\"uote\\back\nline\u0001\u00e9\U0001F600")));
    for (const char *id : {"101", "102", "103", "201"})
        directory->addResource(entity(QStringLiteral("record"), QString::fromLatin1(id)));
    directory->setActions(
        {QStringLiteral("view"), QStringLiteral("edit"), QStringLiteral("delete")});
    m_pdp.setDirectory(directory);
}

QJsonObject TestPdpSearch::search(SearchKind kind, const char *json, const SearchLimits &limits)
{
    auto request = SearchRequest::fromJson(kind, object(json));
    if (!request.ok()) {
        qWarning("%s", qPrintable(request.error().message));
        return {};
    }
    auto answer = AuthzenSearch(m_pdp, limits).search(request.value());
    if (!answer.ok()) {
        qWarning("%s", qPrintable(answer.error().message));
        return {};
    }
    const QJsonDocument document = QJsonDocument::fromJson(answer.value());
    return document.object();
}

QStringList TestPdpSearch::ids(const QJsonObject &response)
{
    QStringList result;
    for (const QJsonValue &item : response.value(QStringLiteral("results")).toArray()) {
        const QJsonObject entity = item.toObject();
        result.append(entity.contains(QStringLiteral("name"))
                          ? entity.value(QStringLiteral("name")).toString()
                          : entity.value(QStringLiteral("id")).toString());
    }
    return result;
}

void TestPdpSearch::subjectSearch()
{
    const QJsonObject response = search(SearchKind::Subject, R"({"subject":{"type":"user"},
        "action":{"name":"view"},"resource":{"type":"record","id":"101"}})");
    QCOMPARE(ids(response), names({"alice", "bob"}));
    const QJsonObject page = response.value(QStringLiteral("page")).toObject();
    QCOMPARE(page.value(QStringLiteral("next_token")).toString(), QString());
    QCOMPARE(page.value(QStringLiteral("count")).toInt(), 2);
    QCOMPARE(ids(search(SearchKind::Subject, R"({"subject":{"type":"user"},
        "action":{"name":"edit"},"resource":{"type":"record","id":"102"}})")),
             names({"carol"}));
}

void TestPdpSearch::resourceSearch()
{
    QCOMPARE(ids(search(SearchKind::Resource, R"({"subject":{"type":"user","id":"bob"},
        "action":{"name":"view"},"resource":{"type":"record"}})")),
             names({"101", "102", "103"}));
    QCOMPARE(ids(search(SearchKind::Resource, R"({"subject":{"type":"user","id":"alice"},
        "action":{"name":"view"},"resource":{"type":"record"}})")),
             names({"101", "102", "103", "201"}));
    QCOMPARE(ids(search(SearchKind::Resource, R"({"subject":{"type":"user","id":"nobody"},
        "action":{"name":"view"},"resource":{"type":"record"}})")),
             QStringList());
}

void TestPdpSearch::actionSearch()
{
    QCOMPARE(ids(search(SearchKind::Action, R"({"subject":{"type":"user","id":"carol"},
        "resource":{"type":"record","id":"102"}})")),
             names({"edit"}));
    // An action sent with an action search is ignored, not a filter.
    QCOMPARE(ids(search(SearchKind::Action, R"({"subject":{"type":"user","id":"bob"},
        "action":{"name":"edit"},"resource":{"type":"record","id":"102"}})")),
             names({"view"}));

    // No actions listed in the directory: nothing to try, nothing found.
    PolicyDecisionPoint bare(m_pdp.policy());
    auto request = SearchRequest::fromJson(SearchKind::Action, object(R"({
        "subject":{"type":"user","id":"alice"},"resource":{"type":"record","id":"101"}})"));
    QVERIFY(request.ok());
    const auto answer = AuthzenSearch(bare).search(request.value());
    QVERIFY(answer.ok());
    QCOMPARE(answer.value(), QByteArray(R"({"page":{"next_token":"","count":0},"results":[]})"));
}

void TestPdpSearch::stepUpIsNotAPermit()
{
    // alice may delete only with a person's approval: decision false, so
    // delete is not among what she may do.
    QCOMPARE(ids(search(SearchKind::Action, R"({"subject":{"type":"user","id":"alice"},
        "resource":{"type":"record","id":"201"}})")),
             names({"view"}));
}

void TestPdpSearch::searchedIdIsIgnored()
{
    QCOMPARE(ids(search(SearchKind::Subject, R"({"subject":{"type":"user","id":"dan"},
        "action":{"name":"view"},"resource":{"type":"record","id":"101"}})")),
             names({"alice", "bob"}));
    QCOMPARE(ids(search(SearchKind::Resource, R"({"subject":{"type":"user","id":"bob"},
        "action":{"name":"view"},"resource":{"type":"record","id":"201"}})")),
             names({"101", "102", "103"}));
}

void TestPdpSearch::requestPropertiesAreKept()
{
    // The request's subject properties go with every candidate.
    QCOMPARE(ids(search(SearchKind::Subject, R"({
        "subject":{"type":"user","properties":{"department":"Legal"}},
        "action":{"name":"view"},"resource":{"type":"record","id":"103"}})")),
             names({"alice", "bob", "carol", "dan"}));
    QCOMPARE(ids(search(SearchKind::Subject, R"({"subject":{"type":"user"},
        "action":{"name":"view"},"resource":{"type":"record","id":"103"}})")),
             names({"alice", "bob"}));
}

void TestPdpSearch::unknownTypeFindsNothing()
{
    const QJsonObject response = search(SearchKind::Subject, R"({"subject":{"type":"robot"},
        "action":{"name":"view"},"resource":{"type":"record","id":"101"}})");
    QCOMPARE(ids(response), QStringList());
    QCOMPARE(response.value(QStringLiteral("page")).toObject().value(QStringLiteral("next_token")),
             QJsonValue(QString()));
}

void TestPdpSearch::resultsAreTypeThenId()
{
    auto request =
        SearchRequest::fromJson(SearchKind::Subject, object(R"({"subject":{"type":"user"},
        "action":{"name":"edit"},"resource":{"type":"record","id":"102"}})"));
    QVERIFY(request.ok());
    const auto answer = AuthzenSearch(m_pdp).search(request.value());
    QVERIFY(answer.ok());
    QCOMPARE(answer.value(),
             QByteArray(R"({"page":{"next_token":"","count":1},)"
                        R"("results":[{"type":"user","id":"carol"}]})"));
}

void TestPdpSearch::resultsAreEscapedJson()
{
    // Quotes, backslashes, control characters and non-ASCII in a type and an
    // id come back as valid JSON with the same text.
    auto request = SearchRequest::fromJson(SearchKind::Subject, object(R"({
        "subject":{"type":"odd \"type\""},"action":{"name":"peek"},
        "resource":{"type":"record","id":"101"}})"));
    QVERIFY(request.ok());
    const auto answer = AuthzenSearch(m_pdp).search(request.value());
    QVERIFY(answer.ok());
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(answer.value(), &error);
    QVERIFY2(error.error == QJsonParseError::NoError, answer.value().constData());
    const QJsonArray results = document.object().value(QStringLiteral("results")).toArray();
    QCOMPARE(results.size(), 1);
    QCOMPARE(results.at(0).toObject().value(QStringLiteral("type")).toString(),
             QStringLiteral("odd \"type\""));
    QCOMPARE(results.at(0).toObject().value(QStringLiteral("id")).toString(),
             QStringLiteral("q\"uote\\back\nline\u0001\u00e9\U0001F600"));
}

void TestPdpSearch::pagesWalkTheWholeResultSet()
{
    const QByteArray first = R"({"subject":{"type":"user","id":"alice"},
        "action":{"name":"view"},"resource":{"type":"record"},"page":{"limit":3}})";
    QJsonObject response = search(SearchKind::Resource, first.constData());
    QCOMPARE(ids(response), names({"101", "102", "103"}));
    QJsonObject page = response.value(QStringLiteral("page")).toObject();
    QCOMPARE(page.value(QStringLiteral("count")).toInt(), 3);
    const QString token = page.value(QStringLiteral("next_token")).toString();
    QVERIFY(!token.isEmpty());
    // Deterministic: the same request, the same token.
    QCOMPARE(search(SearchKind::Resource, first.constData())
                 .value(QStringLiteral("page"))
                 .toObject()
                 .value(QStringLiteral("next_token"))
                 .toString(),
             token);

    QJsonObject next = object(first);
    next.insert(QStringLiteral("page"),
                QJsonObject{{QStringLiteral("limit"), 3}, {QStringLiteral("token"), token}});
    response = search(SearchKind::Resource, QJsonDocument(next).toJson().constData());
    QCOMPARE(ids(response), names({"201"}));
    page = response.value(QStringLiteral("page")).toObject();
    QCOMPARE(page.value(QStringLiteral("next_token")).toString(), QString());
    QCOMPARE(page.value(QStringLiteral("count")).toInt(), 1);

    // A limit above the maximum is lowered to it.
    SearchLimits small;
    small.maxPageSize = 2;
    QCOMPARE(ids(search(SearchKind::Resource, R"({"subject":{"type":"user","id":"alice"},
        "action":{"name":"view"},"resource":{"type":"record"},"page":{"limit":50}})",
                        small)),
             names({"101", "102"}));
}

void TestPdpSearch::candidatesPerRequestAreBounded()
{
    // Two decisions per request: carol edits 102 only; 101 and 102 are
    // tried, then the bound ends the page (not full) with a token.
    SearchLimits bounded;
    bounded.maxCandidatesPerRequest = 2;
    const char *query = R"({"subject":{"type":"user","id":"carol"},
        "action":{"name":"edit"},"resource":{"type":"record"}})";
    QJsonObject response = search(SearchKind::Resource, query, bounded);
    QCOMPARE(ids(response), names({"102"}));
    QString token = response.value(QStringLiteral("page"))
                        .toObject()
                        .value(QStringLiteral("next_token"))
                        .toString();
    QVERIFY(!token.isEmpty());
    QJsonObject next = object(query);
    next.insert(QStringLiteral("page"), QJsonObject{{QStringLiteral("token"), token}});
    response = search(SearchKind::Resource, QJsonDocument(next).toJson().constData(), bounded);
    // 103 and 201 tried, neither permitted, and no candidate is left.
    QCOMPARE(ids(response), QStringList());
    QCOMPARE(response.value(QStringLiteral("page"))
                 .toObject()
                 .value(QStringLiteral("next_token"))
                 .toString(),
             QString());
}

void TestPdpSearch::tamperedTokensAreRefused_data()
{
    QTest::addColumn<QString>("token");
    QTest::newRow("not base64url") << QStringLiteral("!!!!");
    QTest::newRow("too short") << QStringLiteral("AQAAAAE");
    QTest::newRow("too long") << QString(200, u'A');
    QTest::newRow("right length, wrong digest") << QStringLiteral("AQAAAAEAAAAAAAAAAAAAAAAAAAAA");
    QTest::newRow("non-ASCII") << QStringLiteral("AQAAAAEAAAAAAAAAAAAAAAAAAA\u00e9");
}

void TestPdpSearch::tamperedTokensAreRefused()
{
    QFETCH(QString, token);
    QJsonObject body = object(R"({"subject":{"type":"user","id":"alice"},
        "action":{"name":"view"},"resource":{"type":"record"}})");
    body.insert(QStringLiteral("page"), QJsonObject{{QStringLiteral("token"), token}});
    auto request = SearchRequest::fromJson(SearchKind::Resource, body);
    QVERIFY(request.ok());
    const auto answer = AuthzenSearch(m_pdp).search(request.value());
    QVERIFY(!answer.ok());
    QCOMPARE(answer.error().code, ErrorCode::InvalidField);
    QVERIFY(answer.error().message.startsWith(u"page.token "));

    // Every single-character change of a real token is refused too.
    body.insert(QStringLiteral("page"), QJsonObject{{QStringLiteral("limit"), 1}});
    const auto first =
        AuthzenSearch(m_pdp).search(SearchRequest::fromJson(SearchKind::Resource, body).value());
    QVERIFY(first.ok());
    const QString real = QJsonDocument::fromJson(first.value())
                             .object()
                             .value(QStringLiteral("page"))
                             .toObject()
                             .value(QStringLiteral("next_token"))
                             .toString();
    QVERIFY(!real.isEmpty());
    for (qsizetype i = 0; i < real.size(); ++i) {
        QString changed = real;
        changed[i] = real.at(i) == u'A' ? u'B' : u'A';
        body.insert(QStringLiteral("page"),
                    QJsonObject{{QStringLiteral("limit"), 1}, {QStringLiteral("token"), changed}});
        const auto answer2 = AuthzenSearch(m_pdp).search(
            SearchRequest::fromJson(SearchKind::Resource, body).value());
        QVERIFY2(!answer2.ok(), qPrintable(changed));
    }
}

void TestPdpSearch::tokenIsBoundToTheRequest()
{
    QJsonObject body = object(R"({"subject":{"type":"user","id":"alice"},
        "action":{"name":"view"},"resource":{"type":"record"},"page":{"limit":1}})");
    const auto first =
        AuthzenSearch(m_pdp).search(SearchRequest::fromJson(SearchKind::Resource, body).value());
    QVERIFY(first.ok());
    const QString token = QJsonDocument::fromJson(first.value())
                              .object()
                              .value(QStringLiteral("page"))
                              .toObject()
                              .value(QStringLiteral("next_token"))
                              .toString();
    QVERIFY(!token.isEmpty());
    const auto resume = [&](QJsonObject changed, qint64 limit) {
        changed.insert(
            QStringLiteral("page"),
            QJsonObject{{QStringLiteral("limit"), limit}, {QStringLiteral("token"), token}});
        return AuthzenSearch(m_pdp).search(
            SearchRequest::fromJson(SearchKind::Resource, changed).value());
    };
    QVERIFY(resume(body, 1).ok());
    QVERIFY(!resume(body, 2).ok()); // another limit
    QJsonObject otherSubject = body;
    otherSubject.insert(QStringLiteral("subject"),
                        QJsonObject{{QStringLiteral("type"), QStringLiteral("user")},
                                    {QStringLiteral("id"), QStringLiteral("bob")}});
    QVERIFY(!resume(otherSubject, 1).ok());
    QJsonObject withContext = body;
    withContext.insert(QStringLiteral("context"), QJsonObject{{QStringLiteral("x"), 1}});
    QVERIFY(!resume(withContext, 1).ok());
    // The same token on another search kind is not valid either.
    QJsonObject asSubjectSearch = body;
    asSubjectSearch.insert(QStringLiteral("resource"),
                           QJsonObject{{QStringLiteral("type"), QStringLiteral("record")},
                                       {QStringLiteral("id"), QStringLiteral("101")}});
    asSubjectSearch.insert(
        QStringLiteral("page"),
        QJsonObject{{QStringLiteral("limit"), 1}, {QStringLiteral("token"), token}});
    QVERIFY(!AuthzenSearch(m_pdp)
                 .search(SearchRequest::fromJson(SearchKind::Subject, asSubjectSearch).value())
                 .ok());
}

void TestPdpSearch::malformedRequests_data()
{
    QTest::addColumn<int>("kind");
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("message");
    const int subject = int(SearchKind::Subject);
    const int resource = int(SearchKind::Resource);
    const int action = int(SearchKind::Action);
    QTest::newRow("subject search without subject type")
        << subject
        << QByteArray(R"({"subject":{},"action":{"name":"v"},"resource":{"type":"r","id":"1"}})")
        << QStringLiteral("subject.type is missing");
    QTest::newRow("subject search without action")
        << subject << QByteArray(R"({"subject":{"type":"user"},"resource":{"type":"r","id":"1"}})")
        << QStringLiteral("action is missing");
    QTest::newRow("subject search without resource id")
        << subject << QByteArray(R"({"subject":{"type":"user"},"action":{"name":"v"},
                                     "resource":{"type":"r"}})")
        << QStringLiteral("resource.id is missing");
    QTest::newRow("resource search without subject id")
        << resource << QByteArray(R"({"subject":{"type":"user"},"action":{"name":"v"},
                                      "resource":{"type":"r"}})")
        << QStringLiteral("subject.id is missing");
    QTest::newRow("resource search without resource")
        << resource << QByteArray(R"({"subject":{"type":"user","id":"a"},"action":{"name":"v"}})")
        << QStringLiteral("resource is missing");
    QTest::newRow("action search without resource id")
        << action << QByteArray(R"({"subject":{"type":"user","id":"a"},"resource":{"type":"r"}})")
        << QStringLiteral("resource.id is missing");
    const QByteArray valid = R"({"subject":{"type":"user","id":"a"},"action":{"name":"v"},
                                 "resource":{"type":"r"},)";
    QTest::newRow("page not an object")
        << resource << valid + R"("page":[]})" << QStringLiteral("page must be an object");
    QTest::newRow("token not a string") << resource << valid + R"("page":{"token":5}})"
                                        << QStringLiteral("page.token must be a string");
    QTest::newRow("limit zero") << resource << valid + R"("page":{"limit":0}})"
                                << QStringLiteral("page.limit must be a positive integer");
    QTest::newRow("limit negative") << resource << valid + R"("page":{"limit":-3}})"
                                    << QStringLiteral("page.limit must be a positive integer");
    QTest::newRow("limit fractional") << resource << valid + R"("page":{"limit":1.5}})"
                                      << QStringLiteral("page.limit must be a positive integer");
    QTest::newRow("limit a string") << resource << valid + R"("page":{"limit":"10"}})"
                                    << QStringLiteral("page.limit must be a positive integer");
    QTest::newRow("context not an object")
        << resource << valid + R"("context":[]})" << QStringLiteral("context must be an object");
}

void TestPdpSearch::malformedRequests()
{
    QFETCH(int, kind);
    QFETCH(QByteArray, json);
    QFETCH(QString, message);
    const auto request = SearchRequest::fromJson(static_cast<SearchKind>(kind), object(json));
    QVERIFY(!request.ok());
    QCOMPARE(request.error().message, message);
}

QTEST_GUILESS_MAIN(TestPdpSearch)
#include "test_pdp_search.moc"
