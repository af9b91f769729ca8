// File-system fault injection for tests: the test binary that links
// fault_fs.cc replaces open, pread, pwrite, writev, fdatasync and fsync
// (every file call LMDB makes on its data file without MDB_WRITEMAP; it
// calls them through the PLT), and can make the Nth call on an LMDB data
// file fail with a chosen errno. Unarmed, each call costs one atomic load.
#pragma once

namespace wharf::test {

enum class FsCall { pwrite, writev, fdatasync, fsync, open, pread, count };

// The `nth` call (1 = the next) of `call` on a data.mdb file fails with
// `error`; with `sticky`, every later one too.
void fs_fail(FsCall call, int nth, int error, bool sticky = false);
void fs_clear();
// How many calls of `call` on data files failed so far.
int fs_failures(FsCall call);

}  // namespace wharf::test
