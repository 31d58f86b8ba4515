#include "history.h"

#include "app/appid.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QUuid>
#include <QVariant>

Q_LOGGING_CATEGORY(lcHistory, "countersign.app.history")

namespace countersign {

namespace {

const QFileDevice::Permissions privateFile = QFileDevice::ReadOwner | QFileDevice::WriteOwner;

// Version 1. The CHECKs keep rows to what append() writes, so that a row
// read back is one of ours or is skipped.
const char *const createSchema[] = {
    "CREATE TABLE IF NOT EXISTS entries ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " time INTEGER NOT NULL,"
    " gateway_id TEXT NOT NULL,"
    " gateway_name TEXT NOT NULL,"
    " request_id TEXT NOT NULL CHECK (request_id <> ''),"
    " user TEXT NOT NULL,"
    " agent TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " resource TEXT NOT NULL,"
    " outcome TEXT NOT NULL,"
    " method TEXT,"
    " detail TEXT NOT NULL DEFAULT '')",
    "CREATE INDEX IF NOT EXISTS entries_time ON entries (time)",
};

QString cut(const QString &text)
{
    if (text.size() <= History::maxFieldLength)
        return text;
    qsizetype length = History::maxFieldLength;
    if (text.at(length - 1).isHighSurrogate())
        --length; // never half a character
    return text.left(length);
}

HistoryEntry bounded(HistoryEntry entry)
{
    for (QString *field : {&entry.gatewayId, &entry.gatewayName, &entry.requestId, &entry.user,
                           &entry.agent, &entry.action, &entry.resource, &entry.detail})
        *field = cut(*field);
    return entry;
}

std::optional<ApprovalOutcome> outcomeFromName(QStringView name)
{
    if (name == u"unknown")
        return ApprovalOutcome::Unknown;
    return approvalOutcomeFromWire(name);
}

// QtSql binds a null QString as SQL NULL; the text columns are NOT NULL.
QVariant text(const QString &value)
{
    return QVariant(value.isNull() ? QString(QLatin1String("")) : value);
}

Status storageError(const QString &what, const QSqlError &error)
{
    return makeError(ErrorCode::StorageFailure, QStringLiteral("%1: %2").arg(what, error.text()));
}

// A row as append() wrote it, or nothing (the caller counts the skipped).
std::optional<HistoryEntry> entryFromRow(const QSqlQuery &query)
{
    HistoryEntry entry;
    bool ok = false;
    entry.time = query.value(0).toLongLong(&ok);
    if (!ok)
        return std::nullopt;
    QString *const texts[] = {&entry.gatewayId, &entry.gatewayName, &entry.requestId, &entry.user,
                              &entry.agent,     &entry.action,      &entry.resource};
    for (int i = 0; i < 7; ++i) {
        const QVariant value = query.value(i + 1);
        if (value.typeId() != QMetaType::QString)
            return std::nullopt;
        *texts[i] = value.toString();
    }
    const auto outcome = outcomeFromName(query.value(8).toString());
    if (!outcome || entry.requestId.isEmpty())
        return std::nullopt;
    entry.outcome = *outcome;
    if (!query.value(9).isNull()) {
        entry.method = approvalMethodFromName(query.value(9).toString());
        if (!entry.method)
            return std::nullopt;
    }
    entry.detail = query.value(10).toString();
    return bounded(entry);
}

} // namespace

History::History(QString filePath, QObject *parent)
    : QObject(parent)
    , m_filePath(std::move(filePath))
    , m_connectionName(QStringLiteral("countersign-history-")
                       + QUuid::createUuid().toString(QUuid::WithoutBraces))
{
}

History::~History()
{
    close();
}

QString History::defaultFilePath()
{
    // QStandardPaths::AppDataLocation spelt out with the app id's names, so
    // that the place does not depend on what the application object was
    // told.
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return QDir(base).filePath(AppId::organizationName() + u'/' + AppId::applicationName()
                               + QStringLiteral("/history.sqlite"));
}

void History::close()
{
    if (!QSqlDatabase::contains(m_connectionName))
        return;
    {
        QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
        db.close();
    }
    QSqlDatabase::removeDatabase(m_connectionName);
    m_open = false;
}

Status History::open(bool create)
{
    if (m_open)
        return Ok{};
    const QFileInfo info(m_filePath);
    if (info.exists() && !info.isFile())
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("the history %1 is not a file").arg(m_filePath));
    if (!info.exists()) {
        if (!create)
            return Ok{};
        if (!QDir().mkpath(info.absolutePath()))
            return makeError(ErrorCode::StorageFailure,
                             QStringLiteral("cannot create %1").arg(info.absolutePath()));
        // Made private before SQLite writes a byte; its journal and WAL
        // files take the database file's mode.
        QFile file(m_filePath);
        if (!file.open(QIODevice::WriteOnly) || !file.setPermissions(privateFile))
            return makeError(
                ErrorCode::StorageFailure,
                QStringLiteral("cannot create %1: %2").arg(m_filePath, file.errorString()));
    }

    bool notADatabase = false;
    Status prepared = connectAndPrepare(notADatabase);
    if (prepared.ok())
        return prepared;
    close(); // no query or database handle is alive here
    if (notADatabase) {
        // Someone else's file, or a damaged one: keep it for the person to
        // look at, and start afresh.
        const QString aside = m_filePath + QStringLiteral(".unreadable-")
            + QString::number(QDateTime::currentSecsSinceEpoch());
        if (QFile::rename(m_filePath, aside)) {
            qCWarning(lcHistory) << "the history" << m_filePath << "is not a database; moved it to"
                                 << aside;
            m_movedAsidePath = aside;
            return open(create);
        }
    }
    return prepared;
}

