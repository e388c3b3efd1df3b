/**
 * Where tensor bytes live, and how they are reclaimed without `dispose()`.
 *
 * Why this design. Users write plain synchronous `for` loops. Inside such a
 * loop V8 never runs `FinalizationRegistry` callbacks (they are tasks) and a
 * `WeakRef` made in the loop keeps its target alive until the loop ends, so
 * tensor bytes kept in WASM memory and freed by finalizers would pile up for
 * the whole loop. Measured here: even registering each tensor with a
 * FinalizationRegistry (to count them) grew RSS by about 1 KB per tensor in
 * such a loop and cost microseconds per registration. Plain JS
 * `ArrayBuffer`s, by contrast, are collected mid-loop. Hence:
 *
 * - A tensor's bytes are owned by its `Storage`: a GC-managed host array,
 *   and/or a block in WASM memory (its resident copy).
 * - WASM memory is a bounded working area of `budget` bytes that kernels run
 *   in. New outputs are placed by a cursor that sweeps the area like a clock;
 *   a block the cursor reaches is skipped if it is pinned by the running op or
 *   was used since the last sweep (second chance), and evicted otherwise.
 *   Eviction copies the block to its host buffer first when the host copy is
 *   stale, so no data is ever lost, and a dropped tensor's host buffer is
 *   ordinary garbage. That copy is the price of not knowing which tensors
 *   are dead: a loop that drops 4 MB outputs pays one 4 MB copy (and a fresh
 *   host allocation) per output, which `dispose()`/`using` avoid.
 * - Hot tensors (parameters, optimizer state, recent outputs) stay resident,
 *   so chains of ops run without copies; cold ones cost one copy out and one
 *   copy in when next used.
 * - Tiny tensors (at most 16 elements) never take a block: host_kernels.ts
 *   computes them in JS on plain arrays; when a kernel must read one, it is
 *   copied to a per-op staging area instead.
 * - Freed blocks are reused early where that is cheap: a temporary disposed
 *   right after use gives its block back to the next output, and backward
 *   frees the gradients it made as soon as nothing refers to them
 *   (autograd/engine.ts).
 *
 * WASM memory only grows (never shrinks) and only up to the budget, unless a
 * single op's operands need more than that, when it grows just enough.
 *
 * @module
 */
import { kernels, maxThreads } from "./wasm.ts";
import { TINY } from "./host_kernels.ts";

const ALIGN = 64;
/**
 * At most this many blocks stay resident: each costs a small JS object, and
 * without a cap an area full of one-element tensors would hold millions.
 */
const MAX_RESIDENT = 1 << 16;
const PAGE = 65536;
/** Bytes reserved at the bottom of the area for kernel descriptors. */
const DESC_BYTES = 4096;
/** Bytes reserved after them for staging tiny read-only operands per op. */
const STAGING_BYTES = 4096;
const STAGE_SLOT = 64;

const memory = kernels.memory;
const descBase = kernels.heapBase();
const stagingPtr = descBase + DESC_BYTES;
let stagingUsed = 0;
/**
 * Start of the matmul kernel's packing scratch (see assembly/matmul.ts): one
 * region per thread that may run it (see matmul_threads.ts), `scratchStride`
 * bytes apart; pages a thread never touches cost no physical memory.
 */
export const scratchPtr: number = stagingPtr + STAGING_BYTES;
/** Bytes between the threads' scratch regions. */
export const scratchStride: number =
  (kernels.matmulScratchBytes() + ALIGN - 1) & ~(ALIGN - 1);
const areaBase = scratchPtr + scratchStride * maxThreads;

if (memory.buffer.byteLength < areaBase) {
  memory.grow(Math.ceil((areaBase - memory.buffer.byteLength) / PAGE));
}

let budget = 128 * 1024 * 1024;
let limit = memory.buffer.byteLength;
let cursor = areaBase;
let epoch = 1;

// Resident blocks form a doubly linked list in address order; `victim` is the
// first block at or after the cursor.
let head: Storage | null = null;
let last: Storage | null = null;
let victim: Storage | null = null;

let residentBytes = 0;
let residentCount = 0;
let allocatedCount = 0;
let disposedCount = 0;

let f32: Float32Array = new Float32Array(memory.buffer);
let i32: Int32Array = new Int32Array(memory.buffer);

/** A Float32Array over the whole of WASM memory (re-derived after growth). */
export function heapF32(): Float32Array {
  if (f32.buffer !== memory.buffer) refreshViews();
  return f32;
}

function refreshViews(): void {
  f32 = new Float32Array(memory.buffer);
  i32 = new Int32Array(memory.buffer);
}

/**
 * Host-side values: a Float32Array, or for tiny tensors a plain array of
 * float32-exact numbers (V8 allocates those far faster than typed arrays).
 */
export type HostData = Float32Array | number[];

