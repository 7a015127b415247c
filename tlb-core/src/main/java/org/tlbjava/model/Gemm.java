package org.tlbjava.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * A single-threaded float32 matrix product on the Vector API (an incubator module on Java 17: the
 * JVM needs {@code --add-modules jdk.incubator.vector}).
 *
 * <p>The columns of C are vectorized ({@link FloatVector#SPECIES_PREFERRED}: 16 floats with AVX-512,
 * 8 with AVX2) and C is computed in register tiles: 4 rows by 4 vectors (16 accumulators) where
 * the machine has 32 vector registers, 4 rows by 2 vectors (8 accumulators) where it has 16. For
 * each p the tile's vectors of row p of B are loaded once and each A(i,p) is broadcast and fused
 * into them ({@code fma}). The columns past the last whole vector are one vector whose lanes past n
 * are computed and dropped; rows past the last group of 4 go one at a time. No vector is boxed
 * on the way: C2 keeps them in registers.
 *
 * <p>For cache, p goes in blocks of {@link #KC} and each block's panel of B for a tile's columns
 * (KC x 64 floats, 32 KB) is copied to a contiguous buffer (one per thread), where it stays in L1
 * for every row of C: read in place, a row stride of 1 KB (n = 256) maps the panel onto a quarter
 * of L1's sets (n = 256 ran at 2/3 of the speed of n = 64 before the copy).
 */
final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** 4 vectors of columns in the main tile with 512-bit vectors (32 registers), else 2. */
    private static final boolean WIDE = S.vectorBitSize() >= 512;
    private static final int MR = 4;
    /**
     * The p of one block: a panel of B of 32 KB (128 with AVX-512; on this project's EPYC 64 and 256
     * measured slower, and k = 1024 in one block 10-30% slower on the weight gradients).
     */
    static final int KC = 8192 / ((WIDE ? 4 : 2) * L);
    /** Rows of C from which a panel of B is worth copying (4 register tiles read it). */
    private static final int PACK_ROWS = 16;
    private static final ThreadLocal<float[]> PANEL = ThreadLocal.withInitial(() -> new float[KC * (WIDE ? 4 : 2) * L]);

    private Gemm() {
    }

    /**
     * C(i,j) (+)= sum over p &lt; k of A(i,p) * B(p,j), for i &lt; m, j &lt; n.
     * A(i,p) = a[aOff + i*aRow + p*aCol]  (so A may be read transposed: aRow=1, aCol=ld)
     * B(p,j) = b[bOff + p*ldb + j]        (row-major)
     * C(i,j) = c[cOff + i*ldc + j]        (row-major)
     * accumulate=false: C is overwritten; true: added to.
     */
    static void gemm(int m, int n, int k, float[] a, int aOff, int aRow, int aCol,
                     float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        product(m, n, k, a, aOff, aRow, aCol, b, bOff, ldb, accumulate ? c : null, cOff, ldc, c, cOff, ldc);
    }

    /**
     * C(i,j) = row[rowOff + j] + sum over p &lt; k of A(i,p) * B(p,j): {@link #gemm} with a row (a
     * bias) added to every row of C as its tiles are stored, instead of copied into C first (C is
     * read back only where k spans more than one block of {@link #KC}).
     */
    static void gemmPlusRow(int m, int n, int k, float[] a, int aOff, int aRow, int aCol,
                            float[] b, int bOff, int ldb, float[] row, int rowOff, float[] c, int cOff, int ldc) {
        product(m, n, k, a, aOff, aRow, aCol, b, bOff, ldb, row, rowOff, 0, c, cOff, ldc);
    }

    /** C = S + A B, where S(i,j) = s[sOff + i*lds + j], or 0 when s is null. */
    private static void product(int m, int n, int k, float[] a, int aOff, int aRow, int aCol, float[] b, int bOff,
                                int ldb, float[] s, int sOff, int lds, float[] c, int cOff, int ldc) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative size: m=" + m + " n=" + n + " k=" + k);
        }
        if (m == 0 || n == 0) {
            return;
        }
        float[] panel = m >= PACK_ROWS && n >= 2 * L ? PANEL.get() : null;
        int p0 = 0;
        do { // once when k = 0: C = S
            int kc = Math.min(KC, k - p0);
            Addend add = p0 == 0 ? new Addend(s, sOff, lds) : new Addend(c, cOff, ldc);
            columns(m, n, kc, a, aOff + p0 * aCol, aRow, aCol, b, bOff + p0 * ldb, ldb, c, cOff, ldc, add, panel);
            p0 += kc;
        } while (p0 < k);
    }

    /** What a block of p adds to its product: S(i,j) = s[off + i*ld + j], none when s is null. */
    private record Addend(float[] s, int off, int ld) {
        Addend at(int row, int col) {
            return new Addend(s, off + row * ld + col, ld);
        }
    }

    /** C(.., j) (+)= the product over kc p: column blocks outside, so that a panel of B serves every row. */
    private static void columns(int m, int n, int kc, float[] a, int aOff, int aRow, int aCol, float[] b, int bOff,
                                int ldb, float[] c, int cOff, int ldc, Addend add, float[] panel) {
        int j = 0;
        if (WIDE) {
            for (; j + 4 * L <= n; j += 4 * L) {
                if (panel != null && ldb != 4 * L) {
                    pack(kc, 4, b, bOff + j, ldb, panel);
                    rows4x4(m, kc, a, aOff, aRow, aCol, panel, 0, 4 * L, c, cOff + j, ldc, add.at(0, j));
                } else {
                    rows4x4(m, kc, a, aOff, aRow, aCol, b, bOff + j, ldb, c, cOff + j, ldc, add.at(0, j));
                }
            }
        }
        for (; j + 2 * L <= n; j += 2 * L) {
            if (panel != null && ldb != 2 * L) {
                pack(kc, 2, b, bOff + j, ldb, panel);
                rows4x2(m, kc, a, aOff, aRow, aCol, panel, 0, 2 * L, c, cOff + j, ldc, add.at(0, j));
            } else {
                rows4x2(m, kc, a, aOff, aRow, aCol, b, bOff + j, ldb, c, cOff + j, ldc, add.at(0, j));
            }
        }
        for (; j < n; j += L) {
            rows4x1(m, Math.min(L, n - j), kc, a, aOff, aRow, aCol, b, bOff + j, ldb, c, cOff + j, ldc, add.at(0, j));
        }
    }

    /** panel[p * nv*L + t] = b[bi + p*ldb + t] for p &lt; kc, t &lt; nv*L. */
    private static void pack(int kc, int nv, float[] b, int bi, int ldb, float[] panel) {
        int w = nv * L;
        for (int p = 0, to = 0; p < kc; p++, bi += ldb, to += w) {
            for (int v = 0; v < w; v += L) {
                FloatVector.fromArray(S, b, bi + v).intoArray(panel, to + v);
            }
        }
    }

    /** 4L columns of every row; B(p, 0) = b[bi + p*ldb], C(i, 0) = c[ci + i*ldc]. */
    private static void rows4x4(int m, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bi, int ldb, float[] c, int ci, int ldc, Addend add) {
        int i = 0;
        for (; i + MR <= m; i += MR) {
            tile4x4(k, a, aOff + i * aRow, aRow, aCol, b, bi, ldb, c, ci + i * ldc, ldc, add.s(), add.off() + i * add.ld(), add.ld());
        }
        for (; i < m; i++) {
            for (int v = 0; v < 4 * L; v += L) {
                tile1x1(L, k, a, aOff + i * aRow, aCol, b, bi + v, ldb, c, ci + i * ldc + v, add.s(), add.off() + i * add.ld() + v);
            }
        }
    }

    /** 2L columns of every row. */
    private static void rows4x2(int m, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bi, int ldb, float[] c, int ci, int ldc, Addend add) {
        int i = 0;
        for (; i + MR <= m; i += MR) {
            tile4x2(k, a, aOff + i * aRow, aRow, aCol, b, bi, ldb, c, ci + i * ldc, ldc, add.s(), add.off() + i * add.ld(), add.ld());
        }
        for (; i < m; i++) {
            tile1x1(L, k, a, aOff + i * aRow, aCol, b, bi, ldb, c, ci + i * ldc, add.s(), add.off() + i * add.ld());
            tile1x1(L, k, a, aOff + i * aRow, aCol, b, bi + L, ldb, c, ci + i * ldc + L, add.s(), add.off() + i * add.ld() + L);
        }
    }

    /** w &lt;= L columns of every row, as one vector. */
    private static void rows4x1(int m, int w, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bi, int ldb, float[] c, int ci, int ldc, Addend add) {
        int i = 0;
        for (; i + MR <= m; i += MR) {
            tile4x1(w, k, a, aOff + i * aRow, aRow, aCol, b, bi, ldb, c, ci + i * ldc, ldc, add.s(), add.off() + i * add.ld(), add.ld());
        }
        for (; i < m; i++) {
            tile1x1(w, k, a, aOff + i * aRow, aCol, b, bi, ldb, c, ci + i * ldc, add.s(), add.off() + i * add.ld());
        }
    }

    /** 4 rows by 4L columns: 16 accumulators. A(r,p) = a[ai + r*aRow + p*aCol]. */
    private static void tile4x4(int k, float[] a, int ai, int aRow, int aCol,
                                float[] b, int bi, int ldb, float[] c, int ci, int ldc, float[] s, int si, int lds) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int p = 0; p < k; p++, ai += aCol, bi += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bi + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bi + 3 * L);
            FloatVector x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            c02 = x.fma(b2, c02);
            c03 = x.fma(b3, c03);
            x = FloatVector.broadcast(S, a[ai + aRow]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            c12 = x.fma(b2, c12);
            c13 = x.fma(b3, c13);
            x = FloatVector.broadcast(S, a[ai + 2 * aRow]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            c22 = x.fma(b2, c22);
            c23 = x.fma(b3, c23);
            x = FloatVector.broadcast(S, a[ai + 3 * aRow]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
            c32 = x.fma(b2, c32);
            c33 = x.fma(b3, c33);
        }
        // no vector goes to another method: one not inlined would box all 16
        int c1i = ci + ldc, c2i = ci + 2 * ldc, c3i = ci + 3 * ldc;
        if (s != null) {
            int s1i = si + lds, s2i = si + 2 * lds, s3i = si + 3 * lds;
            c00 = c00.add(FloatVector.fromArray(S, s, si));
            c01 = c01.add(FloatVector.fromArray(S, s, si + L));
            c02 = c02.add(FloatVector.fromArray(S, s, si + 2 * L));
            c03 = c03.add(FloatVector.fromArray(S, s, si + 3 * L));
            c10 = c10.add(FloatVector.fromArray(S, s, s1i));
            c11 = c11.add(FloatVector.fromArray(S, s, s1i + L));
            c12 = c12.add(FloatVector.fromArray(S, s, s1i + 2 * L));
            c13 = c13.add(FloatVector.fromArray(S, s, s1i + 3 * L));
            c20 = c20.add(FloatVector.fromArray(S, s, s2i));
            c21 = c21.add(FloatVector.fromArray(S, s, s2i + L));
            c22 = c22.add(FloatVector.fromArray(S, s, s2i + 2 * L));
            c23 = c23.add(FloatVector.fromArray(S, s, s2i + 3 * L));
            c30 = c30.add(FloatVector.fromArray(S, s, s3i));
            c31 = c31.add(FloatVector.fromArray(S, s, s3i + L));
            c32 = c32.add(FloatVector.fromArray(S, s, s3i + 2 * L));
            c33 = c33.add(FloatVector.fromArray(S, s, s3i + 3 * L));
        }
        c00.intoArray(c, ci);
        c01.intoArray(c, ci + L);
        c02.intoArray(c, ci + 2 * L);
        c03.intoArray(c, ci + 3 * L);
        c10.intoArray(c, c1i);
        c11.intoArray(c, c1i + L);
        c12.intoArray(c, c1i + 2 * L);
        c13.intoArray(c, c1i + 3 * L);
        c20.intoArray(c, c2i);
        c21.intoArray(c, c2i + L);
        c22.intoArray(c, c2i + 2 * L);
        c23.intoArray(c, c2i + 3 * L);
        c30.intoArray(c, c3i);
        c31.intoArray(c, c3i + L);
        c32.intoArray(c, c3i + 2 * L);
        c33.intoArray(c, c3i + 3 * L);
    }

    /** 4 rows by 2L columns: 8 accumulators. */
    private static void tile4x2(int k, float[] a, int ai, int aRow, int aCol,
                                float[] b, int bi, int ldb, float[] c, int ci, int ldc, float[] s, int si, int lds) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00;
        FloatVector c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00;
        for (int p = 0; p < k; p++, ai += aCol, bi += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            FloatVector b1 = FloatVector.fromArray(S, b, bi + L);
            FloatVector x = FloatVector.broadcast(S, a[ai]);
            c00 = x.fma(b0, c00);
            c01 = x.fma(b1, c01);
            x = FloatVector.broadcast(S, a[ai + aRow]);
            c10 = x.fma(b0, c10);
            c11 = x.fma(b1, c11);
            x = FloatVector.broadcast(S, a[ai + 2 * aRow]);
            c20 = x.fma(b0, c20);
            c21 = x.fma(b1, c21);
            x = FloatVector.broadcast(S, a[ai + 3 * aRow]);
            c30 = x.fma(b0, c30);
            c31 = x.fma(b1, c31);
        }
        int c1i = ci + ldc, c2i = ci + 2 * ldc, c3i = ci + 3 * ldc;
        if (s != null) {
            int s1i = si + lds, s2i = si + 2 * lds, s3i = si + 3 * lds;
            c00 = c00.add(FloatVector.fromArray(S, s, si));
            c01 = c01.add(FloatVector.fromArray(S, s, si + L));
            c10 = c10.add(FloatVector.fromArray(S, s, s1i));
            c11 = c11.add(FloatVector.fromArray(S, s, s1i + L));
            c20 = c20.add(FloatVector.fromArray(S, s, s2i));
            c21 = c21.add(FloatVector.fromArray(S, s, s2i + L));
            c30 = c30.add(FloatVector.fromArray(S, s, s3i));
            c31 = c31.add(FloatVector.fromArray(S, s, s3i + L));
        }
        c00.intoArray(c, ci);
        c01.intoArray(c, ci + L);
        c10.intoArray(c, c1i);
        c11.intoArray(c, c1i + L);
        c20.intoArray(c, c2i);
        c21.intoArray(c, c2i + L);
        c30.intoArray(c, c3i);
        c31.intoArray(c, c3i + L);
    }

    /** 4 rows by w &lt;= L columns: 4 accumulators. */
    private static void tile4x1(int w, int k, float[] a, int ai, int aRow, int aCol,
                                float[] b, int bi, int ldb, float[] c, int ci, int ldc, float[] s, int si, int lds) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
        int whole = w == L ? k : wholeRows(b.length, bi, ldb, k);
        int a0 = ai;
        int b0i = bi;
        for (int p = 0; p < whole; p++, ai += aCol, bi += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, b, bi);
            c0 = FloatVector.broadcast(S, a[ai]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[ai + aRow]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[ai + 2 * aRow]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[ai + 3 * aRow]).fma(b0, c3);
        }
        int c1i = ci + ldc, c2i = ci + 2 * ldc, c3i = ci + 3 * ldc;
        int s1i = si + lds, s2i = si + 2 * lds, s3i = si + 3 * lds;
        if (w == L) {
            if (s != null) {
                c0 = c0.add(FloatVector.fromArray(S, s, si));
                c1 = c1.add(FloatVector.fromArray(S, s, s1i));
                c2 = c2.add(FloatVector.fromArray(S, s, s2i));
                c3 = c3.add(FloatVector.fromArray(S, s, s3i));
            }
            c0.intoArray(c, ci);
            c1.intoArray(c, c1i);
            c2.intoArray(c, c2i);
            c3.intoArray(c, c3i);
        } else { // lane by lane: a masked store is no intrinsic on Java 17
            for (int t = 0; t < w; t++) {
                c[ci + t] = (s != null ? s[si + t] : 0f) + c0.lane(t);
                c[c1i + t] = (s != null ? s[s1i + t] : 0f) + c1.lane(t);
                c[c2i + t] = (s != null ? s[s2i + t] : 0f) + c2.lane(t);
                c[c3i + t] = (s != null ? s[s3i + t] : 0f) + c3.lane(t);
            }
        }
        for (int r = 0; r < MR && whole < k; r++) {
            finish(w, whole, k, a, a0 + r * aRow, aCol, b, b0i, ldb, c, ci + r * ldc);
        }
    }

    /** 1 row by w &lt;= L columns: the rows past the last group of 4. */
    private static void tile1x1(int w, int k, float[] a, int ai, int aCol,
                                float[] b, int bi, int ldb, float[] c, int ci, float[] s, int si) {
        FloatVector c0 = FloatVector.zero(S);
        int whole = w == L ? k : wholeRows(b.length, bi, ldb, k);
        int a0 = ai;
        int b0i = bi;
        for (int p = 0; p < whole; p++, ai += aCol, bi += ldb) {
            c0 = FloatVector.broadcast(S, a[ai]).fma(FloatVector.fromArray(S, b, bi), c0);
        }
        if (w == L) {
            if (s != null) {
                c0 = c0.add(FloatVector.fromArray(S, s, si));
            }
            c0.intoArray(c, ci);
        } else {
            for (int t = 0; t < w; t++) {
                c[ci + t] = (s != null ? s[si + t] : 0f) + c0.lane(t);
            }
        }
        if (whole < k) {
            finish(w, whole, k, a, a0, aCol, b, b0i, ldb, c, ci);
        }
    }

    /**
     * How many rows p &lt; k of a column tail (w &lt; L columns from b[bi + p*ldb]) can be read as a
     * whole vector: its lanes past w are never stored, so a whole vector is read wherever the array
     * holds one; the rest go to {@link #finish} (a masked read is a slow path on Java 17 that allocates).
     */
    static int wholeRows(int length, int bi, int ldb, int k) {
        long room = (long) length - L - bi; // p*ldb may be at most this
        if (room < 0 || ldb < 0) {
            return 0;
        }
        return ldb == 0 ? k : (int) Math.min(k, room / ldb + 1);
    }

    /** C(0, t) += A(0,p) * B(p,t) for from &lt;= p &lt; k, t &lt; w, one float at a time. */
    private static void finish(int w, int from, int k, float[] a, int ai, int aCol, float[] b, int bi, int ldb,
                               float[] c, int ci) {
        for (int p = from; p < k; p++) {
            float x = a[ai + p * aCol];
            for (int t = 0; t < w; t++) {
                c[ci + t] += x * b[bi + p * ldb + t];
            }
        }
    }
}
