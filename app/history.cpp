#include "history.h"

#include "app/appid.h"
#include "protocol/strictjson.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QStandardPaths>

Q_LOGGING_CATEGORY(lcHistory, "countersign.app.history")

namespace countersign {

namespace {

constexpr int formatVersion = 1;

// Member names of one line.
const QString versionKey = QStringLiteral("v");
const QString timeKey = QStringLiteral("time");
const QString gatewayIdKey = QStringLiteral("gateway_id");
const QString gatewayNameKey = QStringLiteral("gateway_name");
const QString requestIdKey = QStringLiteral("request_id");
const QString userKey = QStringLiteral("user");
const QString agentKey = QStringLiteral("agent");
const QString actionKey = QStringLiteral("action");
const QString resourceKey = QStringLiteral("resource");
const QString outcomeKey = QStringLiteral("outcome");
const QString methodKey = QStringLiteral("method");
const QString detailKey = QStringLiteral("detail");

const QFileDevice::Permissions privateFile = QFileDevice::ReadOwner | QFileDevice::WriteOwner;

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

QString isoTime(qint64 seconds)
{
    return QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC).toString(Qt::ISODate);
}

std::optional<qint64> fromIsoTime(const QString &text)
{
    // Only what isoTime writes: "2025-06-15T10:00:00Z".
    if (text.size() != 20 || !text.endsWith(u'Z'))
        return std::nullopt;
    const QDateTime time = QDateTime::fromString(text, Qt::ISODate);
    if (!time.isValid())
        return std::nullopt;
    return time.toSecsSinceEpoch();
}

} // namespace

History::History(QString filePath, QObject *parent)
    : QObject(parent)
    , m_filePath(std::move(filePath))
{
}

History::~History() = default;

QString History::defaultFilePath()
{
    // QStandardPaths::AppDataLocation spelt out with the app id's names, so
    // that the place does not depend on what the application object was
    // told.
    const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return QDir(base).filePath(AppId::organizationName() + u'/' + AppId::applicationName()
                               + QStringLiteral("/history.jsonl"));
}

QByteArray History::encode(const HistoryEntry &entry)
{
    QJsonObject object{
        {versionKey, formatVersion},     {timeKey, isoTime(entry.time)},
        {gatewayIdKey, entry.gatewayId}, {gatewayNameKey, entry.gatewayName},
        {requestIdKey, entry.requestId}, {userKey, entry.user},
        {agentKey, entry.agent},         {actionKey, entry.action},
        {resourceKey, entry.resource},   {outcomeKey, approvalOutcomeName(entry.outcome)},
    };
    if (entry.method)
        object.insert(methodKey, approvalMethodName(*entry.method));
    if (!entry.detail.isEmpty())
        object.insert(detailKey, entry.detail);
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

Result<HistoryEntry> History::decode(QByteArrayView line)
{
    const auto invalid = [](const QString &why) { return makeError(ErrorCode::InvalidField, why); };
    if (line.size() > maxLineBytes)
        return makeError(ErrorCode::InputTooLarge, QStringLiteral("the line is too long"));
    // Strict: duplicate members and trailing data are refused, as elsewhere.
    const auto parsed = parseStrictJsonObject(line, QStringLiteral("history line"));
    if (!parsed)
        return parsed.error();
    const QJsonObject &object = parsed.value();
    for (auto it = object.begin(); it != object.end(); ++it) {
        static const QStringList known{versionKey,   timeKey,    gatewayIdKey, gatewayNameKey,
                                       requestIdKey, userKey,    agentKey,     actionKey,
                                       resourceKey,  outcomeKey, methodKey,    detailKey};
        if (!known.contains(it.key()))
            return invalid(QStringLiteral("unknown member \"%1\"").arg(it.key()));
        if (it.key() != versionKey && !it.value().isString())
            return invalid(QStringLiteral("\"%1\" is not a string").arg(it.key()));
    }
    if (object.value(versionKey).toInt(-1) != formatVersion || !object.value(versionKey).isDouble())
        return makeError(ErrorCode::UnsupportedVersion, QStringLiteral("unknown version"));
    HistoryEntry entry;
    const auto time = fromIsoTime(object.value(timeKey).toString());
    if (!time)
        return invalid(QStringLiteral("\"time\" is not an ISO 8601 UTC time"));
    entry.time = *time;
    entry.gatewayId = object.value(gatewayIdKey).toString();
    entry.gatewayName = object.value(gatewayNameKey).toString();
    entry.requestId = object.value(requestIdKey).toString();
    entry.user = object.value(userKey).toString();
    entry.agent = object.value(agentKey).toString();
    entry.action = object.value(actionKey).toString();
    entry.resource = object.value(resourceKey).toString();
    entry.detail = object.value(detailKey).toString();
    if (entry.gatewayId.isEmpty() || entry.requestId.isEmpty())
        return invalid(QStringLiteral("no gateway or request id"));
    const auto outcome = outcomeFromName(object.value(outcomeKey).toString());
    if (!outcome)
        return invalid(QStringLiteral("unknown outcome"));
    entry.outcome = *outcome;
    if (object.contains(methodKey)) {
        entry.method = approvalMethodFromName(object.value(methodKey).toString());
        if (!entry.method)
            return invalid(QStringLiteral("unknown method"));
    }
    return bounded(std::move(entry));
}

Status History::load()
{
    QFile file(m_filePath);
    if (!file.exists()) {
        m_entries.clear();
        m_linesInFile = 0;
        m_loaded = true;
        Q_EMIT reloaded();
        return Ok{};
    }
    if (!file.open(QIODevice::ReadOnly)) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("could not read the history %1: %2")
                             .arg(QDir::toNativeSeparators(m_filePath), file.errorString()));
    }
    // Only the last part of an oversized file: its first line there is
    // likely cut, and is skipped as unreadable.
    if (file.size() > maxFileBytes)
        file.seek(file.size() - maxFileBytes);

    QList<HistoryEntry> entries;
    qsizetype lines = 0;
    qsizetype skipped = 0;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine(maxLineBytes + 2);
        ++lines;
        if (!line.endsWith('\n') && !file.atEnd()) {
            // Longer than any line we write: skip the rest of it.
            ++skipped;
            while (!file.atEnd() && !file.readLine(maxLineBytes).endsWith('\n')) {
            }
            continue;
        }
        const QByteArray trimmed = line.trimmed();
        if (trimmed.isEmpty()) {
            --lines;
            continue;
        }
        auto entry = decode(trimmed);
        if (!entry) {
            ++skipped;
            continue;
        }
        entries.append(std::move(entry).value());
        if (entries.size() > maxEntries)
            entries.removeFirst();
    }
    if (skipped > 0) {
        qCWarning(lcHistory).noquote() << "skipped" << skipped << "unreadable lines of"
                                       << QDir::toNativeSeparators(m_filePath);
    }
    m_entries = std::move(entries);
    m_linesInFile = lines;
    m_loaded = true;
    Q_EMIT reloaded();
    return Ok{};
}

