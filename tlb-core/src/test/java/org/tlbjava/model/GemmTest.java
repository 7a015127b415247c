package org.tlbjava.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Gemm against a plain triple loop in double: the shapes training uses, every small odd shape, A
 * read plain and transposed, offsets and padded strides, overwriting and accumulating. The arrays
 * end where the matrices do, so a read or write past them fails, and everything outside C's
 * elements must stay as it was.
 */
class GemmTest {
    private static final double TOLERANCE = 1e-5;
    private static final int[] ODD = {0, 1, 3, 7, 17, 33};

    /** One product's layout: where A, B and C lie in their arrays. */
    record Layout(int m, int n, int k, boolean transposed, int aOff, int aPad, int bOff, int bPad, int cOff, int cPad) {
        int aRow() {
            return transposed ? 1 : k + aPad;
        }

        int aCol() {
            return transposed ? m + aPad : 1;
        }

        int ldb() {
            return n + bPad;
        }

        int ldc() {
            return n + cPad;
        }

        int aLength() {
            return m == 0 || k == 0 ? aOff : aOff + (m - 1) * aRow() + (k - 1) * aCol() + 1;
        }

        int bLength() {
            return k == 0 || n == 0 ? bOff : bOff + (k - 1) * ldb() + n;
        }

        int cLength() {
            return m == 0 || n == 0 ? cOff : cOff + (m - 1) * ldc() + n;
        }

        static Layout plain(int m, int n, int k) {
            return new Layout(m, n, k, false, 0, 0, 0, 0, 0, 0);
        }

        static Layout transposedA(int m, int n, int k) {
            return new Layout(m, n, k, true, 0, 0, 0, 0, 0, 0);
        }
    }

    /** The inputs and C before and after. */
    record Run(Layout layout, float[] a, float[] b, float[] before, float[] after, boolean accumulate) {
    }

