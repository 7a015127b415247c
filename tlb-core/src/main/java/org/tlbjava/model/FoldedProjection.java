package org.tlbjava.model;

import java.util.List;

/**
 * Dense layers that each read one input through a LayerNorm of their own, folded for one fused
 * pass into a single affine map of the standardized input x̂, as {@link Attention#fold} does for
 * the eager path: W' = [W_j diag γ_j] stacked, b' = [W_j β_j + b_j]. One matmul then serves
 * every layer (q, k and v of a self-attention), and no LayerNorm output is ever written. The
 * gradients of W' and b' are summed over the pass and unfolded into the layers' own once, at its
 * end ({@link #addGradients}).
 */
final class FoldedProjection {
    private final List<Dense> denses;
    private final List<Norm> norms;
    private final int in;
    private final int out;
    private final float[] weight;
    private final float[] weightT;
    private final float[] bias;
    private final float[] dWeight;
    private final float[] dBias;

    FoldedProjection(FusedPass p, List<Dense> denses, List<Norm> norms) {
        this.denses = denses;
        this.norms = norms;
        in = denses.get(0).in();
        int total = 0;
        for (Dense d : denses) {
            total += d.out();
        }
        out = total;
        weight = new float[out * in];
        weightT = new float[in * out];
        bias = new float[out];
        int row = 0;
        for (int j = 0; j < denses.size(); j++) {
            float[] w = p.value(denses.get(j).weightParameter());
            float[] b = p.value(denses.get(j).biasParameter());
            float[] gamma = p.value(norms.get(j).gammaParameter());
            float[] beta = p.value(norms.get(j).betaParameter());
            for (int o = 0; o < denses.get(j).out(); o++, row++) {
                float shift = b[o];
                for (int i = 0; i < in; i++) {
                    float wv = w[o * in + i];
                    weight[row * in + i] = wv * gamma[i];
                    weightT[i * out + row] = wv * gamma[i];
                    shift += wv * beta[i];
                }
                bias[row] = shift;
            }
        }
        dWeight = new float[out * in];
        dBias = new float[out];
    }

    int width() {
        return out;
    }

    /** y[rows, width] = x̂ W'ᵀ + b'. */
    void forward(float[] xhat, int rows, float[] y) {
        Dense.affine(xhat, rows, in, out, weightT, bias, y);
    }

    /** Sums dW' += dyᵀ x̂ and db' += Σ dy, and writes dy W' to {@code dxhat}. */
    void backward(float[] xhat, float[] dy, int rows, float[] dxhat) {
        Dense.affineBackward(xhat, dy, rows, in, out, weight, dWeight, dBias, dxhat);
    }

    /**
     * Unfolds the pass's dW', db' into each layer's gradients: dW = dW' diag γ + db' βᵀ,
     * db = db', dγ = Σ_o dW' ⊙ W, dβ = Wᵀ db'.
     */
    void addGradients(FusedPass p) {
        int row = 0;
        for (int j = 0; j < denses.size(); j++) {
            Dense dense = denses.get(j);
            Norm norm = norms.get(j);
            float[] w = p.value(dense.weightParameter());
            float[] gamma = p.value(norm.gammaParameter());
            float[] beta = p.value(norm.betaParameter());
            float[] dW = p.gradient(dense.weightParameter());
            float[] db = p.gradient(dense.biasParameter());
            float[] dGamma = p.gradient(norm.gammaParameter());
            float[] dBeta = p.gradient(norm.betaParameter());
            for (int o = 0; o < dense.out(); o++, row++) {
                db[o] += dBias[row];
                for (int i = 0; i < in; i++) {
                    float g = dWeight[row * in + i];
                    dW[o * in + i] += g * gamma[i] + dBias[row] * beta[i];
                    dGamma[i] += g * w[o * in + i];
                    dBeta[i] += dBias[row] * w[o * in + i];
                }
            }
        }
    }
}
