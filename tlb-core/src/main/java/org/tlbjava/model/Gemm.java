package org.tlbjava.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * A single-threaded float32 matrix product on the Vector API (an incubator module on Java 17: the
 * JVM needs {@code --add-modules jdk.incubator.vector}).
 *
 * <p>The columns of C are vectorized ({@link FloatVector#SPECIES_PREFERRED}: 16 floats with AVX-512,
 * 8 with AVX2) and C is computed in register tiles: 4 rows by 4 vectors (16 accumulators) where
 * the machine has 32 vector registers, 4 rows by 2 vectors (8 accumulators) where it has 16. For
 * each p the tile's vectors of row p of B are loaded once and each A(i,p) is broadcast and fused
 * into them ({@code fma}). The columns past the last whole vector are one masked vector; rows past
 * the last group of 4 go one at a time. Nothing is allocated on the way: C2 keeps the vectors in
 * registers.
 */
final class Gemm {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** The vectors of columns in the main tile: 4 with 512-bit vectors (32 registers), else 2. */
    private static final boolean WIDE = S.vectorBitSize() >= 512;
    private static final int MR = 4;

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
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("negative size: m=" + m + " n=" + n + " k=" + k);
        }
        if (m == 0 || n == 0) {
            return;
        }
        // column blocks outside: a block's panel of B (k x 64 floats) stays in cache for every row block
        int j = 0;
        if (WIDE) {
            for (; j + 4 * L <= n; j += 4 * L) {
                rows4x4(m, j, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate);
            }
        }
        for (; j + 2 * L <= n; j += 2 * L) {
            rows4x2(m, j, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
        for (; j < n; j += L) {
            rows4x1(m, j, Math.min(L, n - j), k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
    }

    /** Columns j .. j+4L-1 of every row. */
    private static void rows4x4(int m, int j, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        int i = 0;
        for (; i + MR <= m; i += MR) {
            tile4x4(i, j, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
        for (; i < m; i++) {
            for (int v = 0; v < 4; v++) {
                tile1x1(i, j + v * L, L, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate);
            }
        }
    }

    /** Columns j .. j+2L-1 of every row. */
    private static void rows4x2(int m, int j, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        int i = 0;
        for (; i + MR <= m; i += MR) {
            tile4x2(i, j, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
        for (; i < m; i++) {
            tile1x1(i, j, L, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate);
            tile1x1(i, j + L, L, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
    }

    /** Columns j .. j+w-1 (w &lt;= L, one vector, masked when w &lt; L) of every row. */
    private static void rows4x1(int m, int j, int w, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        int i = 0;
        for (; i + MR <= m; i += MR) {
            tile4x1(i, j, w, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
        for (; i < m; i++) {
            tile1x1(i, j, w, k, a, aOff, aRow, aCol, b, bOff, ldb, c, cOff, ldc, accumulate);
        }
    }

    /** Rows i .. i+3, columns j .. j+4L-1: 16 accumulators. */
    private static void tile4x4(int i, int j, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
        FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
        FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        int ai = aOff + i * aRow;
        int bi = bOff + j;
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
        int ci = cOff + i * ldc + j;
        store(c00, c, ci, accumulate);
        store(c01, c, ci + L, accumulate);
        store(c02, c, ci + 2 * L, accumulate);
        store(c03, c, ci + 3 * L, accumulate);
        ci += ldc;
        store(c10, c, ci, accumulate);
        store(c11, c, ci + L, accumulate);
        store(c12, c, ci + 2 * L, accumulate);
        store(c13, c, ci + 3 * L, accumulate);
        ci += ldc;
        store(c20, c, ci, accumulate);
        store(c21, c, ci + L, accumulate);
        store(c22, c, ci + 2 * L, accumulate);
        store(c23, c, ci + 3 * L, accumulate);
        ci += ldc;
        store(c30, c, ci, accumulate);
        store(c31, c, ci + L, accumulate);
        store(c32, c, ci + 2 * L, accumulate);
        store(c33, c, ci + 3 * L, accumulate);
    }

    /** Rows i .. i+3, columns j .. j+2L-1: 8 accumulators. */
    private static void tile4x2(int i, int j, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00;
        FloatVector c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00;
        FloatVector c30 = c00, c31 = c00;
        int ai = aOff + i * aRow;
        int bi = bOff + j;
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
        int ci = cOff + i * ldc + j;
        store(c00, c, ci, accumulate);
        store(c01, c, ci + L, accumulate);
        ci += ldc;
        store(c10, c, ci, accumulate);
        store(c11, c, ci + L, accumulate);
        ci += ldc;
        store(c20, c, ci, accumulate);
        store(c21, c, ci + L, accumulate);
        ci += ldc;
        store(c30, c, ci, accumulate);
        store(c31, c, ci + L, accumulate);
    }

    /** Rows i .. i+3, columns j .. j+w-1 with w &lt;= L: 4 accumulators. */
    private static void tile4x1(int i, int j, int w, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        VectorMask<Float> mask = S.indexInRange(0, w);
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0;
        int ai = aOff + i * aRow;
        int bi = bOff + j;
        for (int p = 0; p < k; p++, ai += aCol, bi += ldb) {
            FloatVector b0 = load(b, bi, w, mask);
            c0 = FloatVector.broadcast(S, a[ai]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[ai + aRow]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[ai + 2 * aRow]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[ai + 3 * aRow]).fma(b0, c3);
        }
        int ci = cOff + i * ldc + j;
        store(c0, c, ci, w, accumulate);
        store(c1, c, ci + ldc, w, accumulate);
        store(c2, c, ci + 2 * ldc, w, accumulate);
        store(c3, c, ci + 3 * ldc, w, accumulate);
    }

    /** Row i, columns j .. j+w-1 with w &lt;= L: the rows past the last group of 4. */
    private static void tile1x1(int i, int j, int w, int k, float[] a, int aOff, int aRow, int aCol,
                                float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
        VectorMask<Float> mask = S.indexInRange(0, w);
        FloatVector c0 = FloatVector.zero(S);
        int ai = aOff + i * aRow;
        int bi = bOff + j;
        for (int p = 0; p < k; p++, ai += aCol, bi += ldb) {
            c0 = FloatVector.broadcast(S, a[ai]).fma(load(b, bi, w, mask), c0);
        }
        store(c0, c, cOff + i * ldc + j, w, accumulate);
    }

    /**
     * B(p, j .. j+w-1) as one vector. The lanes past w are never stored, so a whole vector is read
     * wherever the array holds one; only at the end of the array does the mask keep the read inside.
     */
    private static FloatVector load(float[] b, int bi, int w, VectorMask<Float> mask) {
        return w == L || bi + L <= b.length ? FloatVector.fromArray(S, b, bi) : FloatVector.fromArray(S, b, bi, mask);
    }

    private static void store(FloatVector v, float[] c, int ci, boolean accumulate) {
        if (accumulate) {
            v.add(FloatVector.fromArray(S, c, ci)).intoArray(c, ci);
        } else {
            v.intoArray(c, ci);
        }
    }

    /** The first w lanes of v; lane by lane when w &lt; L (a masked store is no intrinsic on Java 17). */
    private static void store(FloatVector v, float[] c, int ci, int w, boolean accumulate) {
        if (w == L) {
            store(v, c, ci, accumulate);
            return;
        }
        for (int t = 0; t < w; t++) {
            c[ci + t] = accumulate ? c[ci + t] + v.lane(t) : v.lane(t);
        }
    }
}