    private static Run run(Layout l, boolean accumulate, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] a = randoms(random, l.aLength());
        float[] b = randoms(random, l.bLength());
        float[] c = randoms(random, l.cLength());
        float[] before = c.clone();
        Gemm.gemm(l.m(), l.n(), l.k(), a, l.aOff(), l.aRow(), l.aCol(), b, l.bOff(), l.ldb(), c, l.cOff(), l.ldc(), accumulate);
        return new Run(l, a, b, before, c, accumulate);
    }

    private static float[] randoms(SplittableRandom random, int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextDouble(-1, 1);
        }
        return values;
    }

    /** The oracle: C in double, summing p over 0 .. kUsed-1 (k for the true product). */
    private static double[] expected(Run r, int kUsed) {
        Layout l = r.layout();
        double[] c = new double[l.m() * l.n()];
        for (int i = 0; i < l.m(); i++) {
            for (int j = 0; j < l.n(); j++) {
                double sum = r.accumulate() ? r.before()[l.cOff() + i * l.ldc() + j] : 0;
                for (int p = 0; p < kUsed; p++) {
                    sum += (double) r.a()[l.aOff() + i * l.aRow() + p * l.aCol()] * r.b()[l.bOff() + p * l.ldb() + j];
                }
                c[i * l.n() + j] = sum;
            }
        }
        return c;
    }

    /** Null when C matches {@code want} within the tolerance and nothing else changed, else what differs. */
    private static String mismatch(Run r, double[] want) {
        Layout l = r.layout();
        double max = 0;
        for (double v : want) {
            max = Math.max(max, Math.abs(v));
        }
        boolean[] inside = new boolean[r.after().length];
        for (int i = 0; i < l.m(); i++) {
            for (int j = 0; j < l.n(); j++) {
                int at = l.cOff() + i * l.ldc() + j;
                inside[at] = true;
                double error = Math.abs(r.after()[at] - want[i * l.n() + j]);
                if (!(error <= TOLERANCE * max)) {
                    return l + " accumulate=" + r.accumulate() + ": C(" + i + "," + j + ") = " + r.after()[at]
                            + ", want " + want[i * l.n() + j] + " (max |C| " + max + ")";
                }
            }
        }
        for (int at = 0; at < inside.length; at++) {
            if (!inside[at] && Float.floatToRawIntBits(r.after()[at]) != Float.floatToRawIntBits(r.before()[at])) {
                return l + " accumulate=" + r.accumulate() + ": c[" + at + "] outside C changed";
            }
        }
        return null;
    }

    private static void check(Layout l, boolean accumulate, long seed) {
        Run r = run(l, accumulate, seed);
        String mismatch = mismatch(r, expected(r, l.k()));
        assertNull(mismatch, mismatch);
    }

    /** The products of training a small transformer on 128-image micro-batches (1024 token rows). */
    static List<Layout> trainingShapes() {
        List<Layout> shapes = new ArrayList<>();
        for (int n : new int[] {64, 128, 192, 256}) {
            shapes.add(Layout.plain(1024, n, 64)); // forward; the input gradient has the same shapes
        }
        for (int k : new int[] {128, 192, 256}) {
            shapes.add(Layout.plain(1024, 64, k)); // the input gradients (n and k swapped); k = 256 also forward
        }
        for (int m : new int[] {64, 256}) {
            for (int n : new int[] {64, 256}) {
                shapes.add(Layout.transposedA(m, n, 1024)); // weight gradient: A(i,p) = dy[p*m+i]
            }
        }
        shapes.add(Layout.transposedA(128, 64, 1024));
        shapes.add(Layout.transposedA(192, 64, 1024));
        shapes.add(Layout.plain(8, 8, 64)); // attention, per image
        shapes.add(Layout.plain(8, 64, 8));
        shapes.add(Layout.plain(128, 10, 64)); // the head
        return shapes;
    }

    @Test
    void theTrainingShapes() {
        long seed = 1;
        for (Layout l : trainingShapes()) {
            check(l, false, seed++);
            check(l, true, seed++);
        }
    }

    @Test
    void everySmallShapeBothWaysAndBothLayoutsOfA() {
        long seed = 100;
        for (int m : ODD) {
            for (int n : ODD) {
                for (int k : ODD) {
                    for (boolean transposed : new boolean[] {false, true}) {
                        for (boolean accumulate : new boolean[] {false, true}) {
                            check(new Layout(m, n, k, transposed, 0, 0, 0, 0, 0, 0), accumulate, seed++);
                        }
                    }
                }
            }
        }
    }

    @Test
    void offsetsAndPaddedStrides() {
        long seed = 1000;
        int[][] sizes = {{5, 10, 7}, {4, 64, 64}, {9, 33, 17}, {17, 100, 3}, {8, 8, 64}, {33, 1, 33}, {1, 65, 2}, {12, 200, 40},
            {19, 90, 300}, {33, 200, 129}}; // the last: p in blocks (Gemm.KC), column tails, a row past the last 4
        for (int[] s : sizes) {
            for (boolean transposed : new boolean[] {false, true}) {
                for (boolean accumulate : new boolean[] {false, true}) {
                    check(new Layout(s[0], s[1], s[2], transposed, 3, 5, 7, 2, 11, 9), accumulate, seed++);
                    check(new Layout(s[0], s[1], s[2], transposed, 1, 0, 0, 31, 2, 1), accumulate, seed++);
                    check(new Layout(s[0], s[1], s[2], transposed, 0, 1, 16, 16, 0, 16), accumulate, seed++);
                }
            }
        }
    }

    /** gemmPlusRow: C = row + A B, the row (a bias) added to every row of C, nothing outside C written. */
    private static void checkPlusRow(Layout l, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] a = randoms(random, l.aLength());
        float[] b = randoms(random, l.bLength());
        float[] c = randoms(random, l.cLength());
        float[] row = randoms(random, l.n() + 3);
        float[] before = c.clone();
        Gemm.gemmPlusRow(l.m(), l.n(), l.k(), a, l.aOff(), l.aRow(), l.aCol(), b, l.bOff(), l.ldb(), row, 3, c, l.cOff(),
                l.ldc());
        Run r = new Run(l, a, b, before, c, false);
        double[] want = expected(r, l.k());
        for (int i = 0; i < l.m(); i++) {
            for (int j = 0; j < l.n(); j++) {
                want[i * l.n() + j] += row[3 + j];
            }
        }
        String mismatch = mismatch(r, want);
        assertNull(mismatch, "plus row: " + mismatch);
    }

    @Test
    void aRowAddedToEveryRowOfTheProduct() {
        long seed = 7000;
        for (Layout l : trainingShapes()) {
            checkPlusRow(l, seed++);
        }
        for (int m : ODD) {
            for (int n : ODD) {
                for (int k : ODD) {
                    checkPlusRow(new Layout(m, n, k, false, 0, 0, 0, 0, 0, 0), seed++);
                    checkPlusRow(new Layout(m, n, k, true, 3, 5, 7, 2, 11, 9), seed++);
                }
            }
        }
        checkPlusRow(new Layout(33, 200, 129, false, 1, 0, 0, 31, 2, 1), seed++); // p in blocks: the row added once
    }

    @Test
    void kZeroWritesZerosOrLeavesC() {
        for (boolean accumulate : new boolean[] {false, true}) {
            Run r = run(new Layout(5, 37, 0, false, 0, 0, 0, 0, 2, 3), accumulate, 7);
            for (int i = 0; i < 5; i++) {
                for (int j = 0; j < 37; j++) {
                    int at = 2 + i * 40 + j;
                    assertEquals(accumulate ? r.before()[at] : 0f, r.after()[at], "C(" + i + "," + j + ")");
                }
            }
        }
    }

    /** The comparison catches a product that misses one term: an oracle without the last p fails it. */
    @Test
    void aWrongOracleIsCaught() {
        List<Layout> layouts = new ArrayList<>(trainingShapes());
        layouts.add(new Layout(7, 17, 3, true, 3, 5, 7, 2, 11, 9));
        layouts.add(Layout.plain(1, 1, 1));
        long seed = 5000;
        for (Layout l : layouts) {
            for (boolean accumulate : new boolean[] {false, true}) {
                Run r = run(l, accumulate, seed++);
                assertNull(mismatch(r, expected(r, l.k())));
                assertNotNull(mismatch(r, expected(r, l.k() - 1)), l + " without the last p passed");
            }
        }
        // and one changed element outside C is caught
        Run r = run(new Layout(3, 5, 4, false, 0, 0, 0, 0, 1, 2), false, 9);
        double[] want = expected(r, 4);
        r.after()[0] += 1;
        assertNotNull(mismatch(r, want));
    }

    @Test
    void negativeSizesAreRefused() {
        float[] none = new float[0];
        assertThrows(IllegalArgumentException.class, () -> Gemm.gemm(-1, 1, 1, none, 0, 1, 1, none, 0, 1, none, 0, 1, false));
    }
}
