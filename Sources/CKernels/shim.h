// What Swift cannot spell, or compiles poorly: the prefetch hint, and the squared-L2
// kernel in AVX2 intrinsics (Swift's SIMD8 sums and halves came out as 2-float pieces:
// this runs 3.5x faster a row than the Swift kernel it replaced, with the same bits).
#include <math.h>

// A hint that memory will be read soon.
static inline void vicinity_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

// A query's coordinates in a cluster, in floats: (q − c)·u0, (q − c)·u1 and the length of
// what the two axes (2·dims floats at axes) leave.
static inline void vicinity_shape_coordinates(
    const float *q, const float *centre, const float *axes, long dims, float out[3]) {
    float a0 = 0, a1 = 0, rest = 0;
    for (long t = 0; t < dims; t++) {
        float d = q[t] - centre[t];
        a0 = fmaf(d, axes[t], a0);
        a1 = fmaf(d, axes[dims + t], a1);
    }
    for (long t = 0; t < dims; t++) {
        float r = q[t] - centre[t] - a0 * axes[t] - a1 * axes[dims + t];
        rest = fmaf(r, r, rest);
    }
    out[0] = a0;
    out[1] = a1;
    out[2] = sqrtf(rest);
}

// The first pass over a cluster's window: the slots from..to-1 whose three codes lie within
// worst of the query's coordinates v, each gap less slack, written to out in order, and each
// one's head line (heads + slot·stride) asked for. Returns how many. Codes are two planes of a
// byte a slot: a (the first coordinate's) and b (the second's in the low nibble, the third's in
// the high); cell i of a code spans low[i] + code·width[i] and one width more. Eight slots at
// a time and branch-free: about a quarter pass, in no pattern a predictor could learn.
static inline float vicinity_cell_gap(unsigned code, float low, float width, float v, float slack) {
    float edge = low + (float)code * width;
    return fmaxf(fmaxf(edge - v, v - edge - width) - slack, 0.0f);
}

static inline long vicinity_shape_tail(
    const unsigned char *a, const unsigned char *b, long s, long to, const float v[3], const float low[3],
    const float width[3], float slack, float worst, const float *heads, long stride, int *out, long n) {
    for (; s < to; s++) {
        float g0 = vicinity_cell_gap(a[s], low[0], width[0], v[0], slack);
        float g1 = vicinity_cell_gap(b[s] & 15, low[1], width[1], v[1], slack);
        float g2 = vicinity_cell_gap(b[s] >> 4, low[2], width[2], v[2], slack);
        long keep = g0 * g0 + g1 * g1 + g2 * g2 <= worst;
        out[n] = (int)s;
        if (keep) __builtin_prefetch(heads + s * stride, 0, 3);
        n += keep;
    }
    return n;
}

#if defined(__x86_64__)
#include <immintrin.h>
static inline __attribute__((target("avx2,fma"))) __m256 vicinity_gap8(
    __m256i code, float low, float width, float v, float slack) {
    __m256 edge = _mm256_fmadd_ps(_mm256_cvtepi32_ps(code), _mm256_set1_ps(width), _mm256_set1_ps(low));
    __m256 vq = _mm256_set1_ps(v);
    __m256 g = _mm256_max_ps(_mm256_sub_ps(edge, vq), _mm256_sub_ps(_mm256_sub_ps(vq, edge), _mm256_set1_ps(width)));
    return _mm256_max_ps(_mm256_sub_ps(g, _mm256_set1_ps(slack)), _mm256_setzero_ps());
}

static inline __attribute__((target("avx2,fma"))) long vicinity_shape_candidates(
    const unsigned char *a, const unsigned char *b, long from, long to, const float v[3], const float low[3],
    const float width[3], float slack, float worst, const float *heads, long stride, int *out) {
    long n = 0, s = from;
    __m256 limit = _mm256_set1_ps(worst);
    __m256i nibble = _mm256_set1_epi32(15);
    for (; s + 8 <= to; s += 8) {
        __m256i ca = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(a + s)));
        __m256i cb = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(b + s)));
        __m256 g0 = vicinity_gap8(ca, low[0], width[0], v[0], slack);
        __m256 g1 = vicinity_gap8(_mm256_and_si256(cb, nibble), low[1], width[1], v[1], slack);
        __m256 g2 = vicinity_gap8(_mm256_srli_epi32(cb, 4), low[2], width[2], v[2], slack);
        __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(g0, g0), _mm256_mul_ps(g1, g1)), _mm256_mul_ps(g2, g2));
        unsigned mask = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(sum, limit, _CMP_LE_OQ));
        while (mask) {
            long i = s + __builtin_ctz(mask);
            __builtin_prefetch(heads + i * stride, 0, 3);
            out[n++] = (int)i;
            mask &= mask - 1;
        }
    }
    return vicinity_shape_tail(a, b, s, to, v, low, width, slack, worst, heads, stride, out, n);
}
#else
static inline long vicinity_shape_candidates(
    const unsigned char *a, const unsigned char *b, long from, long to, const float v[3], const float low[3],
    const float width[3], float slack, float worst, const float *heads, long stride, int *out) {
    return vicinity_shape_tail(a, b, from, to, v, low, width, slack, worst, heads, stride, out, 0);
}
#endif

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

// The sum vicinity_squared_l2 stops at: a's first 16 dimensions against head, same bits.
static inline VICINITY_AVX2 float vicinity_head_l2(const float *a, const float *head) {
    __m256 d0 = vicinity_diff(a, head), d1 = vicinity_diff(a + 8, head + 8);
    __m256 acc0 = _mm256_fmadd_ps(d0, d0, _mm256_setzero_ps()), acc1 = _mm256_fmadd_ps(d1, d1, _mm256_setzero_ps());
    return vicinity_tree_sum(_mm256_add_ps(acc0, acc1));
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

static inline float vicinity_head_l2(const float *a, const float *head) {
    float acc0[8] = {0}, acc1[8] = {0}, sum[8];
    vicinity_fma8(acc0, a, head, 0);
    vicinity_fma8(acc1, a + 8, head + 8, 0);
    for (int l = 0; l < 8; l++) sum[l] = acc0[l] + acc1[l];
    return vicinity_tree_sum(sum);
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
