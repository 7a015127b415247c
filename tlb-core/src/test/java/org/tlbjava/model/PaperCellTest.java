package org.tlbjava.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tlbjava.config.RunConfig;

/** The paper variant's mechanism works where the example's is degenerate. */
class PaperCellTest {
    private NDManager manager;
    private ParameterStore ps;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        ps = new ParameterStore(manager, false);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    static RunConfig paper() {
        RunConfig c = RunConfig.defaults().with("variant=paper");
        return c;
    }

    private NDArray chunk(int batch, int tokens, int dim) {
        Engine.getInstance().setRandomSeed(3);
        return manager.randomNormal(new Shape(batch, tokens, dim));
    }

    /** The largest distance between two state vectors of one image after one step, per cell. */
    private double smallestPairwiseDistance(Cell cell, Module block, RunConfig c) {
        block.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32, new Shape(1));
        Pass pass = new Pass(block, ps, false, manager, c.model().embedDim());
        NDArray chunk = chunk(2, c.model().chunkSize(), c.model().embedDim());
        NDArray state = cell.call(pass, chunk, cell.initialState(pass, chunk)).state();
        long vectors = state.getShape().get(1);
        double smallest = Double.MAX_VALUE;
        for (int i = 0; i < vectors; i++) {
            for (int j = i + 1; j < vectors; j++) {
                NDArray diff = state.get(":, {}", i).sub(state.get(":, {}", j));
                smallest = Math.min(smallest, diff.abs().max().getFloat());
            }
        }
        return smallest;
    }

    @Test
    void afterOneChunkThePaperStateVectorsDifferPairwiseAndTheExamplesDoNot() {
        RunConfig p = paper();
        PaperCell paperCell = new PaperCell(p.model(), new Dropout());
        assertTrue(smallestPairwiseDistance(paperCell, paperCell, p) > 1e-3, "paper state vectors differ");
        RunConfig k = RunConfig.defaults();
        RecurrentCell kerasCell = new RecurrentCell(k.model(), new Dropout());
        assertTrue(smallestPairwiseDistance(kerasCell, kerasCell, k) < 1e-5, "the example's defect: equal vectors");
    }

    /** Mean |gradient| per parameter of one backward pass over 8 random images. */
    private List<Double> gradientMeans(TlbModel model) {
        for (Pair<String, Parameter> p : model.getParameters()) {
            p.getValue().getArray().setRequiresGradient(true);
        }
        Engine.getInstance().setRandomSeed(5);
        NDArray x = manager.randomUniform(0, 1, new Shape(8, 3, 48, 48));
        NDArray labels = manager.create(new int[] {0, 1, 2, 3, 4, 5, 6, 7});
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(model.forward(ps, x, true).logSoftmax(-1).mul(labels.oneHot(10)).sum().neg());
        }
        List<Double> means = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getParameters()) {
            means.add((double) p.getValue().getArray().getGradient().abs().mean().getFloat());
        }
        return means;
    }

    /**
     * Every paper parameter gets a gradient far above rounding noise (1e-7 of the largest mean).
     * Excepted: the key bias and the key LayerNorm's β, which add the same vector to every key;
     * softmax is blind to that in any attention. (The example's slow-attention queries and keys
     * get gradient in training only through dropout noise that makes its state vectors differ.)
     */
    @Test
    void everyPaperParameterGetsAGradient() {
        RunConfig c = paper().with("learned_state=true");
        TlbModel paperModel = TlbModel.create(c, manager);
        List<Double> means = gradientMeans(paperModel);
        double largest = means.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        List<Pair<String, Parameter>> params = paperModel.getParameters().stream().toList();
        for (int i = 0; i < means.size(); i++) {
            if (shiftsEveryKey(params.get(i).getKey())) {
                continue;
            }
            assertTrue(means.get(i) > 1e-7 * largest, params.get(i).getKey() + ": mean |gradient| " + means.get(i)
                    + " against the largest " + largest);
        }
    }

    private static boolean shiftsEveryKey(String name) {
        return name.endsWith("key_bias") || name.endsWith("k_layernorm_beta");
    }

    /** Parameters by the formula: blocks of attention + feed-forward, the embedding, the readout and head. */
    @Test
    void parameterCountMatchesTheFormula() {
        for (int heads : new int[] {1, 2}) {
            RunConfig c = paper().with("num_heads=" + heads, "key_dim=" + 64 / heads, "learned_state=true");
            long d = c.model().embedDim();
            long inner = (long) c.model().numHeads() * c.model().keyDim();
            long attention = 3 * 2 * d + 3 * (d * inner + inner) + (inner * d + d);
            long ffn = 2 * d + (d * 4 * d + 4 * d) + (4 * d * d + d);
            long blocks = c.model().numLayers() + (c.model().numLayers() + c.model().r() - 1) / c.model().r() + 1;
            long patch = d * 3 * c.model().patchSize() * c.model().patchSize() + d + (long) c.model().numPatches() * d + 2 * d;
            long state = (long) c.model().stateTokens() * d;
            long readout = 2 * d + d * c.model().numClasses() + c.model().numClasses();
            assertEquals(patch + blocks * (attention + ffn) + state + readout, TlbModel.parameterCount(c), heads + " heads");
        }
    }

    @Test
    void bottleneckAttentionIsOneMapPerChunkOfStateOverTokens() {
        RunConfig c = paper().with("state_tokens=5");
        TlbModel model = TlbModel.create(c, manager);
        List<NDArray> maps = new ArrayList<>();
        model.forward(ps, manager.randomUniform(0, 1, new Shape(2, 3, 48, 48)), false, maps);
        assertEquals(c.model().numChunks(), maps.size());
        assertEquals(new Shape(2, 1, 5, 8), maps.get(0).getShape());
    }
}
