package org.tlbjava.model;

import static org.junit.jupiter.api.Assertions.*;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fused path's element-wise kernels against plain loops in double, at widths that take
 * every branch on 8- and 16-lane vectors: under one vector, whole vectors with a tail, four
 * vectors at once (64 = 4 x 16) and more. FusedPathTest runs them inside the network at
 * widths of 40 and 24; these widths are the reference network's (64, 256) and its neighbours'.
 */
class FusedMathTest {
    private static final double TOLERANCE = 1e-5;

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextDouble() * 4 - 2);
        }
        return a;
    }

    private static void assertClose(double expected, double actual, String what) {
        assertEquals(expected, actual, TOLERANCE * Math.max(1, Math.abs(expected)), what);
    }

    @ParameterizedTest(name = "n {0}")
    @ValueSource(ints = {3, 16, 24, 64, 100, 136})
    void combineRowsIsAWeightedSumOfRows(int n) {
        int count = 5;
        int srcStride = n + 7;
        float[] w = random(2 * count, 1);
        float[] src = random(count * srcStride + 3, 2);
        for (boolean accumulate : new boolean[] {false, true}) {
            float[] dst = random(n + 9, 3);
            float[] before = dst.clone();
            FusedMath.combineRows(w, 1, 2, count, src, 3, srcStride, dst, 4, n, accumulate);
            for (int i = 0; i < n; i++) {
                double sum = accumulate ? before[4 + i] : 0;
                for (int j = 0; j < count; j++) {
                    sum += (double) w[1 + 2 * j] * src[3 + j * srcStride + i];
                }
                assertClose(sum, dst[4 + i], "element " + i + " (accumulate " + accumulate + ")");
            }
            assertEquals(before[3], dst[3], "the element before the output is untouched");
            assertEquals(before[4 + n], dst[4 + n], "the element after the output is untouched");
        }
    }

    @ParameterizedTest(name = "n {0}")
    @ValueSource(ints = {5, 24, 32, 64, 100})
    void dotRowsIsTheScaledDotProductWithEachRow(int n) {
        int count = 6;
        int stride = n + 3;
        float[] a = random(n + 2, 11);
        float[] b = random(count * stride + 1, 12);
        float[] out = new float[count + 2];
        FusedMath.dotRows(a, 2, b, 1, stride, count, n, 0.5f, out, 1);
        for (int s = 0; s < count; s++) {
            double sum = 0;
            for (int i = 0; i < n; i++) {
                sum += (double) a[2 + i] * b[1 + s * stride + i];
            }
            assertClose(0.5 * sum, out[1 + s], "row " + s);
        }
        assertEquals(0f, out[0], "the element before the output is untouched");
        assertEquals(0f, out[count + 1], "the element after the output is untouched");
    }

    @ParameterizedTest(name = "columns {0}")
    @ValueSource(ints = {5, 40, 64, 70, 256})
    void addColumnSumsAddsEachColumnsSum(int cols) {
        int rows = 13;
        float[] a = random(rows * cols, 4);
        float[] into = random(cols, 5);
        float[] before = into.clone();
        FusedMath.addColumnSums(a, rows, cols, into);
        for (int c = 0; c < cols; c++) {
            double sum = before[c];
            for (int r = 0; r < rows; r++) {
                sum += a[r * cols + c];
            }
            assertClose(sum, into[c], "column " + c);
        }
    }

    @ParameterizedTest(name = "row length {0}")
    @ValueSource(ints = {1, 5, 8, 17})
    void softmaxRowsNormalizesEachRow(int n) {
        int rows = 7;
        float[] x = random(rows * n, 6);
        float[] original = x.clone();
        FusedMath.softmaxRows(x, rows, n);
        for (int r = 0; r < rows; r++) {
            double total = 0;
            for (int i = 0; i < n; i++) {
                total += Math.exp(original[r * n + i]);
            }
            for (int i = 0; i < n; i++) {
                assertClose(Math.exp(original[r * n + i]) / total, x[r * n + i], "row " + r + ", element " + i);
            }
        }
    }

    @ParameterizedTest(name = "dim {0}")
    @ValueSource(ints = {5, 40, 64, 70})
    void standardizeAndItsBackwardPassMatchTheEquations(int dim) {
        int rows = 6;
        float[] x = random(rows * dim, 7);
        FusedMath.Standardized s = FusedMath.standardize(x, rows, dim, new float[rows * dim], new float[rows]);
        float[] dxhat = random(rows * dim, 8);
        float[] dx = random(rows * dim, 9);
        float[] dxBefore = dx.clone();
        FusedMath.standardizeBackward(s, dxhat, dx);
        for (int r = 0; r < rows; r++) {
            double mean = 0;
            for (int i = 0; i < dim; i++) {
                mean += x[r * dim + i];
            }
            mean /= dim;
            double var = 0;
            for (int i = 0; i < dim; i++) {
                var += Math.pow(x[r * dim + i] - mean, 2);
            }
            double rstd = 1 / Math.sqrt(var / dim + Norm.EPSILON);
            double meanD = 0;
            double meanDx = 0;
            for (int i = 0; i < dim; i++) {
                double xhat = (x[r * dim + i] - mean) * rstd;
                assertClose(xhat, s.xhat()[r * dim + i], "x̂ of row " + r + ", element " + i);
                meanD += dxhat[r * dim + i] / dim;
                meanDx += dxhat[r * dim + i] * xhat / dim;
            }
            for (int i = 0; i < dim; i++) {
                double xhat = (x[r * dim + i] - mean) * rstd;
                double expected = dxBefore[r * dim + i] + rstd * (dxhat[r * dim + i] - meanD - xhat * meanDx);
                assertClose(expected, dx[r * dim + i], "dx of row " + r + ", element " + i);
            }
        }
    }

    @ParameterizedTest(name = "n {0}")
    @ValueSource(ints = {7, 64, 75})
    void geluWithSlopeInPlaceIsGeluAndItsDerivative(int n) {
        float[] x = random(n, 10);
        float[] original = x.clone();
        float[] slope = new float[n];
        FusedMath.geluWithSlope(x, x, slope, n);
        for (int i = 0; i < n; i++) {
            double v = original[i];
            double cdf = 0.5 * (1 + erf(v / Math.sqrt(2)));
            double density = Math.exp(-v * v / 2) / Math.sqrt(2 * Math.PI);
            assertClose(v * cdf, x[i], "gelu of " + v);
            assertClose(cdf + v * density, slope[i], "slope at " + v);
        }
    }

    /** erf to 1e-12 by its Taylor series (|z| &lt;= 2 here). */
    private static double erf(double z) {
        double term = z;
        double sum = z;
        for (int k = 1; k < 60; k++) {
            term *= -z * z / k;
            sum += term / (2 * k + 1);
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }
}
