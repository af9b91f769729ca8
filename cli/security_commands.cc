// wharf user ... and wharf acl ...: users and permissions (docs/SECURITY.md).
#include <nlohmann/json.hpp>

#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/json_output.h"

namespace wharf::cli {
namespace {

// The new password: one line from standard input, without its newline.
result<std::string> read_password_stdin() {
  std::string password;
  if (!std::getline(std::cin, password) || password.empty())
    return status(errc::invalid_argument, "--password-stdin: no password on standard input");
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

int done(const Context& ctx, const status& st, const std::string& what) {
  if (!st.ok()) return fail(st);
  if (ctx.json) {
    print_json({{"ok", true}});
  } else {
    std::printf("%s\n", what.c_str());
  }
  return 0;
}

nlohmann::json to_json(const AclRule& r) {
  return {{"principal", r.principal}, {"resource_type", r.resource_type}, {"resource", r.resource_name},
          {"pattern", r.pattern},     {"operation", r.operation},         {"permission", r.permission}};
}

}  // namespace

int user_create(const Context& ctx, const UserArgs& args) {
  if (!args.password_stdin) return usage("user create reads the password with --password-stdin");
  auto password = read_password_stdin();
  if (!password) return fail(password.error());
  auto client = connect(ctx);
  if (!client) return 1;
  return done(ctx, client->create_user(args.name, *password, args.admin), "created user " + args.name);
}

int user_passwd(const Context& ctx, const UserArgs& args) {
  if (!args.password_stdin) return usage("user passwd reads the password with --password-stdin");
  auto password = read_password_stdin();
  if (!password) return fail(password.error());
  auto client = connect(ctx);
  if (!client) return 1;
  return done(ctx, client->set_password(args.name, *password), "changed the password of " + args.name);
}

int user_delete(const Context& ctx, const UserArgs& args) {
  auto client = connect(ctx);
  if (!client) return 1;
  return done(ctx, client->delete_user(args.name), "deleted user " + args.name);
}

int user_list(const Context& ctx) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto users = client->list_users();
  if (!users) return fail(users.error());
  if (ctx.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& u : *users) out.push_back({{"name", u.name}, {"admin", u.admin}, {"mechanisms", u.mechanisms}});
    print_json(out);
    return 0;
  }
  std::printf("user\tadmin\tmechanisms\n");
  for (const auto& u : *users) {
    std::string mechanisms;
    for (const auto& m : u.mechanisms) mechanisms += (mechanisms.empty() ? "" : ",") + m;
    std::printf("%s\t%s\t%s\n", u.name.c_str(), u.admin ? "yes" : "no", mechanisms.c_str());
  }
  return 0;
}

int acl_change(const Context& ctx, const AclArgs& args, bool add) {
  AclRule rule{args.principal, args.resource_type, args.resource, args.prefix ? "prefix" : "literal", args.operation,
               args.deny ? "deny" : "allow"};
  auto client = connect(ctx);
  if (!client) return 1;
  const status st = add ? client->add_acl(rule) : client->remove_acl(rule);
  return done(ctx, st, std::string(add ? "added" : "removed") + " ACL entry");
}

int acl_list(const Context& ctx) {
  auto client = connect(ctx);
  if (!client) return 1;
  auto rules = client->list_acls();
  if (!rules) return fail(rules.error());
  if (ctx.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *rules) out.push_back(to_json(r));
    print_json(out);
    return 0;
  }
  std::printf("principal\tpermission\toperation\tresource\n");
  for (const auto& r : *rules)
    std::printf("%s\t%s\t%s\t%s:%s%s\n", r.principal.c_str(), r.permission.c_str(), r.operation.c_str(),
                r.resource_type.c_str(), r.resource_name.c_str(), r.pattern == "prefix" ? "*" : "");
  return 0;
}

}  // namespace wharf::cli
