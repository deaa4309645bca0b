/* scrubphi's keyed PRF in C: BLAKE2s-256 in keyed mode (RFC 7693), the twin of
   ``hashlib.blake2s(message, key=key).digest()`` that ``transforms/keyed.py``
   calls.  Written from RFC 7693 for this project (no third-party code).

   Why a state after the key block: in keyed mode the key, zero-padded to 64
   bytes, is BLAKE2s's first block.  It is compressed once per kernel
   (``sp_prf_init``), so a message of up to 64 bytes costs one compression.

   ``sp_prf2`` hashes the concatenation a || b (a tag and a value) without
   copying it first; the output is the 32-byte digest, as hashlib gives it. */
#ifndef SCRUBPHI_PRF_H
#define SCRUBPHI_PRF_H

#include <stdint.h>
#include <string.h>

typedef struct {
    uint32_t h[8];       /* the chain value after the key block */
    uint8_t key[32];     /* the key itself (an empty message finalises the key block) */
    uint32_t klen;
} sp_prf;

static const uint32_t sp_b2s_IV[8] = {
    0x6A09E667u, 0xBB67AE85u, 0x3C6EF372u, 0xA54FF53Au,
    0x510E527Fu, 0x9B05688Cu, 0x1F83D9ABu, 0x5BE0CD19u
};

#define SP_B2S_ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define SP_B2S_G(a, b, c, d, x, y) do { \
    a += b + (x); d = SP_B2S_ROTR(d ^ a, 16); c += d; b = SP_B2S_ROTR(b ^ c, 12); \
    a += b + (y); d = SP_B2S_ROTR(d ^ a, 8); c += d; b = SP_B2S_ROTR(b ^ c, 7); } while (0)

/* The ten rounds written out with the message schedule (RFC 7693's SIGMA) as
   constants: the compiler then addresses m[] directly instead of loading an
   index from a table for every word (a loop over a SIGMA table took about a
   tenth more time). */
#define SP_B2S_ROUND1(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) do { \
    SP_B2S_G(v[0], v[4], v[8], v[12], m[s0], m[s1]); \
    SP_B2S_G(v[1], v[5], v[9], v[13], m[s2], m[s3]); \
    SP_B2S_G(v[2], v[6], v[10], v[14], m[s4], m[s5]); \
    SP_B2S_G(v[3], v[7], v[11], v[15], m[s6], m[s7]); \
    SP_B2S_G(v[0], v[5], v[10], v[15], m[s8], m[s9]); \
    SP_B2S_G(v[1], v[6], v[11], v[12], m[s10], m[s11]); \
    SP_B2S_G(v[2], v[7], v[8], v[13], m[s12], m[s13]); \
    SP_B2S_G(v[3], v[4], v[9], v[14], m[s14], m[s15]); } while (0)
#define SP_B2S_ROUND2(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) do { \
    SP_B2S_G(v[0], v[4], v[8], v[12], m[s0], m[s1]); \
    SP_B2S_G(w[0], w[4], w[8], w[12], n[s0], n[s1]); \
    SP_B2S_G(v[1], v[5], v[9], v[13], m[s2], m[s3]); \
    SP_B2S_G(w[1], w[5], w[9], w[13], n[s2], n[s3]); \
    SP_B2S_G(v[2], v[6], v[10], v[14], m[s4], m[s5]); \
    SP_B2S_G(w[2], w[6], w[10], w[14], n[s4], n[s5]); \
    SP_B2S_G(v[3], v[7], v[11], v[15], m[s6], m[s7]); \
    SP_B2S_G(w[3], w[7], w[11], w[15], n[s6], n[s7]); \
    SP_B2S_G(v[0], v[5], v[10], v[15], m[s8], m[s9]); \
    SP_B2S_G(w[0], w[5], w[10], w[15], n[s8], n[s9]); \
    SP_B2S_G(v[1], v[6], v[11], v[12], m[s10], m[s11]); \
    SP_B2S_G(w[1], w[6], w[11], w[12], n[s10], n[s11]); \
    SP_B2S_G(v[2], v[7], v[8], v[13], m[s12], m[s13]); \
    SP_B2S_G(w[2], w[7], w[8], w[13], n[s12], n[s13]); \
    SP_B2S_G(v[3], v[4], v[9], v[14], m[s14], m[s15]); \
    SP_B2S_G(w[3], w[4], w[9], w[14], n[s14], n[s15]); } while (0)
