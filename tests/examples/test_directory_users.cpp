#include "examples/directory/userdirectory.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace countersign;
using namespace countersign::directory;

// UserDirectory: seeding, loading, saving, and clear errors for bad files.
class TestDirectoryUsers : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void seedsAliceBobAndCarolWhenTheFileIsMissing();
    void seedNeverOverwritesAnExistingFile();
    void loadWithoutSeedNamesTheMissingFile();
    void disablingIsSavedToTheFile();
    void unknownUserLeavesTheFileUnchanged();
    void refusesBadFiles_data();
    void refusesBadFiles();
    void disabledDefaultsToFalse();

private:
    QString write(const QByteArray &content);

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
};

void TestDirectoryUsers::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_path = m_dir->filePath(QStringLiteral("users.json"));
}

QString TestDirectoryUsers::write(const QByteArray &content)
{
    QFile file(m_path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(content);
    return m_path;
}

void TestDirectoryUsers::seedsAliceBobAndCarolWhenTheFileIsMissing()
{
    const auto seeded = UserDirectory::loadOrSeed(m_path);
    QVERIFY2(seeded, seeded ? "" : qPrintable(seeded.error().message));
    QVERIFY(QFile::exists(m_path));
    QStringList ids;
    for (const User &user : seeded->users())
        ids.append(user.id);
    QCOMPARE(
        ids,
        (QStringList{QStringLiteral("alice"), QStringLiteral("bob"), QStringLiteral("carol")}));
    const auto reloaded = UserDirectory::load(m_path);
    QVERIFY(reloaded);
    QCOMPARE(reloaded->find(QStringLiteral("alice"))->email, QStringLiteral("alice@example.com"));
    QVERIFY(!reloaded->find(QStringLiteral("alice"))->disabled);
}

void TestDirectoryUsers::seedNeverOverwritesAnExistingFile()
{
    write(R"({"users":[{"id":"dave","name":"Dave","email":"dave@example.com"}]})");
    const auto loaded = UserDirectory::loadOrSeed(m_path);
    QVERIFY(loaded);
    QCOMPARE(loaded->users().size(), 1);
    QVERIFY(loaded->find(QStringLiteral("dave")));
    QVERIFY(!loaded->find(QStringLiteral("alice")));
}

void TestDirectoryUsers::loadWithoutSeedNamesTheMissingFile()
{
    const auto loaded = UserDirectory::load(m_path);
    QVERIFY(!loaded);
    QVERIFY(loaded.error().message.contains(m_path));
    QVERIFY(!QFile::exists(m_path));
}

void TestDirectoryUsers::disablingIsSavedToTheFile()
{
    auto directory = UserDirectory::loadOrSeed(m_path);
    QVERIFY(directory);
    QVERIFY(directory.value().setDisabled(QStringLiteral("alice"), true));
    QVERIFY(directory->find(QStringLiteral("alice"))->disabled);
    const auto reloaded = UserDirectory::load(m_path);
    QVERIFY(reloaded);
    QVERIFY(reloaded->find(QStringLiteral("alice"))->disabled);
    QVERIFY(!reloaded->find(QStringLiteral("bob"))->disabled);
    QVERIFY(directory.value().setDisabled(QStringLiteral("alice"), false));
    QVERIFY(!UserDirectory::load(m_path)->find(QStringLiteral("alice"))->disabled);
}

void TestDirectoryUsers::unknownUserLeavesTheFileUnchanged()
{
    auto directory = UserDirectory::loadOrSeed(m_path);
    QVERIFY(directory);
    QFile file(m_path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray before = file.readAll();
    file.close();
    const Status changed = directory.value().setDisabled(QStringLiteral("mallory"), true);
    QVERIFY(!changed);
    QVERIFY(changed.error().message.contains(u"mallory"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), before);
}

void TestDirectoryUsers::refusesBadFiles_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("not JSON") << QByteArray("users: [alice]") << QStringLiteral("not valid JSON");
    QTest::newRow("array at the top") << QByteArray("[]") << QStringLiteral("users file");
    QTest::newRow("no users") << QByteArray("{}") << QStringLiteral("\"users\" is missing");
    QTest::newRow("users not an array")
        << QByteArray(R"({"users":{}})") << QStringLiteral("not an array");
    QTest::newRow("unknown top-level member")
        << QByteArray(R"({"users":[],"groups":[]})") << QStringLiteral("\"groups\"");
    QTest::newRow("entry not an object")
        << QByteArray(R"({"users":["alice"]})") << QStringLiteral("users[0] is not an object");
    QTest::newRow("missing id") << QByteArray(R"({"users":[{"name":"A","email":"a@x"}]})")
                                << QStringLiteral("users[0].id is missing");
    QTest::newRow("id not a string")
        << QByteArray(R"({"users":[{"id":7,"name":"A","email":"a@x"}]})")
        << QStringLiteral("users[0].id is not a string");
    QTest::newRow("empty id") << QByteArray(R"({"users":[{"id":"","name":"A","email":"a@x"}]})")
                              << QStringLiteral("users[0].id is empty");
    QTest::newRow("disabled not a boolean")
        << QByteArray(R"({"users":[{"id":"a","name":"A","email":"a@x","disabled":"yes"}]})")
        << QStringLiteral("users[0].disabled");
    QTest::newRow("misspelt member")
        << QByteArray(R"({"users":[{"id":"a","name":"A","email":"a@x","disable":true}]})")
        << QStringLiteral("\"disable\"");
    QTest::newRow("duplicate id") << QByteArray(R"({"users":[{"id":"a","name":"A","email":"a@x"},)"
                                                R"({"id":"a","name":"B","email":"b@x"}]})")
                                  << QStringLiteral("users[1].id \"a\" appears twice");
    QTest::newRow("duplicate member")
        << QByteArray(R"({"users":[{"id":"a","id":"b","name":"A","email":"a@x"}]})")
        << QStringLiteral("names a member twice");
}

void TestDirectoryUsers::refusesBadFiles()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, mentions);
    write(content);
    const auto loaded = UserDirectory::load(m_path);
    QVERIFY(!loaded);
    QVERIFY2(loaded.error().message.contains(mentions), qPrintable(loaded.error().message));
    QVERIFY(loaded.error().message.startsWith(m_path));
}

void TestDirectoryUsers::disabledDefaultsToFalse()
{
    write(R"({"users":[{"id":"a","name":"A","email":"a@x"}]})");
    const auto loaded = UserDirectory::load(m_path);
    QVERIFY(loaded);
    QVERIFY(!loaded->find(QStringLiteral("a"))->disabled);
}

QTEST_GUILESS_MAIN(TestDirectoryUsers)
#include "test_directory_users.moc"
