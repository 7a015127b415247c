package org.tlbjava.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise kernels of the fused path on row-major float arrays, vectorised with the
 * CPU's widest float vectors: LayerNorm's standardization, exact GELU, and the short dot
 * products and updates of per-image attention. Each does its work in one pass over memory
 * where the eager path runs several engine operations.
 */
final class FusedMath {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
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
        for (int i = 0; i < n; i += LANES) {
            VectorMask<Float> in = SPECIES.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(SPECIES, x, i, in);
            cdf(v).mul(v).intoArray(g, i, in);
        }
    }

    /** dx = dg (Φ(x) + x φ(x)), in place on dg: the gradient through {@link #gelu}. */
    static void geluBackward(float[] x, float[] dg, int n) {
        for (int i = 0; i < n; i += LANES) {
            VectorMask<Float> in = SPECIES.indexInRange(i, n);
            FloatVector v = FloatVector.fromArray(SPECIES, x, i, in);
            FloatVector density = v.mul(v).mul(-0.5f).lanewise(VectorOperators.EXP).mul(INV_SQRT_2PI);
            FloatVector slope = cdf(v).add(v.mul(density));
            FloatVector.fromArray(SPECIES, dg, i, in).mul(slope).intoArray(dg, i, in);
        }
    }

    /**
     * Φ(x) = (1 + erf(x / √2)) / 2, erf from the Chebyshev fit of erfc in Numerical Recipes
     * (fractional error below 1.2e-7): erfc(z) = t exp(-z² + P(t)), t = 1 / (1 + z/2), z ≥ 0.
     */
    private static FloatVector cdf(FloatVector x) {
        FloatVector z = x.mul(SQRT_HALF);
        FloatVector a = z.abs();
        FloatVector t = FloatVector.broadcast(SPECIES, 1f).div(a.mul(0.5f).add(1f));
        FloatVector p = t.mul(0.17087277f).add(-0.82215223f);
        p = p.fma(t, FloatVector.broadcast(SPECIES, 1.48851587f));
        p = p.fma(t, FloatVector.broadcast(SPECIES, -1.13520398f));
        p = p.fma(t, FloatVector.broadcast(SPECIES, 0.27886807f));
        p = p.fma(t, FloatVector.broadcast(SPECIES, -0.18628806f));
        p = p.fma(t, FloatVector.broadcast(SPECIES, 0.09678418f));
        p = p.fma(t, FloatVector.broadcast(SPECIES, 0.37409196f));
        p = p.fma(t, FloatVector.broadcast(SPECIES, 1.00002368f));
        p = p.fma(t, FloatVector.broadcast(SPECIES, -1.26551223f));
        FloatVector erfc = t.mul(a.mul(a).neg().add(p).lanewise(VectorOperators.EXP));
        // erf(z) = 1 - erfc(|z|) for z ≥ 0 and erfc(|z|) - 1 below; Φ = (1 + erf) / 2.
        FloatVector half = erfc.mul(0.5f);
        return FloatVector.broadcast(SPECIES, 1f).sub(half).blend(half, z.compare(VectorOperators.LT, 0f));
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