/* SIGMA's ten rows, in order (RFC 7693, section 2.7). */
#define SP_B2S_ROUNDS(R) do { \
    R(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); \
    R(14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3); \
    R(11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4); \
    R(7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8); \
    R(9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13); \
    R(2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9); \
    R(12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11); \
    R(13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10); \
    R(6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5); \
    R(10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0); } while (0)

/* Little-endian loads and stores on any host. */
static inline uint32_t sp_b2s_load(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void sp_b2s_compress_scalar(uint32_t h[8], const uint8_t block[64], uint64_t t, int last) {
    uint32_t m[16], v[16];
    int i;
    for (i = 0; i < 16; i++) m[i] = sp_b2s_load(block + 4 * i);
    for (i = 0; i < 8; i++) { v[i] = h[i]; v[i + 8] = sp_b2s_IV[i]; }
    v[12] ^= (uint32_t)t;
    v[13] ^= (uint32_t)(t >> 32);
    if (last) v[14] = ~v[14];
    SP_B2S_ROUNDS(SP_B2S_ROUND1);
    for (i = 0; i < 8; i++) h[i] ^= v[i] ^ v[i + 8];
}

#if defined(__SSE2__) || defined(_M_X64) || (defined(_M_IX86_FP) && _M_IX86_FP >= 2)
#define SP_B2S_SIMD 1
#define SP_B2S_VECTOR 1
#include <emmintrin.h>
/* The compression on SSE2 (every x86-64 CPU has it): the state's four rows in four
   registers, a round's four G functions at once on the columns, then on the
   diagonals after rotating rows 1-3 (RFC 7693's G, rearranged as every vector
   BLAKE2 does; written for this project).  About half the instructions of the
   scalar rounds; the same digests (the twin tests hold both to hashlib). */
#define SP_B2S_V_ROR16(x) _mm_shufflehi_epi16(_mm_shufflelo_epi16((x), 0xB1), 0xB1)
#define SP_B2S_V_ROR(x, n) _mm_or_si128(_mm_srli_epi32((x), (n)), _mm_slli_epi32((x), 32 - (n)))
#define SP_B2S_V_HALF(r0, r1, r2, r3, mx, my) do { \
    r0 = _mm_add_epi32(_mm_add_epi32(r0, r1), mx); r3 = SP_B2S_V_ROR16(_mm_xor_si128(r3, r0)); \
    r2 = _mm_add_epi32(r2, r3); r1 = SP_B2S_V_ROR(_mm_xor_si128(r1, r2), 12); \
    r0 = _mm_add_epi32(_mm_add_epi32(r0, r1), my); r3 = SP_B2S_V_ROR(_mm_xor_si128(r3, r0), 8); \
    r2 = _mm_add_epi32(r2, r3); r1 = SP_B2S_V_ROR(_mm_xor_si128(r1, r2), 7); } while (0)
/* One round on the state rows a0..a3 with message words m: columns, diagonals. */
#define SP_B2S_V_ROUND(a0, a1, a2, a3, m, s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15) do { \
    SP_B2S_V_HALF(a0, a1, a2, a3, _mm_set_epi32((int)m[s6], (int)m[s4], (int)m[s2], (int)m[s0]), \
                  _mm_set_epi32((int)m[s7], (int)m[s5], (int)m[s3], (int)m[s1])); \
    a1 = _mm_shuffle_epi32(a1, 0x39); a2 = _mm_shuffle_epi32(a2, 0x4E); a3 = _mm_shuffle_epi32(a3, 0x93); \
    SP_B2S_V_HALF(a0, a1, a2, a3, _mm_set_epi32((int)m[s14], (int)m[s12], (int)m[s10], (int)m[s8]), \
                  _mm_set_epi32((int)m[s15], (int)m[s13], (int)m[s11], (int)m[s9])); \
    a1 = _mm_shuffle_epi32(a1, 0x93); a2 = _mm_shuffle_epi32(a2, 0x4E); a3 = _mm_shuffle_epi32(a3, 0x39); } while (0)
#define SP_B2S_V_ROUND1(...) SP_B2S_V_ROUND(r0, r1, r2, r3, m, __VA_ARGS__)
/* Two compressions' rounds interleaved: two independent chains for the CPU's ports. */
#define SP_B2S_V_ROUND2(...) do { SP_B2S_V_ROUND(r0, r1, r2, r3, m, __VA_ARGS__); \
    SP_B2S_V_ROUND(q0, q1, q2, q3, n, __VA_ARGS__); } while (0)

static inline __m128i sp_b2s_v_load(const uint32_t *p) { return _mm_loadu_si128((const __m128i *)(const void *)p); }
static inline void sp_b2s_v_store(uint32_t *p, __m128i x) { _mm_storeu_si128((__m128i *)(void *)p, x); }

