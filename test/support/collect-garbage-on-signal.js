// Preloaded into the processes of a leak test (`NODE_OPTIONS="--expose-gc --import <this file>"`):
// SIGUSR2 runs a full collection at once. The heap in use that the test then reads from
// `/metrics` is the live data. Without it, V8 runs a full collection only when the heap nears the
// limit it set after the last one (about twice the live data), and the garbage promoted until
// then reads as growth.
process.on('SIGUSR2', () => globalThis.gc());
