#pragma once

#include "protocol/displaytext.h"
#include "protocol/result.h"

#include <QJsonObject>
#include <QStringList>

namespace countersign {

// Reads members of one JSON object of a protocol message, with errors that
// name the member's path ("proof.evidence.code is missing"). Deny by default:
// checkOnly() refuses members the message does not define.
class JsonFields {
public:
    JsonFields(const QJsonObject &object, QString path);

    Result<QString> requiredString(const QString &name, qsizetype maxLength) const;
    Result<QString> optionalString(const QString &name, qsizetype maxLength) const;
    // A canonical base64url string that decodes to minBytes..maxBytes bytes.
    Result<QByteArray> requiredBase64Url(const QString &name, qsizetype minBytes,
                                         qsizetype maxBytes) const;
    // An integral JSON number in [0, 2^53).
    Result<qint64> requiredInteger(const QString &name) const;
    Result<QJsonObject> requiredObject(const QString &name) const;
    Status checkOnly(const QStringList &allowed) const;
    // Member "v" must be `version`; UnsupportedVersion says which one we speak.
    Status checkVersion(int version) const;

    QString pathOf(const QString &name) const;

private:
    QJsonObject m_object; // a copy (implicitly shared), so temporaries are safe to pass
    QString m_path;
};

} // namespace countersign
