// A hint that memory will be read soon: Swift has no spelling for the instruction.
static inline void vicinity_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }
