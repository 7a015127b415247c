package org.tlbjava.model;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import org.tlbjava.TlbException;
import org.tlbjava.config.RunConfig;

/**
 * A rough upper estimate of the native memory a configuration needs, made before anything is
 * allocated, so that an impossible configuration ({@code embed_dim=100000}) is refused with a
 * plain message instead of failing inside the engine. Weights are counted from the declared
 * shapes; activations are scaled from the measured ~7 MB per training image of the reference
 * model (docs/PERFORMANCE.md) by tokens, width and blocks.
 */
public final class MemoryEstimate {
    private static final double REFERENCE_ACTIVATION_BYTES = 7e6;
    private static final double REFERENCE_TOKENS = 144;
    private static final double REFERENCE_WIDTH = 4 * 64;
    private static final double REFERENCE_BLOCKS = 7;

    private MemoryEstimate() {}

    /**
     * Bytes for {@code replicas} copies of the model, each with its gradient when training, the
     * optimizer's two moments, and the activations of {@code imagesPerPass} images per replica.
     */
    public static double bytes(RunConfig c, int replicas, int imagesPerPass, boolean training) {
        double weights = 4.0 * TlbModel.parameterCount(c);
        double models = training ? weights * (2.0 * (replicas + 1) + 2) : weights * replicas;
        double width = Math.max(4.0 * c.model().embedDim(), 3.0 * c.model().numHeads() * c.model().keyDim());
        double blocks = c.model().numLayers() + (c.model().numLayers() + c.model().r() - 1) / c.model().r() + 1.0;
        double perImage = REFERENCE_ACTIVATION_BYTES * (c.model().numPatches() / REFERENCE_TOKENS)
                * (width / REFERENCE_WIDTH) * (blocks / REFERENCE_BLOCKS) * (training ? 1 : 0.1);
        return models + perImage * imagesPerPass * replicas;
    }

    /** Refuses a configuration whose estimate exceeds this machine's memory. */
    public static void requireFits(RunConfig c, int replicas, int imagesPerPass, boolean training) {
        double need = bytes(c, replicas, imagesPerPass, training);
        long have = physicalMemory();
        if (need > have) {
            throw new TlbException(String.format(Locale.ROOT,
                    "this configuration needs about %s of memory to %s (%,d parameters%s), more than this"
                            + " machine's %s; choose a smaller embed_dim, key_dim, num_layers, image_size or"
                            + " micro_batch_size",
                    gigabytes(need), training ? "train" : "run", TlbModel.parameterCount(c),
                    imagesPerPass > 0 ? ", " + imagesPerPass + " images per pass on " + replicas + " workers" : "",
                    gigabytes(have)));
        }
    }

    static long physicalMemory() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    }

    private static String gigabytes(double bytes) {
        return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
    }
}
