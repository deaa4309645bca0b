# Included by _fast.pyx: the keyed functions and wide arithmetic in C (fast division
# by constants, 128- and 256-bit numbers, SipHash-2-4, SHA-256 and HMAC, the
# BLAKE2s PRF of _prf.h, Feistel permutations past 2**124), and their test hooks.

cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    #include <math.h>
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    #include <immintrin.h>
    #include <cpuid.h>
    #define SP_HAVE_SHANI 1
    #endif

    static const uint32_t sp_K[64] = {
        0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u, 0x923f82a4u, 0xab1c5ed5u,
        0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u, 0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u,
        0xe49b69c1u, 0xefbe4786u, 0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
        0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u, 0x06ca6351u, 0x14292967u,
        0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u, 0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u,
        0xa2bfe8a1u, 0xa81a664bu, 0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
        0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au, 0x5b9cca4fu, 0x682e6ff3u,
        0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u, 0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u
    };
    static const uint32_t sp_IV[8] = {
        0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
        0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u
    };

    #define SP_ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

    #if defined(__GNUC__) || defined(__clang__)
    #define sp_prefetch(p) __builtin_prefetch((const void *)(p))
    #else
    #define sp_prefetch(p) ((void)(p))
    #endif
    #if defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
    #include <emmintrin.h>
    #define SP_HAVE_SSE2 1
    #endif

    /* memcpy for the short spans of a row (fields, the text between them): the
       library call costs more than the copy; non-overlapping buffers only. */
    static inline void sp_copy(char *d, const char *s, Py_ssize_t n) {
        uint64_t a, b;
        uint32_t c, e;
        if (n > 16) {
            memcpy(d, s, (size_t)n);
        } else if (n >= 8) {
            memcpy(&a, s, 8); memcpy(&b, s + n - 8, 8);
            memcpy(d, &a, 8); memcpy(d + n - 8, &b, 8);
        } else if (n >= 4) {
            memcpy(&c, s, 4); memcpy(&e, s + n - 4, 4);
            memcpy(d, &c, 4); memcpy(d + n - 4, &e, 4);
        } else {
            Py_ssize_t i;
            for (i = 0; i < n; i++) d[i] = s[i];
        }
    }

    /* One pass over a row s[0:n): its tabs go to *tabs; returns 1 when it holds a
       carriage return or a backslash (the row then needs the full check). */
    static int sp_scan_row(const char *s, Py_ssize_t n, Py_ssize_t *tabs) {
        Py_ssize_t i = 0, k = 0;
        int odd = 0;
    #ifdef SP_HAVE_SSE2
        const __m128i tab = _mm_set1_epi8(9), cr = _mm_set1_epi8(13),
                      bs = _mm_set1_epi8(92);
        const __m128i zero = _mm_setzero_si128();
        __m128i any = zero, acc = zero, sums = zero;
        uint64_t lanes[2];
        int steps = 0;
        for (; i + 16 <= n; i += 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            /* Tabs counted per byte lane (a match is -1) and summed every 255 blocks:
               no popcount, which without -mpopcnt is a libgcc call per block. */
            acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(v, tab));
            any = _mm_or_si128(any, _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, bs)));
            if (++steps == 255) {
                sums = _mm_add_epi64(sums, _mm_sad_epu8(acc, zero));
                acc = zero;
                steps = 0;
            }
        }
        sums = _mm_add_epi64(sums, _mm_sad_epu8(acc, zero));
        _mm_storeu_si128((__m128i *)lanes, sums);
        k += (Py_ssize_t)(lanes[0] + lanes[1]);
        odd = _mm_movemask_epi8(any) != 0;
    #endif
        for (; i < n; i++) {
            char c = s[i];
            k += c == 9;
            odd |= c == 13 || c == 92;
        }
        *tabs = k;
        return odd;
    }

    /* The tabs of s[0:n): the first `max` offsets (plus `off`) go to pos; returns
       how many tabs there are in all. */
    static Py_ssize_t sp_tabs(const char *s, Py_ssize_t n, Py_ssize_t off,
                              Py_ssize_t *pos, Py_ssize_t max) {
        Py_ssize_t i = 0, k = 0;
    #ifdef SP_HAVE_SSE2
        const __m128i tab = _mm_set1_epi8(9);
        for (; i + 16 <= n; i += 16) {
            unsigned m = (unsigned)_mm_movemask_epi8(
                _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(s + i)), tab));
            while (m) {
                if (k < max) pos[k] = off + i + __builtin_ctz(m);
                k++;
                m &= m - 1;
            }
        }
    #endif
        for (; i < n; i++) {
            if (s[i] == 9) {
                if (k < max) pos[k] = off + i;
                k++;
            }
        }
        return k;
    }

    static void sp_sha256_portable(uint32_t st[8], const uint8_t *p) {
        uint32_t w[64], a, b, c, d, e, f, g, h, t1, t2;
        int i;
        for (i = 0; i < 16; i++)
            w[i] = ((uint32_t)p[4*i] << 24) | ((uint32_t)p[4*i+1] << 16)
                 | ((uint32_t)p[4*i+2] << 8) | (uint32_t)p[4*i+3];
        for (i = 16; i < 64; i++) {
            uint32_t s0 = SP_ROR(w[i-15], 7) ^ SP_ROR(w[i-15], 18) ^ (w[i-15] >> 3);
            uint32_t s1 = SP_ROR(w[i-2], 17) ^ SP_ROR(w[i-2], 19) ^ (w[i-2] >> 10);
            w[i] = w[i-16] + s0 + w[i-7] + s1;
        }
        a = st[0]; b = st[1]; c = st[2]; d = st[3]; e = st[4]; f = st[5]; g = st[6]; h = st[7];
        for (i = 0; i < 64; i++) {
            t1 = h + (SP_ROR(e, 6) ^ SP_ROR(e, 11) ^ SP_ROR(e, 25)) + ((e & f) ^ (~e & g)) + sp_K[i] + w[i];
            t2 = (SP_ROR(a, 2) ^ SP_ROR(a, 13) ^ SP_ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
        }
        st[0] += a; st[1] += b; st[2] += c; st[3] += d; st[4] += e; st[5] += f; st[6] += g; st[7] += h;
    }

    #ifdef SP_HAVE_SHANI
    #define SP_KV(r) _mm_loadu_si128((const __m128i*)&sp_K[r])
    #define SP_QUAD(cur, r) \
        MSG = _mm_add_epi32(cur, SP_KV(r)); \
        STATE1 = _mm_sha256rnds2_epu32(STATE1, STATE0, MSG); \
        MSG = _mm_shuffle_epi32(MSG, 0x0E); \
        STATE0 = _mm_sha256rnds2_epu32(STATE0, STATE1, MSG);
    #define SP_QUAD_X(cur, prev, next, r, do1) \
        MSG = _mm_add_epi32(cur, SP_KV(r)); \
        STATE1 = _mm_sha256rnds2_epu32(STATE1, STATE0, MSG); \
        TMP = _mm_alignr_epi8(cur, prev, 4); \
        next = _mm_add_epi32(next, TMP); \
        next = _mm_sha256msg2_epu32(next, cur); \
        MSG = _mm_shuffle_epi32(MSG, 0x0E); \
        STATE0 = _mm_sha256rnds2_epu32(STATE0, STATE1, MSG); \
        if (do1) prev = _mm_sha256msg1_epu32(prev, cur);

    __attribute__((target("sha,sse4.1,ssse3")))
    static void sp_sha256_shani(uint32_t st[8], const uint8_t *p) {
        __m128i STATE0, STATE1, MSG, TMP, MSG0, MSG1, MSG2, MSG3, ABEF, CDGH;
        const __m128i MASK = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
        TMP = _mm_loadu_si128((const __m128i*)&st[0]);
        STATE1 = _mm_loadu_si128((const __m128i*)&st[4]);
        TMP = _mm_shuffle_epi32(TMP, 0xB1);
        STATE1 = _mm_shuffle_epi32(STATE1, 0x1B);
        STATE0 = _mm_alignr_epi8(TMP, STATE1, 8);
        STATE1 = _mm_blend_epi16(STATE1, TMP, 0xF0);
        ABEF = STATE0;
        CDGH = STATE1;
        MSG0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(p + 0)), MASK);
        MSG1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(p + 16)), MASK);
        MSG2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(p + 32)), MASK);
        MSG3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i*)(p + 48)), MASK);
        SP_QUAD(MSG0, 0)
        SP_QUAD(MSG1, 4)
        MSG0 = _mm_sha256msg1_epu32(MSG0, MSG1);
        SP_QUAD(MSG2, 8)
        MSG1 = _mm_sha256msg1_epu32(MSG1, MSG2);
        SP_QUAD_X(MSG3, MSG2, MSG0, 12, 1)
        SP_QUAD_X(MSG0, MSG3, MSG1, 16, 1)
        SP_QUAD_X(MSG1, MSG0, MSG2, 20, 1)
        SP_QUAD_X(MSG2, MSG1, MSG3, 24, 1)
        SP_QUAD_X(MSG3, MSG2, MSG0, 28, 1)
        SP_QUAD_X(MSG0, MSG3, MSG1, 32, 1)
        SP_QUAD_X(MSG1, MSG0, MSG2, 36, 1)
        SP_QUAD_X(MSG2, MSG1, MSG3, 40, 1)
        SP_QUAD_X(MSG3, MSG2, MSG0, 44, 1)
        SP_QUAD_X(MSG0, MSG3, MSG1, 48, 1)
        SP_QUAD_X(MSG1, MSG0, MSG2, 52, 0)
        SP_QUAD_X(MSG2, MSG1, MSG3, 56, 0)
        SP_QUAD(MSG3, 60)
        STATE0 = _mm_add_epi32(STATE0, ABEF);
        STATE1 = _mm_add_epi32(STATE1, CDGH);
        TMP = _mm_shuffle_epi32(STATE0, 0x1B);
        STATE1 = _mm_shuffle_epi32(STATE1, 0xB1);
        STATE0 = _mm_blend_epi16(TMP, STATE1, 0xF0);
        STATE1 = _mm_alignr_epi8(STATE1, TMP, 8);
        _mm_storeu_si128((__m128i*)&st[0], STATE0);
        _mm_storeu_si128((__m128i*)&st[4], STATE1);
    }

    static int sp_cpu_has_sha(void) {
        unsigned int a, b, c, d;
        if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
        if (!(c & (1u << 19)) || !(c & (1u << 9))) return 0;  /* SSE4.1, SSSE3 */
        if (__get_cpuid_max(0, 0) < 7) return 0;
        __cpuid_count(7, 0, a, b, c, d);
        return (b & (1u << 29)) != 0;  /* SHA */
    }
    #endif

    static void (*sp_compress)(uint32_t *, const uint8_t *) = sp_sha256_portable;

    /* Choose the SHA-256 block function; returns 1 when the SHA extensions are used. */
    static int sp_select(int allow_hw) {
        sp_compress = sp_sha256_portable;
    #ifdef SP_HAVE_SHANI
        if (allow_hw && sp_cpu_has_sha()) { sp_compress = sp_sha256_shani; return 1; }
    #endif
        return 0;
    }

    typedef struct { uint32_t st[8]; uint8_t buf[64]; size_t fill; uint64_t total; } sp_sha;

    static void sp_sha_update(sp_sha *s, const uint8_t *p, size_t n) {
        s->total += n;
        if (s->fill) {
            size_t take = 64 - s->fill;
            if (take > n) take = n;
            memcpy(s->buf + s->fill, p, take);
            s->fill += take; p += take; n -= take;
            if (s->fill < 64) return;
            sp_compress(s->st, s->buf);
            s->fill = 0;
        }
        while (n >= 64) { sp_compress(s->st, p); p += 64; n -= 64; }
        if (n) { memcpy(s->buf, p, n); s->fill = n; }
    }

    static void sp_sha_final(sp_sha *s, uint8_t out[32]) {
        uint64_t bits = s->total * 8;
        int i;
        s->buf[s->fill++] = 0x80;
        if (s->fill > 56) {
            memset(s->buf + s->fill, 0, 64 - s->fill);
            sp_compress(s->st, s->buf);
            s->fill = 0;
        }
        memset(s->buf + s->fill, 0, 56 - s->fill);
        for (i = 0; i < 8; i++) s->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
        sp_compress(s->st, s->buf);
        for (i = 0; i < 8; i++) {
            out[4*i] = (uint8_t)(s->st[i] >> 24); out[4*i+1] = (uint8_t)(s->st[i] >> 16);
            out[4*i+2] = (uint8_t)(s->st[i] >> 8); out[4*i+3] = (uint8_t)s->st[i];
        }
    }

    /* HMAC-SHA256 with the key's padded blocks absorbed once: a short message costs
       one inner and one outer compression. */
    typedef struct { uint32_t inner[8]; uint32_t outer[8]; } sp_hmac;

    static void sp_hmac_init(sp_hmac *h, const uint8_t *key, size_t klen) {
        uint8_t k[64], blk[64];
        int i;
        sp_sha s;
        memset(k, 0, 64);
        if (klen > 64) {
            memcpy(s.st, sp_IV, 32); s.fill = 0; s.total = 0;
            sp_sha_update(&s, key, klen);
            sp_sha_final(&s, k);
        } else if (klen) {
            memcpy(k, key, klen);
        }
        for (i = 0; i < 64; i++) blk[i] = k[i] ^ 0x36;
        memcpy(h->inner, sp_IV, 32); sp_compress(h->inner, blk);
        for (i = 0; i < 64; i++) blk[i] = k[i] ^ 0x5c;
        memcpy(h->outer, sp_IV, 32); sp_compress(h->outer, blk);
    }

    static void sp_hmac2(const sp_hmac *h, const uint8_t *a, size_t alen,
                         const uint8_t *b, size_t blen, uint8_t out[32]) {
        sp_sha s;
        uint8_t mid[32];
        size_t total = alen + blen;
        if (total <= 119) {
            /* The usual case: the message and its padding fill one or two blocks. */
            uint8_t buf[128];
            uint32_t st[8];
            size_t nblk = total <= 55 ? 64 : 128;
            uint64_t bits = (uint64_t)(64 + total) * 8;
            int i;
            if (alen) memcpy(buf, a, alen);
            if (blen) memcpy(buf + alen, b, blen);
            buf[total] = 0x80;
            memset(buf + total + 1, 0, nblk - 8 - total - 1);
            for (i = 0; i < 8; i++) buf[nblk - 8 + i] = (uint8_t)(bits >> (56 - 8 * i));
            memcpy(st, h->inner, 32);
            sp_compress(st, buf);
            if (nblk == 128) sp_compress(st, buf + 64);
            for (i = 0; i < 8; i++) {
                buf[4*i] = (uint8_t)(st[i] >> 24); buf[4*i+1] = (uint8_t)(st[i] >> 16);
                buf[4*i+2] = (uint8_t)(st[i] >> 8); buf[4*i+3] = (uint8_t)st[i];
            }
            buf[32] = 0x80;
            memset(buf + 33, 0, 64 - 33 - 2);
            buf[62] = 0x03; buf[63] = 0x00;  /* (64 + 32) * 8 = 768 bits */
            memcpy(st, h->outer, 32);
            sp_compress(st, buf);
            for (i = 0; i < 8; i++) {
                out[4*i] = (uint8_t)(st[i] >> 24); out[4*i+1] = (uint8_t)(st[i] >> 16);
                out[4*i+2] = (uint8_t)(st[i] >> 8); out[4*i+3] = (uint8_t)st[i];
            }
            return;
        }
        memcpy(s.st, h->inner, 32); s.fill = 0; s.total = 64;
        sp_sha_update(&s, a, alen);
        sp_sha_update(&s, b, blen);
        sp_sha_final(&s, mid);
        memcpy(s.st, h->outer, 32); s.fill = 0; s.total = 64;
        sp_sha_update(&s, mid, 32);
        sp_sha_final(&s, out);
    }

    /* SipHash-2-4 state after the key, and the hash of a message under 8 bytes
       given as its final block (length in the top byte). */
    #define SP_ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
    #define SP_SIPROUND do { \
        v0 += v1; v1 = SP_ROTL64(v1, 13); v1 ^= v0; v0 = SP_ROTL64(v0, 32); \
        v2 += v3; v3 = SP_ROTL64(v3, 16); v3 ^= v2; \
        v0 += v3; v3 = SP_ROTL64(v3, 21); v3 ^= v0; \
        v2 += v1; v1 = SP_ROTL64(v1, 17); v1 ^= v2; v2 = SP_ROTL64(v2, 32); } while (0)

    static inline uint64_t sp_sip_short(const uint64_t init[4], uint64_t m) {
        uint64_t v0 = init[0], v1 = init[1], v2 = init[2], v3 = init[3];
        v3 ^= m;
        SP_SIPROUND; SP_SIPROUND;
        v0 ^= m;
        v2 ^= 0xff;
        SP_SIPROUND; SP_SIPROUND; SP_SIPROUND; SP_SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /* SipHash-2-4's state after its 16-byte key (little-endian halves). */
    static inline void sp_sip_init(uint64_t v[4], const uint8_t key[16]) {
        uint64_t k0 = 0, k1 = 0;
        int j;
        for (j = 7; j >= 0; j--) { k0 = (k0 << 8) | key[j]; k1 = (k1 << 8) | key[8 + j]; }
        v[0] = k0 ^ 0x736f6d6570736575ULL; v[1] = k1 ^ 0x646f72616e646f6dULL;
        v[2] = k0 ^ 0x6c7967656e657261ULL; v[3] = k1 ^ 0x7465646279746573ULL;
    }

    /* SipHash-2-4's last block m and finalisation, from a state after the key (and
       after any earlier block). */
    static inline uint64_t sp_sip_last(uint64_t v0, uint64_t v1, uint64_t v2, uint64_t v3,
                                       uint64_t m) {
        v3 ^= m; SP_SIPROUND; SP_SIPROUND; v0 ^= m;
        v2 ^= 0xff;
        SP_SIPROUND; SP_SIPROUND; SP_SIPROUND; SP_SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /* SipHash-2-4 blocks of p (nblk of 8 bytes, little-endian) into the state v. */
    static inline void sp_sip_absorb(uint64_t v[4], const uint8_t *p, size_t nblk) {
        uint64_t v0 = v[0], v1 = v[1], v2 = v[2], v3 = v[3], m;
        size_t i;
        int j;
        for (i = 0; i < nblk; i++, p += 8) {
            m = 0;
            for (j = 7; j >= 0; j--) m = (m << 8) | p[j];
            v3 ^= m; SP_SIPROUND; SP_SIPROUND; v0 ^= m;
        }
        v[0] = v0; v[1] = v1; v[2] = v2; v[3] = v3;
    }

    /* SipHash-2-4 of a message of ``total`` bytes from the state v after its first
       blocks (the key's state for a whole message: ``sp_siphash``): p holds the rest
       (rest bytes). */
    static inline uint64_t sp_sip_finish(const uint64_t v[4], const uint8_t *p, size_t rest,
                                         size_t total) {
        uint64_t st[4], m;
        size_t full = rest - rest % 8;
        int j;
        memcpy(st, v, sizeof(st));
        sp_sip_absorb(st, p, full / 8);
        m = ((uint64_t)(total & 0xff)) << 56;
        for (j = (int)(rest - full) - 1; j >= 0; j--) m |= ((uint64_t)p[full + j]) << (8 * j);
        return sp_sip_last(st[0], st[1], st[2], st[3], m);
    }

    static uint64_t sp_siphash(const uint8_t key[16], const uint8_t *p, size_t n) {
        uint64_t v[4];
        sp_sip_init(v, key);
        return sp_sip_finish(v, p, n, n);
    }

    /* Divide a 256-bit big-endian number (8 limbs, most significant first) by d in place. */
    static inline uint32_t sp_divmod(uint32_t n[8], uint32_t d) {
        uint64_t r = 0;
        int i;
        for (i = 0; i < 8; i++) {
            uint64_t cur = (r << 32) | n[i];
            n[i] = (uint32_t)(cur / d);
            r = cur % d;
        }
        return (uint32_t)r;
    }

    /* 2**(32*k) mod m for the limbs k = 0 (least significant) .. 7. */
    static void sp_mod_powers(uint64_t m, uint64_t pw[8]) {
        int k;
        uint64_t p = 1 % m, t32 = (((uint64_t)1) << 32) % m;
        for (k = 0; k < 8; k++) {
    #ifdef __SIZEOF_INT128__
            pw[k] = p;
            p = (uint64_t)(((unsigned __int128)p * t32) % m);
    #else
            pw[k] = 0; (void)p; (void)t32;
    #endif
        }
    }

    /* The 256-bit big-endian number n (8 limbs) modulo m, for 1 <= m < 2**63. */
    static uint64_t sp_mod256(const uint32_t n[8], uint64_t m, const uint64_t pw[8]) {
    #ifdef __SIZEOF_INT128__
        unsigned __int128 acc = 0;
        int k;
        for (k = 0; k < 8; k++) acc += (unsigned __int128)n[7 - k] * pw[k];
        return (uint64_t)(acc % m);
    #else
        uint64_t r = 0;
        int i, b;
        (void)pw;
        for (i = 0; i < 8; i++)
            for (b = 31; b >= 0; b--) {
                r = (r << 1) | ((n[i] >> b) & 1u);
                if (r >= m) r -= m;
            }
        return r;
    #endif
    }

    /* Equality of two short byte strings without a libc call. */
    static inline int sp_eq(const char *a, const char *b, Py_ssize_t n) {
        uint64_t x, y;
        while (n >= 8) {
            memcpy(&x, a, 8); memcpy(&y, b, 8);
            if (x != y) return 0;
            a += 8; b += 8; n -= 8;
        }
        while (n > 0) { if (*a != *b) return 0; a++; b++; n--; }
        return 1;
    }

    /* x mod d for 64-bit x and 1 <= d < 2**32 without a divide (Lemire, Kaser and
       Kurz, "Faster remainder by direct computation", 2019): m = ceil(2**128 / d). */
    typedef struct { uint64_t lo, hi, d; } sp_fastmod;

    static void sp_fastmod_init(sp_fastmod *f, uint64_t d) {
        f->d = d;
    #ifdef __SIZEOF_INT128__
        {
            unsigned __int128 m = ((unsigned __int128)0 - 1) / d + 1;
            f->lo = (uint64_t)m; f->hi = (uint64_t)(m >> 64);
        }
    #else
        f->lo = f->hi = 0;
    #endif
    }

    /* x // d for any 64-bit x with the same m (Lemire, Kaser and Kurz's theorem 1:
       a 128-bit m is exact for 64-bit numerators and divisors; m wraps to 0 for
       d = 1, a Feistel half of a two-value domain). */
    static inline uint64_t sp_fastdiv_apply(const sp_fastmod *f, uint64_t x) {
    #ifdef __SIZEOF_INT128__
        unsigned __int128 low;
        if (f->d == 1) return x;
        low = ((unsigned __int128)f->lo * x) >> 64;
        return (uint64_t)(((unsigned __int128)f->hi * x + low) >> 64);
    #else
        return x / f->d;
    #endif
    }

    static inline uint64_t sp_fastmod_apply(const sp_fastmod *f, uint64_t x) {
    #ifdef __SIZEOF_INT128__
        unsigned __int128 low = (unsigned __int128)f->lo * x;
        uint64_t lhi = (uint64_t)(low >> 64) + f->hi * x;
        unsigned __int128 t = ((unsigned __int128)(uint64_t)low * f->d) >> 64;
        unsigned __int128 u = (unsigned __int128)lhi * f->d + t;
        return (uint64_t)(u >> 64);
    #else
        return x % f->d;
    #endif
    }

    /* A 256-bit big-endian digest modulo d < 2**32 (``sp_fastmod``), as the sum of
       its four 64-bit words (most significant first), each reduced and weighted by
       pw[k] = 2**(64k) mod d: five multiplications where a byte at a time took 32
       dependent divides.  Exact: each term is below d**2 < 2**64 / 4. */
    /* Eight bytes big-endian: one load and one byte swap where the compiler has it
       (a date shift per patient reads four of them a row), byte by byte elsewhere. */
    static inline uint64_t sp_load_be64(const uint8_t *p) {
    #if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        uint64_t x;
        memcpy(&x, p, 8);
        return __builtin_bswap64(x);
    #else
        uint64_t x = 0;
        int j;
        for (j = 0; j < 8; j++) x = (x << 8) | p[j];
        return x;
    #endif
    }

    static inline uint32_t sp_load_be32(const uint8_t *p) {
    #if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        uint32_t x;
        memcpy(&x, p, 4);
        return __builtin_bswap32(x);
    #else
        return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
    #endif
    }

    static inline uint64_t sp_digest_mod(const uint8_t dg[32], const sp_fastmod *f,
                                         const uint64_t pw[4]) {
        uint64_t w[4], acc = 0;
        int i;
        for (i = 0; i < 4; i++) w[i] = sp_load_be64(dg + 8 * i);
        for (i = 0; i < 4; i++) acc += sp_fastmod_apply(f, w[3 - i]) * pw[i];
        return sp_fastmod_apply(f, acc);
    }

    /* The pure twin's big-domain Feistel (two SipHash blocks per round) needs
       128-bit integers; without them the kernels decline such domains. */
    #ifdef __SIZEOF_INT128__
    typedef unsigned __int128 sp_u128;
    #define SP_HAVE_U128 1
    #else
    typedef unsigned long long sp_u128;
    #define SP_HAVE_U128 0
    #endif

    /* *total *= t unless the product passes 2**124 (2**62 without 128-bit
       integers): returns 0 then, and leaves *total as it was.  The test
       ``total > top // t`` without a 128-bit divide. */
    static inline int sp_mul_within(sp_u128 *total, uint64_t t) {
    #if SP_HAVE_U128
        sp_u128 lo = (sp_u128)(uint64_t)*total * t;
        sp_u128 hi = (sp_u128)(uint64_t)(*total >> 64) * t + (lo >> 64);
        const sp_u128 lim = ((sp_u128)1) << 60;   /* 2**124 / 2**64 */
        if (hi > lim || (hi == lim && (uint64_t)lo != 0)) return 0;
        *total = (hi << 64) | (uint64_t)lo;
        return 1;
    #else
        if (*total > (((sp_u128)1) << 62) / t) return 0;
        *total *= t;
        return 1;
    #endif
    }

    /* floor(sqrt(v)) for v < 2**126. */
    static uint64_t sp_isqrt128(sp_u128 v) {
        uint64_t r = (uint64_t)sqrtl((long double)v);
        while (r > 0 && (sp_u128)r * r > v) r--;
        while ((sp_u128)(r + 1) * (r + 1) <= v) r++;
        return r;
    }

    /* The low `width` bytes of v (1 <= width <= 8) in big-endian order, as the bytes
       1.. of a SipHash block (little-endian): the Feistel rounds' message i || lo. */
    static inline uint64_t sp_be_bytes(uint64_t v, int width) {
    #if defined(__GNUC__) || defined(__clang__)
        return (__builtin_bswap64(v) >> (64 - 8 * width)) << 8;
    #else
        uint64_t m = 0;
        int j;
        for (j = 0; j < width; j++) m |= ((v >> (8 * (width - 1 - j))) & 0xFF) << (8 * (1 + j));
        return m;
    #endif
    }

    /* SipHash-2-4 of a message of at most 15 bytes from the state after the key
       (``init``): the key is not parsed again and the message is read in words. */
    static inline uint64_t sp_sip_msg(const uint64_t init[4], const uint8_t *p, int n) {
        uint64_t v0 = init[0], v1 = init[1], v2 = init[2], v3 = init[3], m = 0;
        int j, full = n >= 8 ? 8 : 0;
        if (full) {
            for (j = 7; j >= 0; j--) m = (m << 8) | p[j];
            v3 ^= m; SP_SIPROUND; SP_SIPROUND; v0 ^= m;
        }
        m = ((uint64_t)(n & 0xff)) << 56;
        for (j = n - full - 1; j >= 0; j--) m |= ((uint64_t)p[full + j]) << (8 * j);
        v3 ^= m; SP_SIPROUND; SP_SIPROUND; v0 ^= m;
        v2 ^= 0xff;
        SP_SIPROUND; SP_SIPROUND; SP_SIPROUND; SP_SIPROUND;
        return v0 ^ v1 ^ v2 ^ v3;
    }

    /* Division by an invariant 64-bit divisor below 2**63 (Moller and Granlund,
       "Improved division by invariant integers", 2011, algorithm 4): the divisor
       shifted left until its top bit is set and its reciprocal, computed once per
       Feistel half, so a round's 128-bit remainder costs two multiplications
       instead of a hardware divide (``__umodti3``).  The results are exactly the
       ``%`` and ``//`` of the pure twin's integers. */
    typedef struct { uint64_t d, dn, v; int s; } sp_div;

    static void sp_div_init(sp_div *p, uint64_t d) {
    #if SP_HAVE_U128
        int s = 0;
        while (s < 63 && !((d << s) >> 63)) s++;
        p->d = d; p->s = s; p->dn = d << s;
        p->v = p->dn ? (uint64_t)(((((sp_u128)(~p->dn)) << 64) | ~(uint64_t)0) / p->dn) : 0;
    #else
        p->d = d; p->s = 0; p->dn = d; p->v = 0;
    #endif
    }

    #if SP_HAVE_U128
    /* (u1:u0) = q * dn + r for a normalised dn and u1 < dn: returns r, q in *q. */
    static inline uint64_t sp_div21(uint64_t u1, uint64_t u0, const sp_div *p, uint64_t *q) {
        sp_u128 t = (sp_u128)p->v * u1 + ((((sp_u128)u1) << 64) | u0);
        uint64_t q1 = (uint64_t)(t >> 64) + 1, q0 = (uint64_t)t;
        uint64_t r = u0 - q1 * p->dn;
        if (r > q0) { q1--; r += p->dn; }
        if (r >= p->dn) { q1++; r -= p->dn; }
        *q = q1;
        return r;
    }

    /* (hi * 2**64 + lo) mod d, for 1 <= d < 2**63 (so the shift s is 1 to 63). */
    static inline uint64_t sp_mod128(const sp_div *p, uint64_t hi, uint64_t lo) {
        int s = p->s;
        uint64_t q, r;
        r = sp_div21(hi >> (64 - s), (hi << s) | (lo >> (64 - s)), p, &q);
        r = sp_div21(r, lo << s, p, &q);
        return r >> s;
    }
    #endif


    /* One pass of ``Permutation._once`` for a two-block domain: round i hashes
       i || lo (width bytes, big-endian) || j for j = 0, 1 and reads the two
       SipHash outputs as one 128-bit number, reduced modulo a or b.

       The message (width + 2 <= 10 bytes) is built as one little-endian 128-bit
       word from a byte swap of lo; from width 7 on, the first 8 bytes do not hold
       j and both hashes share their first block.  ``a`` and ``b`` are the halves
       with their reciprocals (``sp_div_init``); x < a * b. */
    static sp_u128 sp_feistel2(const uint64_t init[4], const sp_div *a, const sp_div *b,
                               int width, sp_u128 x) {
    #if SP_HAVE_U128
        uint64_t hi, lo, t, f0, f1, m0, m1;
        uint64_t len = ((uint64_t)(width + 2)) << 56;
        uint64_t xh = (uint64_t)(x >> 64), xl = (uint64_t)x;
        uint64_t a0, a1, a2, a3, c0, c1, c2, c3;
        int s = b->s, i, jshift = 8 * (width + 1);
        const sp_div *dm;
        sp_u128 w, w1;
        /* hi, lo = divmod(x, b): x < a * b < b * 2**64, so the quotient fits 64 bits. */
        lo = sp_div21((xh << s) | (xl >> (64 - s)), xl << s, b, &hi) >> s;
        for (i = 0; i < 8; i++) {
            dm = (i % 2 == 0) ? a : b;
            w = (((sp_u128)(__builtin_bswap64(lo) >> (64 - 8 * width))) << 8) | (uint64_t)i;
            w1 = w | (((sp_u128)1) << jshift);
            if (width >= 6) {
                uint64_t v0 = init[0], v1 = init[1], v2 = init[2], v3 = init[3];
                m0 = (uint64_t)w;
                v3 ^= m0; SP_SIPROUND; SP_SIPROUND; v0 ^= m0;
                a0 = v0; a1 = v1; a2 = v2; a3 = v3;
                if (width >= 7) {
                    c0 = a0; c1 = a1; c2 = a2; c3 = a3;
                } else {
                    m1 = (uint64_t)w1;
                    v0 = init[0]; v1 = init[1]; v2 = init[2]; v3 = init[3];
                    v3 ^= m1; SP_SIPROUND; SP_SIPROUND; v0 ^= m1;
                    c0 = v0; c1 = v1; c2 = v2; c3 = v3;
                }
                f0 = sp_sip_last(a0, a1, a2, a3, (uint64_t)(w >> 64) | len);
                f1 = sp_sip_last(c0, c1, c2, c3, (uint64_t)(w1 >> 64) | len);
            } else {
                f0 = sp_sip_last(init[0], init[1], init[2], init[3], (uint64_t)w | len);
                f1 = sp_sip_last(init[0], init[1], init[2], init[3], (uint64_t)w1 | len);
            }
            t = hi + sp_mod128(dm, f0, f1);  /* hi < m and f < m < 2**63 */
            if (t >= dm->d) t -= dm->d;
            hi = lo;
            lo = t;
        }
        return (sp_u128)hi * b->d + lo;
    #else
        (void)init; (void)a; (void)b; (void)width;
        return x;
    #endif
    }

    """
    ctypedef struct sp_hmac:
        uint32_t inner[8]
        uint32_t outer[8]
    int sp_select(int allow_hw) nogil
    void sp_hmac_init(sp_hmac* h, const uint8_t* key, size_t klen) nogil
    void sp_hmac2(const sp_hmac* h, const uint8_t* a, size_t alen,
                  const uint8_t* b, size_t blen, uint8_t* out) nogil
    uint64_t sp_sip_short(const uint64_t* init, uint64_t m) nogil
    uint64_t sp_be_bytes(uint64_t v, int width) nogil
    uint64_t sp_siphash(const uint8_t* key, const uint8_t* p, size_t n) nogil
    void sp_sip_init(uint64_t* v, const uint8_t* key) nogil
    uint32_t sp_divmod(uint32_t* n, uint32_t d) nogil
    void sp_mod_powers(uint64_t m, uint64_t* pw) nogil
    uint64_t sp_mod256(const uint32_t* n, uint64_t m, const uint64_t* pw) nogil
    ctypedef unsigned long long sp_u128   # unsigned __int128 where the compiler has it
    int SP_HAVE_U128
    uint64_t sp_isqrt128(sp_u128 v) nogil
    bint sp_mul_within(sp_u128* total, uint64_t t) nogil
    ctypedef struct sp_div:
        uint64_t d
    void sp_div_init(sp_div* p, uint64_t d) nogil
    sp_u128 sp_feistel2(const uint64_t* init, const sp_div* a, const sp_div* b, int width,
                        sp_u128 x) nogil
    bint sp_eq(const char* a, const char* b, Py_ssize_t n) nogil
    void sp_prefetch(const void* p) nogil
    void sp_copy(char* d, const char* s, Py_ssize_t n) nogil
    Py_ssize_t sp_tabs(const char* s, Py_ssize_t n, Py_ssize_t off, Py_ssize_t* pos,
                       Py_ssize_t max) nogil
    int sp_scan_row(const char* s, Py_ssize_t n, Py_ssize_t* tabs) nogil
    ctypedef struct sp_fastmod:
        uint64_t lo
        uint64_t hi
        uint64_t d
    void sp_fastmod_init(sp_fastmod* f, uint64_t d) nogil
    uint64_t sp_fastmod_apply(const sp_fastmod* f, uint64_t x) nogil
    uint64_t sp_fastdiv_apply(const sp_fastmod* f, uint64_t x) nogil
    uint64_t sp_digest_mod(const uint8_t* dg, const sp_fastmod* f, const uint64_t* pw) nogil
    uint32_t sp_load_be32(const uint8_t* p) nogil


cdef extern from *:
    """
    /* Feistel permutations of domains past 2**124 (up to 2**248), as the pure twin's
       ``Permutation`` computes them with Python integers: numbers as four 64-bit limbs
       (least significant first), Feistel halves under 2**126 in 128-bit integers, and
       one to three SipHash blocks per round.  Without 128-bit integers the kernels
       decline such domains (``SP_HAVE_U128``). */
    typedef struct {
        uint8_t key[16];
        uint64_t total[4];
        sp_u128 a, b;
        int width, blocks;
        uint64_t sip[4];       /* SipHash state after the key */
    } sp_bigperm;

    static int sp_u256_bits(const uint64_t x[4]) {
        int i;
        for (i = 3; i >= 0; i--)
            if (x[i]) return 64 * i + 64 - __builtin_clzll(x[i]);
        return 0;
    }

    static int sp_u256_cmp(const uint64_t x[4], const uint64_t y[4]) {
        int i;
        for (i = 3; i >= 0; i--)
            if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
        return 0;
    }

    #if SP_HAVE_U128
    static int sp_u128_bits(sp_u128 v) {
        uint64_t hi = (uint64_t)(v >> 64), lo = (uint64_t)v;
        if (hi) return 128 - __builtin_clzll(hi);
        return lo ? 64 - __builtin_clzll(lo) : 0;
    }

    /* x = x * r + d; returns 1 when the result does not fit 256 bits. */
    static int sp_u256_muladd(uint64_t x[4], uint64_t r, uint64_t d) {
        sp_u128 c = d;
        int i;
        for (i = 0; i < 4; i++) {
            c += (sp_u128)x[i] * r;
            x[i] = (uint64_t)c;
            c >>= 64;
        }
        return c != 0;
    }

    /* x = x // d in place for 1 <= d < 2**64 (each limb's quotient fits 64 bits,
       the remainder being under d); returns x % d. */
    static uint64_t sp_u256_divsmall(uint64_t x[4], uint64_t d) {
        sp_u128 r = 0, cur;
        int i;
        for (i = 3; i >= 0; i--) {
            cur = (r << 64) | x[i];
            x[i] = (uint64_t)(cur / d);
            r = cur % d;
        }
        return (uint64_t)r;
    }

    /* x // d (which the caller knows fits 128 bits) and x % d, for 1 <= d < 2**127:
       shift-and-subtract over the quotient's bits only. */
    static sp_u128 sp_u256_divmod(const uint64_t x[4], sp_u128 d, sp_u128 *rem) {
        int L = sp_u256_bits(x), M = sp_u128_bits(d), i;
        sp_u128 r = 0, q = 0;
        if (L < M) {
            *rem = ((sp_u128)x[1] << 64) | x[0];
            return 0;
        }
        /* r = x >> (L - M + 1): the top M - 1 bits, below d */
        for (i = L - 1; i > L - M; i--)
            r = (r << 1) | ((x[i >> 6] >> (i & 63)) & 1u);
        /* Branch-free: the quotient's bits are as good as random, a branch on them
           mispredicts every other bit. */
        for (i = L - M; i >= 0; i--) {
            sp_u128 ge;
            r = (r << 1) | ((x[i >> 6] >> (i & 63)) & 1u);
            ge = (sp_u128)0 - (sp_u128)(r >= d);
            r -= d & ge;
            q = (q << 1) | (uint64_t)(ge & 1u);
        }
        *rem = r;
        return q;
    }

    /* out = p * q + r (p, q < 2**127, r < 2**128). */
    static void sp_u256_mul128(sp_u128 p, sp_u128 q, sp_u128 r, uint64_t out[4]) {
        uint64_t p0 = (uint64_t)p, p1 = (uint64_t)(p >> 64);
        uint64_t q0 = (uint64_t)q, q1 = (uint64_t)(q >> 64);
        sp_u128 t00 = (sp_u128)p0 * q0, t01 = (sp_u128)p0 * q1;
        sp_u128 t10 = (sp_u128)p1 * q0, t11 = (sp_u128)p1 * q1;
        sp_u128 c;
        c = (sp_u128)(uint64_t)t00 + (uint64_t)r;
        out[0] = (uint64_t)c;
        c = (c >> 64) + (t00 >> 64) + (uint64_t)t01 + (uint64_t)t10 + (uint64_t)(r >> 64);
        out[1] = (uint64_t)c;
        c = (c >> 64) + (t01 >> 64) + (t10 >> 64) + (uint64_t)t11;
        out[2] = (uint64_t)c;
        c = (c >> 64) + (t11 >> 64);
        out[3] = (uint64_t)c;
    }

    /* isqrt(v) for v < 2**250 (Newton's method from above). */
    static sp_u128 sp_u256_isqrt(const uint64_t v[4]) {
        int L = sp_u256_bits(v);
        sp_u128 x, y, q, r;
        if (L == 0) return 0;
        x = (sp_u128)1 << ((L + 1) / 2);
        for (;;) {
            q = sp_u256_divmod(v, x, &r);
            y = (x + q) >> 1;
            if (y >= x) return x;
            x = y;
        }
    }
    #else
    static int sp_u256_muladd(uint64_t x[4], uint64_t r, uint64_t d) {
        (void)x; (void)r; (void)d;
        return 1;
    }
    static uint64_t sp_u256_divsmall(uint64_t x[4], uint64_t d) {
        (void)x; (void)d;
        return 0;
    }
    #endif

    /* ``Permutation(key, total)`` for 2**124 < total < 2**248; returns 0 when it cannot. */
    static int sp_big_init(sp_bigperm *p, const uint8_t key[16], const uint64_t total[4]) {
    #if SP_HAVE_U128
        uint64_t v[4];
        sp_u128 r, top;
        int i, tb;
        if (sp_u256_bits(total) > 248 || sp_u256_bits(total) < 2) return 0;
        memcpy(p->key, key, 16);
        sp_sip_init(p->sip, key);
        memcpy(p->total, total, 32);
        memcpy(v, total, 32);
        for (i = 0; i < 4 && v[i]-- == 0; i++) {}          /* v = total - 1 */
        p->a = sp_u256_isqrt(v) + 1;
        memcpy(v, total, 32);                              /* v = total + a - 1 */
        {
            sp_u128 c = (sp_u128)v[0] + (uint64_t)(p->a - 1);
            v[0] = (uint64_t)c;
            c = (c >> 64) + v[1] + (uint64_t)((p->a - 1) >> 64);
            v[1] = (uint64_t)c;
            c = (c >> 64) + v[2];
            v[2] = (uint64_t)c;
            v[3] += (uint64_t)(c >> 64);
        }
        p->b = sp_u256_divmod(v, p->a, &r);
        top = p->a > p->b ? p->a : p->b;
        tb = sp_u128_bits(top);
        p->width = (tb + 7) / 8;
        if (p->width == 0) p->width = 1;
        p->blocks = (tb + 32 + 63) / 64;
        return p->width <= 16 && p->blocks <= 3;
    #else
        (void)p; (void)key; (void)total;
        return 0;
    #endif
    }


    /* x = the permutation of x (x < total), in place: Feistel passes, cycle-walked.
       A round hashes i || lo || j for j < blocks: the blocks before j's byte are
       the same for every j, so they are hashed once a round from the keyed state. */
    static void sp_big_permute(const sp_bigperm *p, uint64_t x[4]) {
    #if SP_HAVE_U128
        uint8_t msg[20];
        uint64_t h[3], fx[4], pre[4];
        sp_u128 hi, lo, m, f, t;
        int i, j, w = p->width;
        size_t len = (size_t)w + 2, shared = ((size_t)w + 1) / 8;
        do {
            hi = sp_u256_divmod(x, p->b, &lo);
            for (i = 0; i < 8; i++) {
                m = (i % 2 == 0) ? p->a : p->b;
                msg[0] = (uint8_t)i;
                for (j = 0; j < w; j++) msg[1 + j] = (uint8_t)(lo >> (8 * (w - 1 - j)));
                memcpy(pre, p->sip, sizeof(pre));
                sp_sip_absorb(pre, msg, shared);
                for (j = 0; j < p->blocks; j++) {
                    msg[1 + w] = (uint8_t)j;
                    h[j] = sp_sip_finish(pre, msg + 8 * shared, len - 8 * shared, len);
                }
                if (p->blocks == 1) {
                    f = h[0] % m;
                } else if (p->blocks == 2) {
                    f = (((sp_u128)h[0] << 64) | h[1]) % m;
                } else {
                    fx[0] = h[2]; fx[1] = h[1]; fx[2] = h[0]; fx[3] = 0;
                    sp_u256_divmod(fx, m, &f);
                }
                t = hi + f;
                if (t >= m) t -= m;
                hi = lo;
                lo = t;
            }
            sp_u256_mul128(hi, p->b, lo, x);
        } while (sp_u256_cmp(x, p->total) >= 0);
    #else
        (void)p; (void)x;
    #endif
    }
    """
    ctypedef struct sp_bigperm:
        uint64_t total[4]
    int sp_u256_bits(const uint64_t* x) nogil
    int sp_u256_muladd(uint64_t* x, uint64_t r, uint64_t d) nogil
    uint64_t sp_u256_divsmall(uint64_t* x, uint64_t d) nogil
    int sp_big_init(sp_bigperm* p, const uint8_t* key, const uint64_t* total) nogil
    void sp_big_permute(const sp_bigperm* p, uint64_t* x) nogil


cdef extern from "_prf.h":
    # The keyed PRF of every choice but ``hash``'s: BLAKE2s-256 (transforms/keyed.py).
    ctypedef struct sp_prf:
        uint32_t h[8]
        uint8_t key[32]
        uint32_t klen
    void sp_prf_init(sp_prf* k, const uint8_t* key, size_t klen) nogil
    void sp_prf2(const sp_prf* k, const uint8_t* a, size_t alen,
                 const uint8_t* b, size_t blen, uint8_t* out) nogil
    void sp_prf_pair(const sp_prf* k1, const uint8_t* a1, size_t alen1,
                     const uint8_t* b1, size_t blen1, uint8_t* out1,
                     const sp_prf* k2, const uint8_t* a2, size_t alen2,
                     const uint8_t* b2, size_t blen2, uint8_t* out2) nogil
    void sp_b2s_compress(uint32_t* h, const uint8_t* block, uint64_t t, int last) nogil
    void sp_b2s_compress_scalar(uint32_t* h, const uint8_t* block, uint64_t t, int last) nogil
    int SP_B2S_VECTOR


#: True when BLAKE2s compresses on SSE2 vectors (x86), else the scalar rounds.
B2S_VECTOR = bool(SP_B2S_VECTOR)


def _b2s_compress_twins(bytes h not None, bytes block not None, uint64_t t, bint last):
    """One BLAKE2s compression of ``block`` from chain value ``h`` (32 bytes), by the
    compression the codec uses and by the scalar rounds (for the differential tests)."""
    cdef uint32_t a[8]
    cdef uint32_t b[8]
    if PyBytes_GET_SIZE(h) != 32 or PyBytes_GET_SIZE(block) != 64:
        raise ValueError("a 32-byte chain value and a 64-byte block")
    memcpy(a, PyBytes_AS_STRING(h), 32)
    memcpy(b, PyBytes_AS_STRING(h), 32)
    sp_b2s_compress(a, <const uint8_t*>PyBytes_AS_STRING(block), t, last)
    sp_b2s_compress_scalar(b, <const uint8_t*>PyBytes_AS_STRING(block), t, last)
    return PyBytes_FromStringAndSize(<char*>a, 32), PyBytes_FromStringAndSize(<char*>b, 32)


#: True when SHA-256 runs on the CPU's SHA extensions (else portable C).
SHA_EXTENSIONS = bool(sp_select(_os.environ.get("SCRUBPHI_NO_SHA_NI", "") in ("", "0")))


def _select_sha(bint allow_hw):
    """Switch the SHA-256 block function (tests compare both); returns True for SHA-NI."""
    global SHA_EXTENSIONS
    SHA_EXTENSIONS = bool(sp_select(allow_hw))
    return SHA_EXTENSIONS


def _hmac_sha256(bytes key not None, bytes msg not None):
    """HMAC-SHA256 as the kernels compute it (for the differential tests)."""
    cdef sp_hmac h
    cdef uint8_t out[32]
    sp_hmac_init(&h, <const uint8_t*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key))
    sp_hmac2(&h, <const uint8_t*>PyBytes_AS_STRING(msg), PyBytes_GET_SIZE(msg), NULL, 0, out)
    return PyBytes_FromStringAndSize(<char*>out, 32)


def _prf_blake2s_pair(bytes key1 not None, bytes msg1 not None,
                      bytes key2 not None, bytes msg2 not None):
    """Two keyed BLAKE2s-256 digests as the codec pairs them (for the differential tests)."""
    cdef sp_prf k1, k2
    cdef uint8_t out1[32]
    cdef uint8_t out2[32]
    if not (1 <= PyBytes_GET_SIZE(key1) <= 32 and 1 <= PyBytes_GET_SIZE(key2) <= 32):
        raise ValueError("BLAKE2s needs a key of 1 to 32 bytes")
    sp_prf_init(&k1, <const uint8_t*>PyBytes_AS_STRING(key1), PyBytes_GET_SIZE(key1))
    sp_prf_init(&k2, <const uint8_t*>PyBytes_AS_STRING(key2), PyBytes_GET_SIZE(key2))
    sp_prf_pair(&k1, <const uint8_t*>PyBytes_AS_STRING(msg1), PyBytes_GET_SIZE(msg1), NULL, 0,
                out1, &k2, <const uint8_t*>PyBytes_AS_STRING(msg2), PyBytes_GET_SIZE(msg2), NULL,
                0, out2)
    return PyBytes_FromStringAndSize(<char*>out1, 32), PyBytes_FromStringAndSize(<char*>out2, 32)


def _prf_blake2s(bytes key not None, bytes msg not None):
    """Keyed BLAKE2s-256 as the kernels compute it (for the differential tests)."""
    cdef sp_prf k
    cdef uint8_t out[32]
    if not 1 <= PyBytes_GET_SIZE(key) <= 32:
        raise ValueError("BLAKE2s needs a key of 1 to 32 bytes")
    sp_prf_init(&k, <const uint8_t*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key))
    sp_prf2(&k, <const uint8_t*>PyBytes_AS_STRING(msg), PyBytes_GET_SIZE(msg), NULL, 0, out)
    return PyBytes_FromStringAndSize(<char*>out, 32)


def _permute_big(bytes key not None, object total, object x):
    """``Permutation(key, total)(x)`` as the kernels compute it past 2**124, or None where
    they decline (for the differential tests)."""
    cdef sp_bigperm p
    cdef uint64_t t[4]
    cdef uint64_t v[4]
    cdef int i
    if PyBytes_GET_SIZE(key) < 16 or not 0 <= x < total < (1 << 256):
        raise ValueError("a 16-byte key and 0 <= x < total < 2**256")
    for i in range(4):
        t[i] = (total >> (64 * i)) & 0xFFFFFFFFFFFFFFFF
        v[i] = (x >> (64 * i)) & 0xFFFFFFFFFFFFFFFF
    if not sp_big_init(&p, <const uint8_t*>PyBytes_AS_STRING(key), t):
        return None
    sp_big_permute(&p, v)
    return sum(int(v[i]) << (64 * i) for i in range(4))


def _siphash24(bytes key not None, bytes msg not None):
    """SipHash-2-4 as the kernels compute it (for the differential tests)."""
    if PyBytes_GET_SIZE(key) != 16:
        raise ValueError("SipHash needs a 16-byte key")
    return sp_siphash(<const uint8_t*>PyBytes_AS_STRING(key),
                      <const uint8_t*>PyBytes_AS_STRING(msg), PyBytes_GET_SIZE(msg))