static void sp_b2s_compress(uint32_t h[8], const uint8_t block[64], uint64_t t, int last) {
    uint32_t m[16];
    __m128i r0, r1, r2, r3;
    int i;
    for (i = 0; i < 16; i++) m[i] = sp_b2s_load(block + 4 * i);
    r0 = sp_b2s_v_load(h);
    r1 = sp_b2s_v_load(h + 4);
    r2 = sp_b2s_v_load(sp_b2s_IV);
    r3 = _mm_xor_si128(sp_b2s_v_load(sp_b2s_IV + 4),
                       _mm_set_epi32(0, last ? -1 : 0, (int)(uint32_t)(t >> 32), (int)(uint32_t)t));
    SP_B2S_ROUNDS(SP_B2S_V_ROUND1);
    sp_b2s_v_store(h, _mm_xor_si128(sp_b2s_v_load(h), _mm_xor_si128(r0, r2)));
    sp_b2s_v_store(h + 4, _mm_xor_si128(sp_b2s_v_load(h + 4), _mm_xor_si128(r1, r3)));
}
#else
#define SP_B2S_VECTOR 0
#define sp_b2s_compress sp_b2s_compress_scalar
#endif

/* The parameter block of BLAKE2s-256 with a klen-byte key (fanout 1, depth 1). */
static void sp_b2s_start(uint32_t h[8], size_t klen) {
    int i;
    for (i = 0; i < 8; i++) h[i] = sp_b2s_IV[i];
    h[0] ^= 0x01010000u ^ ((uint32_t)klen << 8) ^ 32u;
}

/* Keys of 1 to 32 bytes (the derived keys are 32). */
static void sp_prf_init(sp_prf *k, const uint8_t *key, size_t klen) {
    uint8_t block[64];
    if (klen > 32) klen = 32;
    memset(k->key, 0, 32);
    memcpy(k->key, key, klen);
    k->klen = (uint32_t)klen;
    sp_b2s_start(k->h, klen);
    memset(block, 0, 64);
    memcpy(block, key, klen);
    sp_b2s_compress(k->h, block, 64, 0);
}

static void sp_b2s_out(const uint32_t h[8], uint8_t out[32]) {
    int i;
    for (i = 0; i < 8; i++) {
        out[4 * i] = (uint8_t)h[i]; out[4 * i + 1] = (uint8_t)(h[i] >> 8);
        out[4 * i + 2] = (uint8_t)(h[i] >> 16); out[4 * i + 3] = (uint8_t)(h[i] >> 24);
    }
}

/* BLAKE2s-256 under k of a || b. */
static void sp_prf2(const sp_prf *k, const uint8_t *a, size_t alen,
                    const uint8_t *b, size_t blen, uint8_t out[32]) {
    uint32_t h[8];
    uint8_t block[64];
    size_t fill = 0, take, n;
    uint64_t t = 64;
    const uint8_t *p;
    int part;
    if (alen + blen == 0) {
        /* No message: the key block is the last block. */
        sp_b2s_start(h, k->klen);
        memset(block, 0, 64);
        memcpy(block, k->key, k->klen);
        sp_b2s_compress(h, block, 64, 1);
        sp_b2s_out(h, out);
        return;
    }
    memcpy(h, k->h, 32);
    if (alen + blen <= 64) {
        /* The usual case: one block. */
        if (alen) memcpy(block, a, alen);
        if (blen) memcpy(block + alen, b, blen);
        fill = alen + blen;
    } else {
        for (part = 0; part < 2; part++) {
            p = part == 0 ? a : b;
            n = part == 0 ? alen : blen;
            while (n > 0) {
                if (fill == 64) {
                    /* More input follows: this block is not the last one. */
                    t += 64;
                    sp_b2s_compress(h, block, t, 0);
                    fill = 0;
                }
                take = 64 - fill < n ? 64 - fill : n;
                memcpy(block + fill, p, take);
                fill += take;
                p += take;
                n -= take;
            }
        }
    }
    memset(block + fill, 0, 64 - fill);
    t += fill;
    sp_b2s_compress(h, block, t, 1);
    sp_b2s_out(h, out);
}

/* Two one-block compressions interleaved: BLAKE2s is latency-bound (each G is a
   chain of dependent adds, xors and rotations), so a second independent chain
   nearly doubles throughput, as the SHA extensions' paired HMACs did. */
