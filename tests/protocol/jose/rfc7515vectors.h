#pragma once

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonObject>

// RFC 7515 appendix A.3: the ES256 example key and token.
namespace countersign::testing::rfc7515 {

inline QJsonObject a3PrivateJwk()
{
    return QJsonDocument::fromJson(
               R"({"kty":"EC","crv":"P-256",
                   "x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                   "y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
                   "d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"})")
        .object();
}

inline QJsonObject a3PublicJwk()
{
    QJsonObject jwk = a3PrivateJwk();
    jwk.remove(QStringLiteral("d"));
    return jwk;
}

inline const QByteArray a3Token = QByteArrayLiteral(
    "eyJhbGciOiJFUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    "."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q");

inline const QByteArray a3Payload = QByteArrayLiteral(
    "{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}");

} // namespace countersign::testing::rfc7515
