package org.tlbjava.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tlbjava.config.TlbConfig;

/**
 * The reference's {@code TemporalLatentBottleneckModel}: patch embedding, the recurrent cell run
 * over the chunks with a slow state starting at zeros, then the last chunk's fast stream averaged
 * over its tokens and a dense head. {@link #forward} returns logits in float32; softmax of them
 * is the reference's output.
 */
public final class TlbModel extends Module {
    private final TlbConfig config;
    private final PatchEmbedding patchLayer;
    private final RecurrentCell cell;
    private final Dense head;
    private final Dropout dropout = new Dropout();
    private EngineTuning.Matmuls matmuls;

    private TlbModel(TlbConfig config) {
        this.config = config;
        patchLayer = addChildBlock("patch_embedding", new PatchEmbedding(config));
        cell = addChildBlock("rnn", new RecurrentCell(config, dropout));
        head = addChildBlock("head", new Dense(config.embedDim, config.numClasses));
    }

    /** A model with fresh weights drawn from {@code config.seed}: the same seed gives the same weights. */
    public static TlbModel create(TlbConfig config, NDManager manager) {
        config.validate();
        MemoryEstimate.requireFits(config, 1, 0, false);
        EngineTuning.tuneAllocator();
        TlbModel model = new TlbModel(config);
        model.matmuls = EngineTuning.configureMatmuls(config.mixedPrecision);
        Engine.getInstance().setRandomSeed((int) config.seed);
        model.initialize(manager, DataType.FLOAT32, new Shape(1, 3, config.imageSize, config.imageSize));
        return model;
    }

    /** The parameter count of {@code config}'s model, from the declared shapes: nothing is allocated. */
    public static long parameterCount(TlbConfig config) {
        return new TlbModel(config).parameterCount();
    }

    public TlbConfig config() {
        return config;
    }

    /**
     * How this model's matmuls compute (measured when it was created). The setting is the
     * engine's, for the whole process: the last model created decides it.
     */
    public EngineTuning.Matmuls matmuls() {
        return matmuls;
    }

    /** Restarts the dropout masks' random sequence: the same seed gives the same masks. */
    public void reseedDropout(long seed) {
        dropout.reseed(seed);
    }

    /** Logits [batch, classes] for images [batch, 3, image_size, image_size]. */
    public NDArray forward(ParameterStore ps, NDArray images, boolean training) {
        return forward(ps, images, training, null);
    }

    /**
     * Logits, and when {@code tlbAttention} is not null, the TLB block's attention probabilities
     * of every chunk appended to it in order, each [batch, heads, chunk_size, chunk_size].
     */
    public NDArray forward(ParameterStore ps, NDArray images, boolean training, List<NDArray> tlbAttention) {
        NDArray chunks = patchLayer.forward(ps, images, training);
        long batch = chunks.getShape().get(0);
        NDArray slow = chunks.getManager().zeros(new Shape(batch, config.chunkSize, config.embedDim));
        NDArray fast = null;
        // One split, not a select per chunk: each select's backward pass writes a zero-filled
        // gradient of the whole [batch, chunks, ...] input; the split's is a single concatenation.
        NDList perChunk = chunks.split(config.numChunks(), 1);
        List<AttentionWithFfn.Folded> weights = cell.fold(ps, images.getDevice(), training);
        for (int c = 0; c < config.numChunks(); c++) {
            RecurrentCell.Step step;
            // A chunk's intermediates are released as soon as it is done (the backward pass keeps
            // what it needs): eval-mode memory is one chunk's, and freed buffers are reused warm.
            try (NDScope chunkScope = new NDScope()) {
                step = cell.call(ps, weights, perChunk.get(c).squeeze(1), slow, training);
                NDScope.unregister(step.fast(), step.slow(), step.tlbProbs());
            }
            NDScope.register(step.fast());
            NDScope.register(step.slow());
            NDScope.register(step.tlbProbs());
            fast = step.fast();
            slow = step.slow();
            if (tlbAttention != null) {
                tlbAttention.add(step.tlbProbs());
            }
        }
        return head.forward(ps, fast.mean(new int[] {1}), training);
    }

    /** Trainable parameter counts of the top-level blocks, in order, as the summary lists them. */
    public Map<String, Long> blockParameterCounts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        counts.put("patch_embedding", patchLayer.parameterCount());
        counts.put("rnn", cell.parameterCount());
        counts.put("head", head.parameterCount());
        return counts;
    }
}