#ifdef SP_B2S_SIMD
static void sp_b2s_compress_x2(uint32_t h1[8], const uint8_t block1[64], uint64_t t1,
                               uint32_t h2[8], const uint8_t block2[64], uint64_t t2) {
    uint32_t m[16], n[16];
    __m128i r0, r1, r2, r3, q0, q1, q2, q3;
    int i;
    for (i = 0; i < 16; i++) { m[i] = sp_b2s_load(block1 + 4 * i); n[i] = sp_b2s_load(block2 + 4 * i); }
    r0 = sp_b2s_v_load(h1); r1 = sp_b2s_v_load(h1 + 4);
    q0 = sp_b2s_v_load(h2); q1 = sp_b2s_v_load(h2 + 4);
    r2 = q2 = sp_b2s_v_load(sp_b2s_IV);
    r3 = _mm_xor_si128(sp_b2s_v_load(sp_b2s_IV + 4),
                       _mm_set_epi32(0, -1, (int)(uint32_t)(t1 >> 32), (int)(uint32_t)t1));
    q3 = _mm_xor_si128(sp_b2s_v_load(sp_b2s_IV + 4),
                       _mm_set_epi32(0, -1, (int)(uint32_t)(t2 >> 32), (int)(uint32_t)t2));
    SP_B2S_ROUNDS(SP_B2S_V_ROUND2);
    sp_b2s_v_store(h1, _mm_xor_si128(sp_b2s_v_load(h1), _mm_xor_si128(r0, r2)));
    sp_b2s_v_store(h1 + 4, _mm_xor_si128(sp_b2s_v_load(h1 + 4), _mm_xor_si128(r1, r3)));
    sp_b2s_v_store(h2, _mm_xor_si128(sp_b2s_v_load(h2), _mm_xor_si128(q0, q2)));
    sp_b2s_v_store(h2 + 4, _mm_xor_si128(sp_b2s_v_load(h2 + 4), _mm_xor_si128(q1, q3)));
}
#else
static void sp_b2s_compress_x2(uint32_t h1[8], const uint8_t block1[64], uint64_t t1,
                               uint32_t h2[8], const uint8_t block2[64], uint64_t t2) {
    uint32_t m[16], n[16], v[16], w[16];
    int i;
    for (i = 0; i < 16; i++) { m[i] = sp_b2s_load(block1 + 4 * i); n[i] = sp_b2s_load(block2 + 4 * i); }
    for (i = 0; i < 8; i++) {
        v[i] = h1[i]; v[i + 8] = sp_b2s_IV[i];
        w[i] = h2[i]; w[i + 8] = sp_b2s_IV[i];
    }
    v[12] ^= (uint32_t)t1; v[13] ^= (uint32_t)(t1 >> 32); v[14] = ~v[14];
    w[12] ^= (uint32_t)t2; w[13] ^= (uint32_t)(t2 >> 32); w[14] = ~w[14];
    SP_B2S_ROUNDS(SP_B2S_ROUND2);
    for (i = 0; i < 8; i++) { h1[i] ^= v[i] ^ v[i + 8]; h2[i] ^= w[i] ^ w[i + 8]; }
}

#endif

/* sp_prf2 of a1 || b1 under k1 and of a2 || b2 under k2, interleaved when both
   messages fit one block (1 to 64 bytes); the same digests as two sp_prf2 calls. */
static void sp_prf_pair(const sp_prf *k1, const uint8_t *a1, size_t alen1,
                        const uint8_t *b1, size_t blen1, uint8_t out1[32],
                        const sp_prf *k2, const uint8_t *a2, size_t alen2,
                        const uint8_t *b2, size_t blen2, uint8_t out2[32]) {
    uint32_t h1[8], h2[8];
    uint8_t block1[64], block2[64];
    size_t n1 = alen1 + blen1, n2 = alen2 + blen2;
    if (n1 == 0 || n1 > 64 || n2 == 0 || n2 > 64) {
        sp_prf2(k1, a1, alen1, b1, blen1, out1);
        sp_prf2(k2, a2, alen2, b2, blen2, out2);
        return;
    }
    memset(block1, 0, 64);
    memset(block2, 0, 64);
    if (alen1) memcpy(block1, a1, alen1);
    if (blen1) memcpy(block1 + alen1, b1, blen1);
    if (alen2) memcpy(block2, a2, alen2);
    if (blen2) memcpy(block2 + alen2, b2, blen2);
    memcpy(h1, k1->h, 32);
    memcpy(h2, k2->h, 32);
    sp_b2s_compress_x2(h1, block1, 64 + (uint64_t)n1, h2, block2, 64 + (uint64_t)n2);
    sp_b2s_out(h1, out1);
    sp_b2s_out(h2, out2);
}

#endif
