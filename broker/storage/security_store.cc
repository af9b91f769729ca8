#include "broker/storage/security_store.h"

#include "broker/storage/lmdb_env.h"

namespace wharf::storage {
namespace {

MDB_val text_val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

std::string_view as_text(const MDB_val& v) { return {static_cast<const char*>(v.mv_data), v.mv_size}; }

status put(MDB_txn* txn, MDB_dbi dbi, std::string_view key, std::string_view value, const char* what) {
  MDB_val k = text_val(key);
  MDB_val v = text_val(value);
  return lmdb_status(mdb_put(txn, dbi, &k, &v, 0), what);
}

result<bool> remove(MDB_txn* txn, MDB_dbi dbi, std::string_view key, const char* what) {
  MDB_val k = text_val(key);
  const int rc = mdb_del(txn, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return lmdb_status(rc, what);
  return true;
}

status scan(MDB_txn* txn, MDB_dbi dbi, const SecurityStore::Visit& visit, const char* what) {
  Cursor c(txn, dbi);
  if (c.open_rc() != 0) return lmdb_status(c.open_rc(), what);
  MDB_val key;
  MDB_val value;
  int rc = c.get(&key, &value, MDB_FIRST);
  for (; rc == 0; rc = c.get(&key, &value, MDB_NEXT)) visit(as_text(key), as_text(value));
  if (rc != MDB_NOTFOUND) return lmdb_status(rc, what);
  return {};
}

}  // namespace

result<std::optional<std::string>> SecurityStore::get_user(Txn& txn, std::string_view name) {
  MDB_val k = text_val(name);
  MDB_val v;
  const int rc = mdb_get(txn.txn_, env_.dbi(Table::users), &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string>();
  if (rc != 0) return lmdb_status(rc, "reading a user");
  return std::optional<std::string>(std::string(as_text(v)));
}

status SecurityStore::put_user(WriteTxn& txn, std::string_view name, std::string_view record) {
  return put(txn.txn_, env_.dbi(Table::users), name, record, "writing a user");
}

result<bool> SecurityStore::delete_user(WriteTxn& txn, std::string_view name) {
  return remove(txn.txn_, env_.dbi(Table::users), name, "deleting a user");
}

status SecurityStore::scan_users(Txn& txn, const Visit& visit) {
  return scan(txn.txn_, env_.dbi(Table::users), visit, "reading users");
}

status SecurityStore::put_acl(WriteTxn& txn, std::string_view key, std::string_view entry) {
  return put(txn.txn_, env_.dbi(Table::acls), key, entry, "writing an ACL entry");
}

result<bool> SecurityStore::delete_acl(WriteTxn& txn, std::string_view key) {
  return remove(txn.txn_, env_.dbi(Table::acls), key, "deleting an ACL entry");
}

status SecurityStore::scan_acls(Txn& txn, const Visit& visit) {
  return scan(txn.txn_, env_.dbi(Table::acls), visit, "reading ACL entries");
}

}  // namespace wharf::storage
