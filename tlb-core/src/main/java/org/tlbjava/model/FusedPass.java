package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one fused pass over the recurrent cell shares: the weights copied out of the engine once,
 * the gradients it sums up (added to the engine's at the end), the dropout masks in the eager
 * path's order, and a workspace that lends its arrays again on the next pass of the same shape.
 */
final class FusedPass {
    final boolean training;
    final Dropout dropout;
    private final Pass pass;
    private final Workspace workspace;
    private final Map<Parameter, float[]> values = new IdentityHashMap<>();
    private final Map<Parameter, float[]> transposed = new IdentityHashMap<>();
    private final Map<Parameter, float[]> gradients = new IdentityHashMap<>();
    private final Map<List<Dense>, FoldedProjection> folded = new LinkedHashMap<>();

    /**
     * Arrays lent in order, kept between passes: a training pass asks for the same sizes in the
     * same order every step, so after the first it allocates nothing. One per model replica,
     * used by one thread at a time.
     */
    static final class Workspace {
        private final List<float[]> arrays = new ArrayList<>();
        private int next;

        /** An array of at least n floats whose contents are undefined. */
        float[] take(int n) {
            if (next < arrays.size() && arrays.get(next).length >= n) {
                return arrays.get(next++);
            }
            float[] a = new float[n];
            if (next < arrays.size()) {
                arrays.set(next++, a);
            } else {
                arrays.add(a);
                next++;
            }
            return a;
        }

        void restart() {
            next = 0;
        }
    }

    /** Each thread's workspace for passes that keep no tape (eval): one chunk's arrays, reused chunk after chunk. */
    private static final ThreadLocal<Workspace> EVAL = ThreadLocal.withInitial(Workspace::new);

    /**
     * A pass reading weights through {@code pass}, lent arrays by {@code workspace}, which one
     * thread uses at a time; an eval pass (no {@code workspace}) uses its thread's own.
     */
    FusedPass(Pass pass, Dropout dropout, Workspace workspace) {
        this.pass = pass;
        this.training = pass.training;
        this.dropout = dropout;
        this.workspace = workspace != null ? workspace : EVAL.get();
        this.workspace.restart();
    }

    /** An array of at least n floats to be written whole before it is read. */
    float[] take(int n) {
        return workspace.take(n);
    }

    /** Where the next array would be lent from; {@link #release} lends from there again. */
    int mark() {
        return workspace.next;
    }

    /** Lends the arrays from {@code mark} on again: what they hold is no longer needed. */
    void release(int mark) {
        workspace.next = mark;
    }

    /** An array whose first n floats are zero. */
    float[] zeros(int n) {
        float[] a = take(n);
        Arrays.fill(a, 0, n, 0f);
        return a;
    }

    /** x̂ and 1/σ of each [rows, dim] row of x. */
    FusedMath.Standardized standardize(float[] x, int rows, int dim) {
        return FusedMath.standardize(x, rows, dim, take(rows * dim), take(rows));
    }

    /** The parameter's value as a row-major float array. */
    float[] value(Parameter p) {
        return values.computeIfAbsent(p, k -> pass.value(k).toFloatArray());
    }

    /** A [rows, cols] weight transposed to [cols, rows], row-major. */
    float[] transposed(Parameter p, int rows, int cols) {
        return transposed.computeIfAbsent(p, k -> {
            float[] w = value(k);
            float[] t = new float[rows * cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    t[c * rows + r] = w[r * cols + c];
                }
            }
            return t;
        });
    }

    /** The parameter's gradient summed over this pass, zeros at first. */
    float[] gradient(Parameter p) {
        return gradients.computeIfAbsent(p, k -> new float[Math.toIntExact(k.getArray().size())]);
    }

    /** {@code denses}, each after its own LayerNorm in {@code norms}, folded once per pass. */
    FoldedProjection folded(List<Dense> denses, List<Norm> norms) {
        return folded.computeIfAbsent(denses, d -> new FoldedProjection(this, d, norms));
    }

    /** Adds this pass's gradients to the engine's gradients of the parameters' values. */
    void addGradientsToEngine(NDManager manager) {
        for (FoldedProjection f : folded.values()) {
            f.addGradients(this);
        }
        for (Map.Entry<Parameter, float[]> e : gradients.entrySet()) {
            backward(pass.value(e.getKey()), e.getValue(), manager);
        }
    }

    /**
     * Backpropagates {@code gradient} from {@code output} through the engine's graph; on a
     * parameter it is added to the gradient (which need not exist yet, unlike the array's).
     */
    static void backward(NDArray output, float[] gradient, NDManager manager) {
        Shape shape = output.getShape();
        try (NDArray g = manager.create(FloatBuffer.wrap(gradient, 0, Math.toIntExact(shape.size())), shape)) {
            JniUtils.backward((PtNDArray) output, (PtNDArray) g, false, false);
        }
    }
}
