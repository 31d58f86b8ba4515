#include "tests/support/freeport.h"

#include <QHostAddress>
#include <QTcpServer>

namespace countersign::testing {

quint16 freePort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    return probe.serverPort();
}

} // namespace countersign::testing
