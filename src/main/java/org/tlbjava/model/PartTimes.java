package org.tlbjava.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.tlbjava.config.TlbConfig;

/**
 * Where a training pass (forward and backward over one micro-batch) spends its time, part by
 * part: each part of the model runs alone on the calling thread at the shapes it has inside the
 * model, forward then backward, and its median time is multiplied by its calls per pass. What a
 * whole pass takes beyond their sum is the recurrence's glue (chunk split, autograd bookkeeping
 * across parts).
 */
public final class PartTimes {
    /** One part: its median milliseconds per call and its calls per pass. */
    public record Part(String name, int callsPerPass, double msPerCall) {
        public double msPerPass() {
            return callsPerPass * msPerCall;
        }
    }

    private PartTimes() {}

    /** Times every part {@code repeats} times at micro-batch {@code batch}, with dropout on as in training. */
    public static List<Part> measure(TlbConfig config, NDManager manager, int batch, int repeats) {
        Dropout dropout = new Dropout();
        RecurrentCell layout = new RecurrentCell(config, dropout); // only counted, never run
        int perceptual = layout.perceptualBlocks();
        int slowCalls = layout.slowCalls();
        int chunks = config.numChunks();
        Shape tokens = new Shape(batch, config.chunkSize, config.embedDim);
        PatchEmbedding patches = init(new PatchEmbedding(config), manager);
        Attention attention = init(new Attention(config.embedDim, config.numHeads, config.keyDim, dropout,
                (float) config.attnDrop), manager);
        FeedForward ffn = init(new FeedForward(config.embedDim, dropout, (float) config.ffnDrop), manager);
        Dense head = init(new Dense(config.embedDim, config.numClasses), manager);
        Stream.Standardizer standardizer = new Stream.Standardizer(manager, config.embedDim);
        ParameterStore ps = new ParameterStore(manager, false);
        NDArray images = manager.randomUniform(0, 1, new Shape(batch, 3, config.imageSize, config.imageSize));
        NDArray x = leaf(manager.randomNormal(tokens));
        NDArray y = leaf(manager.randomNormal(tokens));
        Attention.Projections folded = detached(attention.fold(ps, x.getDevice(), true));

        List<Part> parts = new ArrayList<>();
        parts.add(time("patch embedding", 1, repeats, () -> patches.forward(ps, images, true)));
        parts.add(time("attention: weight folding", perceptual + 1 + slowCalls, repeats,
                () -> foldedSum(attention.fold(ps, x.getDevice(), true))));
        parts.add(time("attention: input standardization", chunks * (2 + perceptual + slowCalls), repeats,
                () -> standardizer.of(x).standardized()));
        Stream one = new Stream(x, y);
        parts.add(time("attention: self", chunks * perceptual, repeats,
                () -> attention.forward(folded, one, one, true).out()));
        parts.add(time("attention: cross", chunks * (slowCalls + 1), repeats,
                () -> attention.forward(folded, new Stream(x, x), new Stream(y, y), true).out()));
        parts.add(time("feed-forward", chunks * (perceptual + slowCalls + 1), repeats, () -> ffn.forward(ps, x, true)));
        parts.add(time("head and loss", 1, repeats,
                () -> head.forward(ps, x.mean(new int[] {1}), true).logSoftmax(-1).neg()));
        return parts;
    }

    private static <T extends Block> T init(T block, NDManager manager) {
        block.initialize(manager, DataType.FLOAT32, new Shape(1));
        for (Pair<String, Parameter> p : block.getParameters()) {
            p.getValue().getArray().setRequiresGradient(true);
        }
        return block;
    }

    private static NDArray leaf(NDArray x) {
        x.setRequiresGradient(true);
        return x;
    }

    /** The folded weights as leaves: the attention parts' timings then leave out the folding, timed on its own. */
    private static Attention.Projections detached(Attention.Projections p) {
        return new Attention.Projections(leaf(p.qkvWeight().stopGradient()), leaf(p.qkvBias().stopGradient()),
                leaf(p.qWeight().stopGradient()), leaf(p.qBias().stopGradient()), leaf(p.kvWeight().stopGradient()),
                leaf(p.kvBias().stopGradient()), leaf(p.outWeight().stopGradient()), leaf(p.outBias().stopGradient()));
    }

    private static NDArray foldedSum(Attention.Projections p) {
        return new NDList(p.qkvWeight().sum(), p.qkvBias().sum(), p.outWeight().sum(), p.outBias().sum())
                .stream().reduce(NDArray::add).orElseThrow();
    }

    /** Median milliseconds of forward + backward of {@code part} (its output summed to a scalar), after one warm-up. */
    private static Part time(String name, int calls, int repeats, Supplier<NDArray> part) {
        List<Double> ms = new ArrayList<>();
        boolean gradMode = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
        try {
            for (int i = 0; i <= repeats; i++) {
                long start = System.nanoTime();
                try (NDScope temporaries = new NDScope()) {
                    NDArray loss = part.get().sum();
                    JniUtils.backward((PtNDArray) loss, (PtNDArray) loss.onesLike(), false, false);
                }
                if (i > 0) {
                    ms.add((System.nanoTime() - start) / 1e6);
                }
            }
        } finally {
            JniUtils.setGradMode(gradMode);
        }
        ms.sort(null);
        return new Part(name, calls, ms.get(ms.size() / 2));
    }
}