/** The bytes of one tensor (several views may share it). */
export class Storage {
  /** Number of float32 elements. */
  readonly numel: number;
  /** Byte offset of the resident copy in WASM memory, or -1. */
  ptr = -1;
  /** Host copy; current only when `hostValid`. */
  host: HostData | null = null;
  /** Whether `host` holds the current values. */
  hostValid = false;
  /** Epoch of the op that last pinned this block (it cannot be evicted then). */
  pin = 0;
  /** Used since the sweeping cursor last passed it. */
  used = false;
  disposed = false;
  prev: Storage | null = null;
  next: Storage | null = null;

  /** Serial number: storages made later have larger ids. */
  readonly id: number;
  /** Backward bookkeeping: the pass that last counted references, and the count. */
  refPass = 0;
  refs = 0;
  /** Backward bookkeeping: the pass in which a leaf adopted this as its grad. */
  claimedPass = 0;

  private constructor(numel: number) {
    this.numel = numel;
    this.id = ++allocatedCount;
  }

  /** A storage holding a copy of `data` (host side; loaded on first use). */
  static fromHost(data: HostData): Storage {
    const s = new Storage(data.length);
    s.host = data;
    s.hostValid = true;
    return s;
  }

  /**
   * A new resident storage of `numel` elements for a kernel to write, pinned
   * for the current op. Its contents are undefined until written.
   */
  static output(numel: number): Storage {
    const s = new Storage(numel);
    if (numel === 0) {
      s.host = new Float32Array(0);
      s.hostValid = true;
      s.ptr = areaBase;
      return s;
    }
    place(s);
    return s;
  }

  /** Pointer to the resident copy, loading it if needed; pins it for this op. */
  acquire(): number {
    if (this.disposed) {
      throw new ReferenceError("Cannot use a tensor after dispose()");
    }
    if (this.numel === 0) return areaBase;
    if (this.ptr < 0) {
      // A tiny operand that only needs reading is staged for this op instead
      // of taking a block: no placement, no eviction, its host copy stays.
      if (
        this.numel <= TINY && stagingUsed + STAGE_SLOT <= STAGING_BYTES
      ) {
        const p = stagingPtr + stagingUsed;
        stagingUsed += STAGE_SLOT;
        const heap = heapF32(), host = this.host!;
        for (let i = 0, k = p >>> 2; i < this.numel; i++) heap[k + i] = host[i];
        return p;
      }
      this.load();
    } else {
      this.pin = epoch;
      this.used = true;
    }
    return this.ptr;
  }

  /** Places the host copy in a block of the working area (pinned). */
  private load(): void {
    place(this);
    heapF32().set(this.host!, this.ptr >>> 2);
  }

  /** Like acquire(), for a kernel that writes in place: the host copy goes stale. */
  acquireForWrite(): number {
    // a write target takes a block even when tiny (never the staging area)
    if (this.ptr < 0 && !this.disposed && this.numel > 0) this.load();
    const p = this.acquire();
    this.hostValid = false;
    return p;
  }

  /**
   * The array that holds the current values (WASM memory when resident,
   * else the host buffer); element 0 is at index `base()`. For short reads
   * that should not allocate a view.
   */
  data(): HostData {
    if (this.disposed) {
      throw new ReferenceError("Cannot use a tensor after dispose()");
    }
    return this.ptr >= 0 && this.numel > 0 ? heapF32() : this.host!;
  }

  /** Index of element 0 in `data()`. */
  base(): number {
    return this.ptr >= 0 && this.numel > 0 ? this.ptr >>> 2 : 0;
  }

  /** Frees the bytes now; any later use throws. */
  dispose(): void {
    if (this.disposed) return;
    if (this.ptr >= 0 && this.numel > 0) {
      unlink(this);
      // the block just below the cursor (a temporary freed right after use):
      // the next output takes its place, while it is still in cache
      if (this.ptr + blockBytes(this) === cursor) cursor = this.ptr;
    }
    this.ptr = -1;
    this.host = null;
    this.hostValid = false;
    this.disposed = true;
    disposedCount++;
  }

  /** Writes the resident copy back to the host buffer if it is stale. */
  writeBack(): void {
    if (this.hostValid || this.ptr < 0) return;
    const start = this.ptr >>> 2;
    const heap = heapF32();
    if (this.numel <= TINY) {
      // a plain array: far cheaper to allocate than a typed array
      const host = new Array<number>(this.numel);
      for (let i = 0; i < this.numel; i++) host[i] = heap[start + i];
      this.host = host;
    } else {
      if (!(this.host instanceof Float32Array)) {
        this.host = new Float32Array(this.numel);
      }
      this.host.set(heap.subarray(start, start + this.numel));
    }
    this.hostValid = true;
  }
}

/** Starts a new op: blocks pinned from now on cannot be evicted until the next. */
export function beginOp(): void {
  epoch++;
  stagingUsed = 0;
}

/** Writes `ndim`-sized i32 rows to the kernel descriptor area; returns its pointer. */
export function descriptor(
  rows: readonly (readonly number[])[],
  scratch: number,
): number {
  if (i32.buffer !== memory.buffer) refreshViews();
  let k = descBase >>> 2;
  for (const row of rows) {
    for (let j = 0; j < row.length; j++) i32[k++] = row[j];
  }
  if ((k - (descBase >>> 2) + scratch) * 4 > DESC_BYTES) {
    throw new RangeError("Too many dimensions for a kernel descriptor");
  }
  return descBase;
}

