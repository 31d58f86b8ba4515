#include "gateway/store/secretbox.h"

#include <sys/stat.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::gateway;

namespace {

const QByteArray Seed("12345678901234567890"); // the RFC 6238 SHA-1 seed
const QByteArray Alice("alice");

QByteArray testKey(char fill)
{
    return QByteArray(SecretBox::KeySize, fill);
}

unsigned fileMode(const QString &path)
{
    struct stat info {};
    if (::stat(QFile::encodeName(path).constData(), &info) != 0)
        return 0xffffffffu;
    return info.st_mode & 0777u;
}

} // namespace

class TestSecretBox : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void sealsAndOpens();
    void sealsEmptyPlaintext();
    void sealingTwiceGivesDifferentCiphertexts();
    void sealedValueHidesPlaintext();
    void refusesOtherAssociatedData();
    void refusesAnyFlippedByte();
    void refusesTruncatedValue();
    void refusesOtherKey();
    void refusesKeyOfWrongSize();
    void createsKeyFileOwnerOnlyWith32Bytes();
    void reloadsSameKey();
    void refusesKeyFileReadableByOthers_data();
    void refusesKeyFileReadableByOthers();
    void refusesKeyFileOfWrongSize();
    void refusesSymlinkedKeyFile();
};

void TestSecretBox::sealsAndOpens()
{
    const auto box = SecretBox::fromKey(testKey('k'));
    QVERIFY(box.ok());
    const auto sealed = box->seal(Seed, Alice);
    QVERIFY(sealed.ok());
    QCOMPARE(sealed->size(), Seed.size() + 1 + 12 + 16);
    const auto opened = box->open(sealed.value(), Alice);
    QVERIFY(opened.ok());
    QCOMPARE(opened.value(), Seed);
}

void TestSecretBox::sealsEmptyPlaintext()
{
    const auto box = SecretBox::fromKey(testKey('k'));
    const auto sealed = box->seal({}, Alice);
    QVERIFY(sealed.ok());
    const auto opened = box->open(sealed.value(), Alice);
    QVERIFY(opened.ok());
    QVERIFY(opened->isEmpty());
}

void TestSecretBox::sealingTwiceGivesDifferentCiphertexts()
{
    // A repeated GCM nonce under one key is catastrophic; each seal must draw
    // a fresh one.
    const auto box = SecretBox::fromKey(testKey('k'));
    const QByteArray first = box->seal(Seed, Alice).value();
    const QByteArray second = box->seal(Seed, Alice).value();
    QVERIFY(first != second);
    QVERIFY(first.mid(1, 12) != second.mid(1, 12));
}

void TestSecretBox::sealedValueHidesPlaintext()
{
    const auto box = SecretBox::fromKey(testKey('k'));
    const QByteArray sealed = box->seal(Seed, Alice).value();
    QVERIFY(!sealed.contains(Seed));
    QVERIFY(!sealed.contains(Seed.left(8)));
}

void TestSecretBox::refusesOtherAssociatedData()
{
    const auto box = SecretBox::fromKey(testKey('k'));
    const QByteArray sealed = box->seal(Seed, Alice).value();
    const auto opened = box->open(sealed, "bob");
    QVERIFY(!opened.ok());
    QCOMPARE(opened.error().code, ErrorCode::CryptoFailure);
}

void TestSecretBox::refusesAnyFlippedByte()
{
    const auto box = SecretBox::fromKey(testKey('k'));
    const QByteArray sealed = box->seal(Seed, Alice).value();
    for (qsizetype i = 0; i < sealed.size(); ++i) {
        QByteArray tampered = sealed;
        tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
        QVERIFY2(!box->open(tampered, Alice).ok(), qPrintable(QString::number(i)));
    }
}

void TestSecretBox::refusesTruncatedValue()
{
    const auto box = SecretBox::fromKey(testKey('k'));
    const QByteArray sealed = box->seal(Seed, Alice).value();
    QVERIFY(!box->open(sealed.chopped(1), Alice).ok());
    QVERIFY(!box->open(sealed.left(29), Alice).ok());
    QVERIFY(!box->open(sealed.left(10), Alice).ok());
    QVERIFY(!box->open({}, Alice).ok());
}

