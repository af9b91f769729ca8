// ACL checks for native requests (authorization.cc holds the table of what
// each request type needs).
#pragma once

#include "wharf/errors.h"

namespace wharf::wire {
struct Frame;
}
namespace wharf::auth {
class SecurityEngine;
struct Principal;
}  // namespace wharf::auth

namespace wharf::net {

// ok, or not_authorized naming the user, the operation and the resource.
status authorize(const auth::SecurityEngine& security, const auth::Principal& who, const wire::Frame& frame);

}  // namespace wharf::net
