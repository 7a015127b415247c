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
import org.tlbjava.config.ModelConfig;
import org.tlbjava.config.RunConfig;

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
    public static List<Part> measure(RunConfig config, NDManager manager, int batch, int repeats) {
        ModelConfig c = config.model();
        Cell layout = new TlbModel(config).cell(); // only counted, never run
        int self = layout.selfAttentionCalls();
        int cross = layout.crossAttentionCalls();
        int chunks = c.numChunks();
        Shape tokens = new Shape(batch, c.chunkSize(), c.embedDim());
        Dropout dropout = new Dropout();
        PatchEmbedding patches = init(new PatchEmbedding(c), manager);
        Attention attention = init(new Attention(c, dropout), manager);
        FeedForward ffn = init(new FeedForward(c.embedDim(), dropout, (float) c.ffnDrop()), manager);
        Dense head = init(new Dense(c.embedDim(), c.numClasses()), manager);
        ParameterStore ps = new ParameterStore(manager, false);
        Pass pass = new Pass(attention, ps, true, manager, c.embedDim());
        pass.useProjections(attention, detached(pass.projections(attention)));
        NDArray images = manager.randomUniform(0, 1, new Shape(batch, 3, c.imageSize(), c.imageSize()));
        NDArray x = leaf(manager.randomNormal(tokens));
        NDArray y = leaf(manager.randomNormal(tokens));

        List<Part> parts = new ArrayList<>();
        parts.add(time("patch embedding", 1, repeats, () -> patches.forward(pass, images)));
        parts.add(time("attention: weight folding", self + cross, repeats, () -> foldedSum(attention.fold(pass))));
        parts.add(time("attention: input standardization", chunks * (self + cross + 1), repeats,
                () -> standardizedOnce(pass, x)));
        // The attention parts leave standardization out (timed above): leaves stand for x̂.
        pass.endChunk();
        pass.useStandardized(x, y);
        pass.useStandardized(y, x);
        parts.add(time("attention: self", chunks * self, repeats, () -> attention.forward(pass, x, x).out()));
        parts.add(time("attention: cross", chunks * cross, repeats, () -> attention.forward(pass, x, y).out()));
        parts.add(time("feed-forward", chunks * (self + cross), repeats, () -> ffn.forward(pass, x)));
        parts.add(time("head and loss", 1, repeats,
                () -> head.forward(pass, x.mean(new int[] {1})).logSoftmax(-1).neg()));
        return parts;
    }

    /** A fresh standardization each call: the pass's cache would otherwise answer from the first. */
    private static NDArray standardizedOnce(Pass pass, NDArray x) {
        pass.endChunk();
        return pass.standardized(x);
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
