package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/**
 * Keras' Dropout (inverted: a kept value is scaled by 1 / (1 - rate)), with masks drawn by a
 * Java generator that each model replica owns. PyTorch's CPU dropout draws its masks on one
 * thread under a process-wide generator lock on non-Intel CPUs: 17 % of a training step here,
 * and it serialised the data-parallel workers (docs/PERFORMANCE.md).
 */
final class Dropout {
    /** A 24-bit uniform draw, as PyTorch's float uniform, decides each element. */
    private static final int UNIFORM_BITS = 24;
    private static final long UNIFORM_MASK = (1L << UNIFORM_BITS) - 1;
    private SplittableRandom random = new SplittableRandom(0);
    private ByteBuffer staging;

    /** Restarts the mask sequence; the same seed gives the same masks. */
    void reseed(long seed) {
        random = new SplittableRandom(seed);
    }

    /** x with each element zeroed with probability {@code rate} and the rest scaled, when training. */
    NDArray apply(NDArray x, float rate, boolean training) {
        if (!training || rate == 0) {
            return x;
        }
        int n = Math.toIntExact(x.size());
        staging(n).put(mask(new float[n], n, rate), 0, n);
        try (NDArray view = x.getManager().create(staging, x.getShape(), DataType.FLOAT32)) {
            return x.mul(view.duplicate()); // the engine's own copy: the staging buffer is reused
        }
    }

    /**
     * Fills the first n elements of {@code mask} with the next mask of this sequence: 0 with
     * probability {@code rate}, else 1 / (1 - rate). {@link #apply} multiplies by the same masks.
     */
    float[] mask(float[] mask, int n, float rate) {
        int dropBelow = Math.round(rate * (1 << UNIFORM_BITS));
        float keptScale = 1 / (1 - rate);
        for (int i = 0; i < n; i += 2) { // two 24-bit draws from each 64-bit one
            long bits = random.nextLong();
            mask[i] = (int) (bits >>> 40) < dropBelow ? 0 : keptScale;
            if (i + 1 < n) {
                mask[i + 1] = (int) (bits & UNIFORM_MASK) < dropBelow ? 0 : keptScale;
            }
        }
        return mask;
    }

    /**
     * A direct buffer of n floats, reused across calls: allocating one per mask cost more than
     * drawing it (Java zeroes and later garbage-collects every direct buffer).
     */
    private FloatBuffer staging(int n) {
        if (staging == null || staging.capacity() < n * Float.BYTES) {
            staging = ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.nativeOrder());
        }
        staging.clear().limit(n * Float.BYTES);
        return staging.asFloatBuffer();
    }
}
