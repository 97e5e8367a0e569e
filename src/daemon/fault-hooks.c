/* SPDX-License-Identifier: MIT */
/*
 * fault-hooks.c - route SQLite's and jansson's allocations, and SQLite's
 * file I/O, through the fault counters of src/lib/fault.c, so tests can
 * fail the Nth of them (see fault-internal.h).
 *
 * SQLite: a memory allocator (SQLITE_CONFIG_MALLOC) over malloc that
 * keeps each block's size in a 16-byte prefix (SQLite asks for sizes
 * back), and a VFS shim registered as the default: it wraps the default
 * VFS, and its files wrap the real files, failing reads, writes, syncs,
 * truncates and opens when the io class says so.  Everything else passes
 * through.  jansson: json_set_alloc_funcs(cr_malloc, free).
 *
 * Installed once per process, before SQLite is first used (the store's
 * open calls cd_fault_hooks()); SQLite refuses a new allocator after it
 * is initialised, in which case only the VFS and jansson hooks apply.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "daemon.h"
#include "fault-internal.h"

#define FH_PREFIX 16	/* keeps malloc's alignment */

/* ---- SQLite's allocator -------------------------------------------- */

static void *
fh_malloc(int n)
{
	char *p;

	if (n <= 0 || cr_fault(CR_FAULT_ALLOC)) {
		return NULL;
	}
	if ((p = malloc((size_t)n + FH_PREFIX)) == NULL) {
		return NULL;
	}
	memcpy(p, &n, sizeof(n));
	return p + FH_PREFIX;
}

static void
fh_free(void *q)
{
	if (q != NULL) {
		free((char *)q - FH_PREFIX);
	}
}

static int
fh_size(void *q)
{
	int n;

	if (q == NULL) {
		return 0;
	}
	memcpy(&n, (char *)q - FH_PREFIX, sizeof(n));
	return n;
}

static void *
fh_realloc(void *q, int n)
{
	char *p;

	if (n <= 0 || cr_fault(CR_FAULT_ALLOC)) {
		return NULL;
	}
	if ((p = realloc((char *)q - FH_PREFIX, (size_t)n + FH_PREFIX)) ==
	    NULL) {
		return NULL;
	}
	memcpy(p, &n, sizeof(n));
	return p + FH_PREFIX;
}

static int
fh_roundup(int n)
{
	return (n + 7) & ~7;
}

static int
fh_init(void *arg)
{
	(void)arg;
	return SQLITE_OK;
}

static void
fh_shutdown(void *arg)
{
	(void)arg;
}

static const sqlite3_mem_methods fh_mem = {
	fh_malloc, fh_free, fh_realloc, fh_size, fh_roundup, fh_init,
	fh_shutdown, NULL
};

/* ---- the VFS shim -------------------------------------------------- */

struct fh_file {
	sqlite3_file base;
	sqlite3_file *real;	/* right after this struct */
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs fh_vfs;

#define REAL(f)	(((struct fh_file *)(f))->real)

static int
fh_close(sqlite3_file *f)
{
	return REAL(f)->pMethods->xClose(REAL(f));
}

static int
fh_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	if (cr_fault(CR_FAULT_IO)) {
		return SQLITE_IOERR_READ;
	}
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int
fh_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	if (cr_fault(CR_FAULT_IO)) {
		return SQLITE_IOERR_WRITE;
	}
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int
fh_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	if (cr_fault(CR_FAULT_IO)) {
		return SQLITE_IOERR_TRUNCATE;
	}
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
fh_sync(sqlite3_file *f, int flags)
{
	if (cr_fault(CR_FAULT_IO)) {
		return SQLITE_IOERR_FSYNC;
	}
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
fh_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
fh_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int
fh_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int
fh_check_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
fh_file_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
fh_sector_size(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
fh_device_chars(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
fh_shm_map(sqlite3_file *f, int region, int size, int extend,
    void volatile **pp)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), region, size, extend, pp);
}

static int
fh_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), offset, n, flags);
}

static void
fh_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
fh_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

/* Version 2: WAL's shared memory, no memory-mapped I/O (xFetch). */
static const sqlite3_io_methods fh_io = {
	2, fh_close, fh_read, fh_write, fh_truncate, fh_sync, fh_file_size,
	fh_lock, fh_unlock, fh_check_reserved, fh_file_control,
	fh_sector_size, fh_device_chars, fh_shm_map, fh_shm_lock,
	fh_shm_barrier, fh_shm_unmap, NULL, NULL
};

static int
fh_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
    int *out)
{
	struct fh_file *ff = (struct fh_file *)f;
	int rc;

	(void)vfs;
	ff->real = (sqlite3_file *)(ff + 1);
	memset(ff->real, 0, (size_t)real_vfs->szOsFile);
	/* SQLite reads pMethods even when the open fails. */
	ff->base.pMethods = NULL;
	if (cr_fault(CR_FAULT_IO)) {
		return SQLITE_CANTOPEN;
	}
	rc = real_vfs->xOpen(real_vfs, name, ff->real, flags, out);
	if (ff->real->pMethods != NULL) {
		if (ff->real->pMethods->iVersion < 2) {
			/* No WAL support below: say so rather than crash. */
			ff->real->pMethods->xClose(ff->real);
			return SQLITE_CANTOPEN;
		}
		ff->base.pMethods = &fh_io;
	}
	return rc;
}

static int
fh_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
	(void)vfs;
	return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int
fh_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int
fh_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

void
cd_fault_hooks(void)
{
	static int done;

	if (done) {
		return;
	}
	done = 1;
	/* SQLITE_MISUSE when SQLite is already initialised: keep its own. */
	sqlite3_config(SQLITE_CONFIG_MALLOC, &fh_mem);
	/* No memory statistics (nothing reads them): they take a global
	   mutex in every allocation of SQLite's. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	json_set_alloc_funcs(cr_malloc, free);
	if ((real_vfs = sqlite3_vfs_find(NULL)) == NULL) {
		return;
	}
	fh_vfs = *real_vfs;
	fh_vfs.szOsFile = (int)sizeof(struct fh_file) + real_vfs->szOsFile;
	fh_vfs.zName = "corun-fault";
	fh_vfs.pNext = NULL;
	fh_vfs.xOpen = fh_open;
	fh_vfs.xDelete = fh_delete;
	fh_vfs.xAccess = fh_access;
	fh_vfs.xFullPathname = fh_full_pathname;
	sqlite3_vfs_register(&fh_vfs, 1);
}
