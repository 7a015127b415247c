package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

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
    /** SplitMix64's increment, which {@code java.util.SplittableRandom(seed)} uses. */
    private static final long GAMMA = 0x9e3779b97f4a7c15L;
    /**
     * The generator's state: draw k of a sequence seeded s is mix64(s + k γ), the sequence of
     * {@code new SplittableRandom(s).nextLong()}, written out so the mask loop keeps it in a
     * register (TlbModelTest holds the two equal).
     */
    private long state;
    private ByteBuffer staging;

    /** Restarts the mask sequence; the same seed gives the same masks. */
    void reseed(long seed) {
        state = seed;
    }

    /** 1 when the 24-bit draw u keeps its element (u >= dropBelow), else 0. */
    private static float kept(int u, int dropBelow) {
        return (dropBelow - 1 - u) >>> 31;
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
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
        long s = state;
        int pairs = n / 2;
        // Branch-free: a drop is a coin toss the CPU cannot predict. kept(u) is 1 when u >= dropBelow.
        for (int k = 0; k < pairs; k++) { // two 24-bit draws from each 64-bit one
            s += GAMMA;
            long bits = mix64(s);
            mask[2 * k] = keptScale * kept((int) (bits >>> 40), dropBelow);
            mask[2 * k + 1] = keptScale * kept((int) (bits & UNIFORM_MASK), dropBelow);
        }
        if (n % 2 == 1) {
            s += GAMMA;
            mask[n - 1] = keptScale * kept((int) (mix64(s) >>> 40), dropBelow);
        }
        state = s;
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