function unlink(s: Storage): void {
  if (victim === s) victim = s.next;
  if (s.prev) s.prev.next = s.next;
  else head = s.next;
  if (s.next) s.next.prev = s.prev;
  else last = s.prev;
  s.prev = s.next = null;
  residentBytes -= blockBytes(s);
  residentCount--;
}

function blockBytes(s: Storage): number {
  return (s.numel * 4 + ALIGN - 1) & ~(ALIGN - 1);
}

function evict(s: Storage): void {
  s.writeBack();
  unlink(s);
  s.ptr = -1;
}

function grow(to: number): void {
  const pages = Math.ceil((to - memory.buffer.byteLength) / PAGE);
  if (pages > 0) memory.grow(pages);
  limit = to;
  refreshViews();
}

/** Finds room for `s` at the cursor, evicting what is in the way. */
function place(s: Storage): void {
  const bytes = blockBytes(s);
  let sweeps = 0;
  outer: for (;;) {
    const end = cursor + bytes;
    const full = residentCount >= MAX_RESIDENT;
    if (end > limit || (full && victim === null)) {
      if (victim === null && !full && limit < areaBase + budget) {
        grow(Math.min(areaBase + budget, Math.max(end, limit * 2)));
      } else if (sweeps >= 3) {
        // this op's pinned operands fill the area: grow past the budget
        cursor = last ? Math.max(cursor, last.ptr + blockBytes(last)) : cursor;
        victim = null;
        grow(cursor + bytes);
      } else {
        cursor = areaBase;
        victim = head;
        sweeps++;
      }
      continue;
    }
    while (
      victim !== null &&
      (victim.ptr < end || residentCount >= MAX_RESIDENT)
    ) {
      const v: Storage = victim;
      if (v.pin === epoch || (v.used && sweeps < 2)) {
        v.used = false;
        cursor = v.ptr + blockBytes(v);
        victim = v.next;
        continue outer;
      }
      evict(v);
    }
    s.ptr = cursor;
    s.pin = epoch;
    s.used = false;
    s.next = victim;
    s.prev = victim ? victim.prev : last;
    if (s.prev) s.prev.next = s;
    else head = s;
    if (victim) victim.prev = s;
    else last = s;
    cursor = end;
    residentBytes += bytes;
    residentCount++;
    return;
  }
}

/** Id that the next storage will get (see `Storage.id`). */
export function nextStorageId(): number {
  return allocatedCount + 1;
}

/** Memory figures, as reported by `memoryStats()`. */
export interface MemoryStats {
  /** Tensor storages created so far (a step that creates none leaves it unchanged). */
  allocatedTensors: number;
  /** Storages freed by `dispose()` so far. */
  disposedTensors: number;
  /** Storages whose data is resident in WebAssembly memory now. */
  residentTensors: number;
  /** Bytes of tensor data resident in WebAssembly memory now. */
  residentBytes: number;
  /** Size of WebAssembly memory (it never shrinks). */
  wasmBytes: number;
  /** The working-area budget (see `setMemoryBudget`). */
  budgetBytes: number;
}

/**
 * Memory figures. Tensors dropped without `dispose()` are reclaimed by the
 * garbage collector, which reports nothing synchronously (and a
 * FinalizationRegistry per tensor would itself grow memory in a synchronous
 * loop), so these count allocations and what occupies WebAssembly memory,
 * which the budget bounds.
 *
 * @example
 * ```ts
 * import { memoryStats, ones } from "../mod.ts";
 * const before = memoryStats().allocatedTensors;
 * ones(3).add(1);
 * console.log(memoryStats().allocatedTensors - before); // 2
 * ```
 */
export function memoryStats(): MemoryStats {
  return {
    allocatedTensors: allocatedCount,
    disposedTensors: disposedCount,
    residentTensors: residentCount,
    residentBytes,
    wasmBytes: memory.buffer.byteLength,
    budgetBytes: budget,
  };
}

/**
 * Sets the budget of the WebAssembly working area, in bytes (default
 * 128 MiB). WebAssembly memory never shrinks: a lower budget takes effect as
 * the area is reused.
 */
export function setMemoryBudget(bytes: number): void {
  if (!Number.isFinite(bytes) || bytes < PAGE) {
    throw new RangeError(
      `Memory budget must be a finite number of bytes >= ${PAGE}, got ${bytes}`,
    );
  }
  budget = Math.floor(bytes);
  if (areaBase + budget >= limit) return;
  // blocks beyond the new limit go now, so the sweep never has to reach them
  limit = areaBase + budget;
  for (let b = last; b && b.ptr + blockBytes(b) > limit; b = last) evict(b);
  if (cursor > limit) {
    cursor = areaBase;
    victim = head;
  }
}
