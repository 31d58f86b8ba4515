#include "gateway/cli/commandcontext.h"
#include "gateway/store/auditverifier.h"
#include "gateway/store/sqlitestore.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace countersign::gateway {

namespace {

// One record of `audit export`: the stored fields, hashes in lowercase hex
// (null for records written before schema 4, which are not chained).
QJsonObject exportLine(const AuditEvent &event)
{
    const auto hex = [](const QByteArray &bytes) {
        return bytes.isEmpty() ? QJsonValue(QJsonValue::Null)
                               : QJsonValue(QString::fromLatin1(bytes.toHex()));
    };
    return QJsonObject{
        {QStringLiteral("id"), event.id},
        {QStringLiteral("at"), event.at},
        {QStringLiteral("kind"), event.kind},
        {QStringLiteral("user_id"), event.userId},
        {QStringLiteral("request_id"), event.requestId},
        {QStringLiteral("device_id"), event.deviceId},
        {QStringLiteral("details"), event.details},
        {QStringLiteral("prev_hash"), hex(event.prevHash)},
        {QStringLiteral("hash"), hex(event.hash)},
    };
}

int exportRecords(CommandContext &context, const SqliteStore &store, qint64 sinceId)
{
    constexpr int pageSize = 1000;
    QTextStream &out = context.out();
    qint64 after = sinceId;
    for (;;) {
        const auto page = store.readAuditEvents(after, pageSize);
        if (!page)
            return context.fail(page.error().message);
        for (const AuditEvent &event : page.value())
            out << QJsonDocument(exportLine(event)).toJson(QJsonDocument::Compact) << '\n';
        out.flush();
        if (page->size() < pageSize)
            return CommandContext::Success;
        after = page->constLast().id;
    }
}

int verifyRecords(CommandContext &context, const SqliteStore &store)
{
    const auto verified = verifyAuditLog(store);
    if (!verified)
        return context.fail(verified.error().message);
    QTextStream &out = context.out();
    if (!verified->intact()) {
        out << "audit log BROKEN at record " << *verified->badId << ": " << verified->problem
            << "\n"
            << verified->checked << " records verified before it (from anchor id "
            << verified->anchor.id << ").\n";
        out.flush();
        return context.fail(QStringLiteral("the audit log was changed or records were deleted; "
                                           "first bad record: %1")
                                .arg(*verified->badId));
    }
    out << "audit log intact: " << verified->checked << " chained records after anchor id "
        << verified->anchor.id << " (anchor hash " << verified->anchor.hash.toHex() << ")\n"
        << "head: id " << verified->head.id << " hash " << verified->head.hash.toHex() << "\n";
    if (verified->unchained > 0) {
        out << verified->unchained
            << " earlier records were written before the chain existed and are not covered.\n";
    }
    out << "Compare the head with the last 'audit head' line the gateway logged "
           "(countersign.gateway.audit): records deleted from the end show only there.\n";
    out.flush();
    return CommandContext::Success;
}

} // namespace

int runAudit(const QStringList &arguments)
{
    QString named;
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const QString &argument = arguments.at(i);
        if (argument == u"-c" || argument == u"--config" || argument == u"--data-dir"
            || argument == u"--since-id") {
            ++i;
            continue;
        }
        if (!argument.startsWith(u'-')) {
            named = argument;
            break;
        }
    }
    const bool exporting = named == u"export";
    const bool verifying = named == u"verify";
    CommandContext context(
        exporting       ? QStringLiteral("countersign-gateway audit export")
            : verifying ? QStringLiteral("countersign-gateway audit verify")
                        : QStringLiteral("countersign-gateway audit"),
        exporting ? QStringLiteral("Write the audit log to stdout as JSON lines, one record a "
                                   "line, oldest first, with prev_hash and hash in hex.")
            : verifying
            ? QStringLiteral("Check the audit log's hash chain from its anchor; exits 1 naming "
                             "the first record that was changed or is missing.")
            : QStringLiteral("Export or check the audit log:\n"
                             "  audit export [--since-id N]\n"
                             "  audit verify"));
    const QCommandLineOption sinceOption(QStringLiteral("since-id"),
                                         QStringLiteral("Only records after this id."),
                                         QStringLiteral("N"));
    if (!verifying)
        context.parser().addOption(sinceOption);
    if (!exporting && !verifying) {
        context.parser().addPositionalArgument(QStringLiteral("action"),
                                               QStringLiteral("export or verify"));
    }
    if (!context.parse(arguments))
        return context.exitCode();
    const QStringList positional = context.parser().positionalArguments();
    if (positional.size() != 1 || (positional.at(0) != u"export" && positional.at(0) != u"verify"))
        return context.usage(QStringLiteral("say 'audit export' or 'audit verify'"));
    qint64 sinceId = 0;
    if (context.parser().isSet(sinceOption)) {
        bool ok = false;
        sinceId = context.parser().value(sinceOption).toLongLong(&ok);
        if (!ok || sinceId < 0)
            return context.usage(QStringLiteral("--since-id takes a record id (0 or more)"));
    }
    if (!context.loadConfig())
        return context.exitCode();
    auto store = SqliteStore::open(context.dataDir());
    if (!store)
        return context.fail(store.error().message);
    return positional.at(0) == u"export" ? exportRecords(context, **store, sinceId)
                                         : verifyRecords(context, **store);
}

} // namespace countersign::gateway
