// Kernel entry points. Each family lives in its own file; this file only
// re-exports them. Kernels take raw pointers (byte offsets into linear memory)
// and lengths, never allocate, never throw: TypeScript validates first.
export { heapBase } from "./memory";
export { fill } from "./memory";
export { binary, unary } from "./elementwise";
export { reduce } from "./reduce";
export { matmul, matmulScratchBytes, matmulTileRows } from "./matmul";
export { adagradStep, adamaxStep, adamStep, asgdStep, rmspropStep, rpropStep, sgdStep } from "./optim";