void TestSecretBox::refusesOtherKey()
{
    const auto box = SecretBox::fromKey(testKey('k'));
    const auto other = SecretBox::fromKey(testKey('j'));
    const QByteArray sealed = box->seal(Seed, Alice).value();
    QVERIFY(!other->open(sealed, Alice).ok());
}

void TestSecretBox::refusesKeyOfWrongSize()
{
    QVERIFY(!SecretBox::fromKey(QByteArray(31, 'k')).ok());
    QVERIFY(!SecretBox::fromKey(QByteArray(33, 'k')).ok());
    QVERIFY(!SecretBox::fromKey({}).ok());
}

void TestSecretBox::createsKeyFileOwnerOnlyWith32Bytes()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(QStringLiteral("secrets.key"));
    const auto box = SecretBox::loadOrCreate(path);
    QVERIFY2(box.ok(), box.ok() ? "" : qPrintable(box.error().message));
    QCOMPARE(fileMode(path), 0600u);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray key = file.readAll();
    QCOMPARE(key.size(), SecretBox::KeySize);
    QVERIFY(key != QByteArray(SecretBox::KeySize, '\0'));
    // No temporary file is left next to the key.
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden),
             QStringList{QStringLiteral("secrets.key")});
}

void TestSecretBox::reloadsSameKey()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("secrets.key"));
    const auto first = SecretBox::loadOrCreate(path);
    QVERIFY(first.ok());
    const QByteArray sealed = first->seal(Seed, Alice).value();
    const auto second = SecretBox::loadOrCreate(path);
    QVERIFY(second.ok());
    const auto opened = second->open(sealed, Alice);
    QVERIFY(opened.ok());
    QCOMPARE(opened.value(), Seed);
}

void TestSecretBox::refusesKeyFileReadableByOthers_data()
{
    QTest::addColumn<int>("mode");
    QTest::newRow("0644") << 0644;
    QTest::newRow("0640") << 0640;
    QTest::newRow("0604") << 0604;
    QTest::newRow("0660") << 0660;
    QTest::newRow("0601") << 0601;
}

void TestSecretBox::refusesKeyFileReadableByOthers()
{
    QFETCH(int, mode);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("secrets.key"));
    QVERIFY(SecretBox::loadOrCreate(path).ok());
    QCOMPARE(::chmod(QFile::encodeName(path).constData(), static_cast<mode_t>(mode)), 0);
    const auto box = SecretBox::loadOrCreate(path);
    QVERIFY(!box.ok());
    QCOMPARE(box.error().code, ErrorCode::StorageFailure);
    QVERIFY2(box.error().message.contains(QStringLiteral("group or others")),
             qPrintable(box.error().message));
}

void TestSecretBox::refusesKeyFileOfWrongSize()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("secrets.key"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(QByteArray(16, 'k'));
    file.close();
    QVERIFY(file.setPermissions(QFile::ReadOwner | QFile::WriteOwner));
    const auto box = SecretBox::loadOrCreate(path);
    QVERIFY(!box.ok());
    QCOMPARE(box.error().code, ErrorCode::StorageFailure);
    QVERIFY2(box.error().message.contains(QStringLiteral("expected 32")),
             qPrintable(box.error().message));
    // The bad file is reported, never silently replaced by a new key.
    QCOMPARE(QFileInfo(path).size(), 16);
}

void TestSecretBox::refusesSymlinkedKeyFile()
{
    QTemporaryDir dir;
    const QString real = dir.filePath(QStringLiteral("real.key"));
    QVERIFY(SecretBox::loadOrCreate(real).ok());
    const QString link = dir.filePath(QStringLiteral("secrets.key"));
    QVERIFY(QFile::link(real, link));
    QVERIFY(!SecretBox::loadOrCreate(link).ok());
}

QTEST_GUILESS_MAIN(TestSecretBox)
#include "test_secretbox.moc"