Status History::connectAndPrepare(bool &notADatabase)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    db.setDatabaseName(m_filePath);
    if (!db.open())
        return storageError(QStringLiteral("cannot open the history"), db.lastError());
    m_open = true;

    QSqlQuery query(db);
    // WAL with NORMAL sync: a power cut may lose the last entries, never the
    // file; the gateway's audit log is the record of authority.
    for (const char *pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                               "PRAGMA secure_delete=ON", "PRAGMA user_version"}) {
        if (!query.exec(QString::fromLatin1(pragma))) {
            notADatabase = query.lastError().nativeErrorCode() == QLatin1String("26");
            return storageError(QStringLiteral("cannot read the history %1").arg(m_filePath),
                                query.lastError());
        }
    }
    query.next();
    const int version = query.value(0).toInt();
    if (version > schemaVersion) {
        return makeError(ErrorCode::UnsupportedVersion,
                         QStringLiteral("the history %1 was written by a newer Countersign "
                                        "(schema %2); this one reads schema %3")
                             .arg(m_filePath)
                             .arg(version)
                             .arg(schemaVersion));
    }
    if (version == schemaVersion)
        return Ok{};
    if (!db.transaction())
        return storageError(QStringLiteral("cannot create the history"), db.lastError());
    bool ok = true;
    for (const char *statement : createSchema)
        ok = ok && query.exec(QString::fromLatin1(statement));
    ok = ok && query.exec(QStringLiteral("PRAGMA user_version=%1").arg(schemaVersion));
    if (!ok) {
        const Status error =
            storageError(QStringLiteral("cannot create the history"), query.lastError());
        db.rollback();
        return error;
    }
    if (!db.commit())
        return storageError(QStringLiteral("cannot create the history"), db.lastError());
    return Ok{};
}

Status History::readAll(QList<HistoryEntry> &into)
{
    QSqlQuery query(QSqlDatabase::database(m_connectionName, false));
    query.setForwardOnly(true);
    // The newest maxEntries, oldest first.
    if (!query.exec(QStringLiteral("SELECT time, gateway_id, gateway_name, request_id, user, agent,"
                                   " action, resource, outcome, method, detail FROM"
                                   " (SELECT * FROM entries ORDER BY id DESC LIMIT %1)"
                                   " ORDER BY id")
                        .arg(maxEntries)))
        return storageError(QStringLiteral("cannot read the history"), query.lastError());
    int skipped = 0;
    while (query.next()) {
        if (auto entry = entryFromRow(query))
            into.append(std::move(*entry));
        else
            ++skipped;
    }
    if (skipped > 0)
        qCWarning(lcHistory) << "skipped" << skipped << "unreadable rows in" << m_filePath;
    return Ok{};
}

Status History::load()
{
    m_loaded = true;
    if (Status opened = open(false); !opened.ok())
        return opened;
    QList<HistoryEntry> entries;
    if (m_open) {
        if (Status read = readAll(entries); !read.ok())
            return read;
    }
    m_entries = std::move(entries);
    Q_EMIT reloaded();
    return Ok{};
}

Status History::insert(const HistoryEntry &entry)
{
    if (Status opened = open(true); !opened.ok())
        return opened;
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (!db.transaction())
        return storageError(QStringLiteral("cannot write the history"), db.lastError());
    QSqlQuery query(db);
    query.prepare(QStringLiteral(
        "INSERT INTO entries (time, gateway_id, gateway_name, request_id, user, agent, action,"
        " resource, outcome, method, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const QVariant &value :
         {QVariant(entry.time), text(entry.gatewayId), text(entry.gatewayName),
          text(entry.requestId), text(entry.user), text(entry.agent), text(entry.action),
          text(entry.resource), QVariant(approvalOutcomeName(entry.outcome)),
          entry.method ? QVariant(approvalMethodName(*entry.method))
                       : QVariant(QMetaType(QMetaType::QString)),
          text(entry.detail)})
        query.addBindValue(value);
    bool ok = query.exec();
    // Bounded: rows beyond the newest maxEntries go in the same transaction.
    ok = ok
        && query.exec(QStringLiteral("DELETE FROM entries WHERE id <= "
                                     "(SELECT max(id) FROM entries) - %1")
                          .arg(maxEntries));
    if (!ok) {
        const Status error =
            storageError(QStringLiteral("cannot write the history"), query.lastError());
        db.rollback();
        return error;
    }
    if (!db.commit())
        return storageError(QStringLiteral("cannot write the history"), db.lastError());
    return Ok{};
}

Status History::append(HistoryEntry entry)
{
    entry = bounded(std::move(entry));
    Status loaded = Ok{};
    if (!m_loaded)
        loaded = load();

    m_entries.append(entry);
    if (m_entries.size() > maxEntries)
        m_entries.remove(0, m_entries.size() - maxEntries);
    Q_EMIT appended(entry);

    Status stored = loaded.ok() ? insert(entry) : loaded;
    if (!stored.ok())
        qCWarning(lcHistory).noquote()
            << "could not record in the history:" << stored.error().message;
    return stored;
}

} // namespace countersign
