#pragma once
// Process-wide allocator settings, applied once at the start of main().

namespace firebreak {

/// Keeps glibc malloc from handing freed memory at the top of the heap back to the kernel
/// after every statement. SQLite allocates a small page cache for each statement that
/// builds a temporary b-tree (a CHECK (x IN (...)) constraint does) and frees it when the
/// statement ends; with the default 128 KiB trim threshold each of those frees shrinks
/// the heap with brk(), and each shrink flushes the TLB, which on a VM cost more than the
/// commit's disk flush (ingest_bench: 971 -> 2,203 events/s one by one). A 4 MiB
/// threshold keeps that churn in the process; at most 4 MiB of free heap stays resident.
void tune_allocator();

}  // namespace firebreak
