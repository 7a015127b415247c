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
            FloatVector vs = FloatVector.broadcast(SPECIES, s);
            for (i = 0; i <= dim - LANES; i += LANES) {
                FloatVector.fromArray(SPECIES, x, o + i).sub(m).mul(vs).intoArray(xhat, o + i);
            }
            for (; i < dim; i++) {
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
            FloatVector vrs = FloatVector.broadcast(SPECIES, rs);
            FloatVector vMeanD = FloatVector.broadcast(SPECIES, meanD);
            FloatVector vMeanDx = FloatVector.broadcast(SPECIES, -meanDx);
            int i = 0;
            for (; i <= dim - LANES; i += LANES) {
                FloatVector centred = FloatVector.fromArray(SPECIES, xhat, o + i)
                        .fma(vMeanDx, FloatVector.fromArray(SPECIES, dxhat, o + i).sub(vMeanD));
                centred.fma(vrs, FloatVector.fromArray(SPECIES, dx, o + i)).intoArray(dx, o + i);
            }
            for (; i < dim; i++) {
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
     * {@link #gelu} and its slope Φ(x) + x φ(x) in one pass over x, for the backward pass; {@code g}
     * may be {@code x} itself.
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
            float v = x[i];
            float phi = cdf(v);
            g[i] = v * phi;
            slope[i] = phi + v * (float) Math.exp(-0.5 * v * v) * INV_SQRT_2PI;
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
     * out[oo + s] = scale Σ_i a[ao + i] b[bo + s bStride + i] for s &lt; count: one row against
     * {@code count} rows, as attention's scores. Rows of four vectors (64 floats with AVX-512)
     * keep {@code a} in registers for every row of b.
     */
    static void dotRows(float[] a, int ao, float[] b, int bo, int bStride, int count, int n, float scale,
            float[] out, int oo) {
        if (n != 4 * LANES) {
            for (int s = 0; s < count; s++) {
                out[oo + s] = scale * dot(a, ao, b, bo + s * bStride, n);
            }
            return;
        }
        FloatVector a0 = FloatVector.fromArray(SPECIES, a, ao);
        FloatVector a1 = FloatVector.fromArray(SPECIES, a, ao + LANES);
        FloatVector a2 = FloatVector.fromArray(SPECIES, a, ao + 2 * LANES);
        FloatVector a3 = FloatVector.fromArray(SPECIES, a, ao + 3 * LANES);
        for (int s = 0; s < count; s++) {
            int r = bo + s * bStride;
            FloatVector even = FloatVector.fromArray(SPECIES, b, r).mul(a0)
                    .add(FloatVector.fromArray(SPECIES, b, r + 2 * LANES).mul(a2));
            FloatVector odd = FloatVector.fromArray(SPECIES, b, r + LANES).mul(a1)
                    .add(FloatVector.fromArray(SPECIES, b, r + 3 * LANES).mul(a3));
            out[oo + s] = scale * even.add(odd).reduceLanes(VectorOperators.ADD);
        }
    }

    /**
     * dst[do + i] (+)= Σ_j w[wo + j wStride] src[so + j srcStride + i] for i < n, j < count: a
     * weighted sum of rows, each output vector summed in a register over all the rows.
     */
    static void combineRows(float[] w, int wo, int wStride, int count, float[] src, int so, int srcStride,
            float[] dst, int dOff, int n, boolean accumulate) {
        int i = 0;
        for (; i <= n - 4 * LANES; i += 4 * LANES) { // four vectors at once: each weight broadcast once for them
            FloatVector a0, a1, a2, a3;
            if (accumulate) {
                a0 = FloatVector.fromArray(SPECIES, dst, dOff + i);
                a1 = FloatVector.fromArray(SPECIES, dst, dOff + i + LANES);
                a2 = FloatVector.fromArray(SPECIES, dst, dOff + i + 2 * LANES);
                a3 = FloatVector.fromArray(SPECIES, dst, dOff + i + 3 * LANES);
            } else {
                a0 = FloatVector.zero(SPECIES);
                a1 = a0;
                a2 = a0;
                a3 = a0;
            }
            for (int j = 0; j < count; j++) {
                FloatVector wj = FloatVector.broadcast(SPECIES, w[wo + j * wStride]);
                int r = so + j * srcStride + i;
                a0 = FloatVector.fromArray(SPECIES, src, r).fma(wj, a0);
                a1 = FloatVector.fromArray(SPECIES, src, r + LANES).fma(wj, a1);
                a2 = FloatVector.fromArray(SPECIES, src, r + 2 * LANES).fma(wj, a2);
                a3 = FloatVector.fromArray(SPECIES, src, r + 3 * LANES).fma(wj, a3);
            }
            a0.intoArray(dst, dOff + i);
            a1.intoArray(dst, dOff + i + LANES);
            a2.intoArray(dst, dOff + i + 2 * LANES);
            a3.intoArray(dst, dOff + i + 3 * LANES);
        }
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
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector.fromArray(SPECIES, y, i).add(FloatVector.fromArray(SPECIES, x, i)).intoArray(y, i);
        }
        for (; i < n; i++) {
            y[i] += x[i];
        }
    }

    /** Column sums of a [rows, cols] array added to {@code into}. */
    static void addColumnSums(float[] a, int rows, int cols, float[] into) {
        int c = 0;
        for (; c <= cols - 4 * LANES; c += 4 * LANES) { // four columns of vectors summed in registers down all rows
            FloatVector s0 = FloatVector.fromArray(SPECIES, into, c);
            FloatVector s1 = FloatVector.fromArray(SPECIES, into, c + LANES);
            FloatVector s2 = FloatVector.fromArray(SPECIES, into, c + 2 * LANES);
            FloatVector s3 = FloatVector.fromArray(SPECIES, into, c + 3 * LANES);
            for (int o = c; o < rows * cols; o += cols) {
                s0 = s0.add(FloatVector.fromArray(SPECIES, a, o));
                s1 = s1.add(FloatVector.fromArray(SPECIES, a, o + LANES));
                s2 = s2.add(FloatVector.fromArray(SPECIES, a, o + 2 * LANES));
                s3 = s3.add(FloatVector.fromArray(SPECIES, a, o + 3 * LANES));
            }
            s0.intoArray(into, c);
            s1.intoArray(into, c + LANES);
            s2.intoArray(into, c + 2 * LANES);
            s3.intoArray(into, c + 3 * LANES);
        }
        for (; c < cols; c++) {
            float sum = into[c];
            for (int o = c; o < rows * cols; o += cols) {
                sum += a[o];
            }
            into[c] = sum;
        }
    }

    /** Softmax of each {@code n}-long row of {@code x} in place; the exponentials in one vector pass over all rows. */
    static void softmaxRows(float[] x, int rows, int n) {
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, x[o + i]);
            }
            for (int i = 0; i < n; i++) {
                x[o + i] -= max;
            }
        }
        int total = rows * n;
        int i = 0;
        for (; i <= total - LANES; i += LANES) {
            FloatVector.fromArray(SPECIES, x, i).lanewise(VectorOperators.EXP).intoArray(x, i);
        }
        for (; i < total; i++) {
            x[i] = (float) Math.exp(x[i]);
        }
        for (int r = 0; r < rows; r++) {
            int o = r * n;
            float inv = 1 / sum(x, o, n);
            for (int j = 0; j < n; j++) {
                x[o + j] *= inv;
            }
        }
    }
}
