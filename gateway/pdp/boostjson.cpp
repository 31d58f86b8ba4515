// Boost.JSON, header-only: its implementation is compiled here, once, so
// the gateway needs no libboost_json (Debian's libboost1.81-dev has the
// headers; see evaluationfastpath.cpp for why the PDP reads JSON with it).
#include <boost/json/src.hpp>
