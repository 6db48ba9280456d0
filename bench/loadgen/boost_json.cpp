// Boost.JSON's compiled part, built into the load generator (Debian ships Boost.JSON's headers
// with libboost1.81-dev; this avoids depending on a separate library package).
#include <boost/json/src.hpp>
