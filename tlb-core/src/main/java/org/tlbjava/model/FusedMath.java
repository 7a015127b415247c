package org.tlbjava.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise kernels of the fused path on row-major float arrays, vectorised with the
 * CPU's widest float vectors: LayerNorm's standardization, exact GELU, and the short dot
 * products and updates of per-image attention. Each does its work in one pass over memory
 * where the eager path runs several engine operations.
 */
final class FusedMath {
    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final float SQRT_HALF = (float) Math.sqrt(0.5);
    private static final float INV_SQRT_2PI = (float) (1 / Math.sqrt(2 * Math.PI));

    private FusedMath() {}

    /** x̂ = (x - mean) / sqrt(var + ε) of each row, and 1 / sqrt(var + ε) per row; the biased variance, as LayerNorm's. */
    record Standardized(float[] xhat, float[] rstd, int rows, int dim) {}

    static Standardized standardize(float[] x, int rows, int dim, float[] xhat, float[] rstd) {
        for (int r = 0; r < rows; r++) {
            int o = r * dim;
            float mean = sum(x, o, dim) / dim;
            float var = 0;
            int i = 0;
            FloatVector m = FloatVector.broadcast(SPECIES, mean);
            FloatVector acc = FloatVector.zero(SPECIES);
            for (; i <= dim - LANES; i += LANES) {
                FloatVector d = FloatVector.fromArray(SPECIES, x, o + i).sub(m);
                acc = d.fma(d, acc);
            }
            var = acc.reduceLanes(VectorOperators.ADD);
            for (; i < dim; i++) {
                float d = x[o + i] - mean;
                var += d * d;
            }
            float s = (float) (1 / Math.sqrt(var / dim + Norm.EPSILON));
            rstd[r] = s;
            for (i = 0; i < dim; i++) {
                xhat[o + i] = (x[o + i] - mean) * s;
            }
        }
        return new Standardized(xhat, rstd, rows, dim);
    }

    /** dx += rstd (dx̂ - mean(dx̂) - x̂ mean(dx̂ x̂)), the gradient through {@link #standardize}. */
    static void standardizeBackward(Standardized s, float[] dxhat, float[] dx) {
        int dim = s.dim();
        float[] xhat = s.xhat();
        for (int r = 0; r < s.rows(); r++) {
            int o = r * dim;
            float meanD = sum(dxhat, o, dim) / dim;
            float meanDx = dot(dxhat, o, xhat, o, dim) / dim;
            float rs = s.rstd()[r];
            for (int i = 0; i < dim; i++) {
                dx[o + i] += rs * (dxhat[o + i] - meanD - xhat[o + i] * meanDx);
            }
        }
    }