Status History::append(HistoryEntry entry)
{
    Status loaded = Ok{};
    if (!m_loaded) {
        loaded = load();
        // Unreadable: keep going in memory, but never overwrite what could
        // not be read.
    }
    entry = bounded(std::move(entry));
    m_entries.append(entry);
    while (m_entries.size() > maxEntries)
        m_entries.removeFirst();

    Status written = Ok{};
    if (!loaded) {
        written = loaded;
    } else if (m_linesInFile + 1 > maxEntries + compactionSlack) {
        written = rewrite();
    } else {
        written = appendLine(encode(entry));
    }
    if (!written) {
        qCWarning(lcHistory).noquote() << written.error().message;
    }
    Q_EMIT appended(entry);
    return written;
}

Status History::ensureDirectory() const
{
    const QString directory = QFileInfo(m_filePath).absolutePath();
    if (!QDir().mkpath(directory)) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("could not create the folder %1")
                             .arg(QDir::toNativeSeparators(directory)));
    }
    return Ok{};
}

Status History::appendLine(const QByteArray &line)
{
    if (const Status directory = ensureDirectory(); !directory)
        return directory;
    QFile file(m_filePath);
    const bool created = !file.exists();
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append)) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("could not write the history %1: %2")
                             .arg(QDir::toNativeSeparators(m_filePath), file.errorString()));
    }
    if (created)
        file.setPermissions(privateFile);
    if (file.write(line + '\n') != line.size() + 1 || !file.flush()) {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("could not write the history %1: %2")
                             .arg(QDir::toNativeSeparators(m_filePath), file.errorString()));
    }
    ++m_linesInFile;
    return Ok{};
}

Status History::rewrite()
{
    if (const Status directory = ensureDirectory(); !directory)
        return directory;
    QSaveFile file(m_filePath);
    const auto failed = [&] {
        return makeError(ErrorCode::StorageFailure,
                         QStringLiteral("could not write the history %1: %2")
                             .arg(QDir::toNativeSeparators(m_filePath), file.errorString()));
    };
    if (!file.open(QIODevice::WriteOnly))
        return failed();
    file.setPermissions(privateFile);
    for (const HistoryEntry &entry : std::as_const(m_entries)) {
        const QByteArray line = encode(entry) + '\n';
        if (file.write(line) != line.size()) {
            file.cancelWriting();
            return failed();
        }
    }
    if (!file.commit())
        return failed();
    m_linesInFile = m_entries.size();
    return Ok{};
}

} // namespace countersign