    /** g = x Φ(x), exact GELU (Φ the normal distribution function), for n elements. */
    static void gelu(float[] x, float[] g, int n) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, i);
            cdf(v).mul(v).intoArray(g, i);
        }
        for (; i < n; i++) {
            g[i] = x[i] * cdf(x[i]);
        }
    }

    /**
     * The backward pass through {@link #gelu} in one pass over x: g = x Φ(x) recomputed into
     * {@code g} (cheaper than keeping it), and the slope Φ(x) + x φ(x) into {@code slope}.
     */
    static void geluWithSlope(float[] x, float[] g, float[] slope, int n) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, i);
            FloatVector phi = cdf(v);
            FloatVector density = v.mul(v).mul(-0.5f).lanewise(VectorOperators.EXP).mul(INV_SQRT_2PI);
            phi.mul(v).intoArray(g, i);
            v.fma(density, phi).intoArray(slope, i);
        }
        for (; i < n; i++) {
            float phi = cdf(x[i]);
            g[i] = x[i] * phi;
            slope[i] = phi + x[i] * (float) Math.exp(-0.5 * x[i] * x[i]) * INV_SQRT_2PI;
        }
    }

    /** y[i] *= x[i] over n elements. */
    static void multiplyInto(float[] x, float[] y, int n) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector.fromArray(SPECIES, y, i).mul(FloatVector.fromArray(SPECIES, x, i)).intoArray(y, i);
        }
        for (; i < n; i++) {
            y[i] *= x[i];
        }
    }

    /** Φ(x) of one value, the same fit as the vector form's. */
    private static float cdf(float x) {
        return cdf(FloatVector.broadcast(SPECIES, x)).lane(0);
    }

    /**
     * Φ(x) = (1 + erf(x / √2)) / 2, erf from a rational minimax fit on [-4, 4] (odd degree-13
     * numerator, even degree-8 denominator, the fit Eigen uses for float): within 7e-8 of erf,
     * and ±1 in float beyond. No exponential, one division.
     */
    private static FloatVector cdf(FloatVector x) {
        FloatVector z = x.mul(SQRT_HALF).max(-4f).min(4f);
        FloatVector z2 = z.mul(z);
        FloatVector p = z2.fma(-2.72614225801306e-10f, 2.77068142495902e-08f);
        p = p.fma(z2, FloatVector.broadcast(SPECIES, -2.10102402082508e-06f));
        p = p.fma(z2, FloatVector.broadcast(SPECIES, -5.69250639462346e-05f));
        p = p.fma(z2, FloatVector.broadcast(SPECIES, -7.34990630326855e-04f));
        p = p.fma(z2, FloatVector.broadcast(SPECIES, -2.95459980854025e-03f));
        p = p.fma(z2, FloatVector.broadcast(SPECIES, -1.60960333262415e-02f));
        FloatVector q = z2.fma(-1.45660718464996e-05f, -2.13374055278905e-04f);
        q = q.fma(z2, FloatVector.broadcast(SPECIES, -1.68282697438203e-03f));
        q = q.fma(z2, FloatVector.broadcast(SPECIES, -7.37332916720468e-03f));
        q = q.fma(z2, FloatVector.broadcast(SPECIES, -1.42647390514189e-02f));
        return p.mul(z).div(q).fma(0.5f, 0.5f);
    }

    /** Σ a[ao + i] b[bo + i] over n elements. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(SPECIES);
        for (; i <= n - LANES; i += LANES) {
            acc = FloatVector.fromArray(SPECIES, a, ao + i).fma(FloatVector.fromArray(SPECIES, b, bo + i), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[ao + i] * b[bo + i];
        }
        return s;
    }

    /**
     * dst[do + i] (+)= Σ_j w[wo + j wStride] src[so + j srcStride + i] for i < n, j < count: a
     * weighted sum of rows, each output vector summed in a register over all the rows.
     */
    static void combineRows(float[] w, int wo, int wStride, int count, float[] src, int so, int srcStride,
            float[] dst, int dOff, int n, boolean accumulate) {
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector acc = accumulate ? FloatVector.fromArray(SPECIES, dst, dOff + i) : FloatVector.zero(SPECIES);
            for (int j = 0; j < count; j++) {
                acc = FloatVector.fromArray(SPECIES, src, so + j * srcStride + i).fma(FloatVector.broadcast(SPECIES, w[wo + j * wStride]), acc);
            }
            acc.intoArray(dst, dOff + i);
        }
        for (; i < n; i++) {
            float sum = accumulate ? dst[dOff + i] : 0;
            for (int j = 0; j < count; j++) {
                sum += w[wo + j * wStride] * src[so + j * srcStride + i];
            }
            dst[dOff + i] = sum;
        }
    }

    /** y[yo + i] += alpha x[xo + i] over n elements. */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int i = 0;
        FloatVector va = FloatVector.broadcast(SPECIES, alpha);
        for (; i <= n - LANES; i += LANES) {
            FloatVector.fromArray(SPECIES, x, xo + i).fma(va, FloatVector.fromArray(SPECIES, y, yo + i)).intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    static float sum(float[] a, int o, int n) {
        int i = 0;
        FloatVector acc = FloatVector.zero(SPECIES);
        for (; i <= n - LANES; i += LANES) {
            acc = acc.add(FloatVector.fromArray(SPECIES, a, o + i));
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            s += a[o + i];
        }
        return s;
    }

    /** y[i] += x[i] over n elements. */
    static void addInto(float[] x, float[] y, int n) {
        for (int i = 0; i < n; i++) {
            y[i] += x[i];
        }
    }

    /** Column sums of a [rows, cols] array added to {@code into}. */
    static void addColumnSums(float[] a, int rows, int cols, float[] into) {
        for (int r = 0; r < rows; r++) {
            axpy(1f, a, r * cols, into, 0, cols);
        }
    }

    /** Softmax of each {@code n}-long row of {@code x} in place. */
    static void softmaxRows(float[] x, int rows, int n) {
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, x[o + i]);
            }
            float total = 0;
            for (int i = 0; i < n; i++) {
                float e = (float) Math.exp(x[o + i] - max);
                x[o + i] = e;
                total += e;
            }
            float inv = 1 / total;
            for (int i = 0; i < n; i++) {
                x[o + i] *= inv;
            }
        }
    }
}
