package org.tlbjava.model;

import static org.junit.jupiter.api.Assertions.*;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tlbjava.config.RunConfig;

class TlbModelTest {
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

    private NDArray images(int batch, long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
        return manager.randomUniform(0, 1, new Shape(batch, 3, 48, 48));
    }

    @Test
    void defaultConfigHasTheReferenceParameterCounts() {
        TlbModel model = TlbModel.create(RunConfig.defaults(), manager);
        Map<String, Long> counts = model.blockParameterCounts();
        assertEquals(12_480L, counts.get("patch_embedding"));
        assertEquals(402_752L, counts.get("rnn"));
        assertEquals(650L, counts.get("head"));
        assertEquals(415_882L, model.parameterCount());
    }

    /**
     * One row of logits per image, and each row depends on its image alone: the same as that image
     * run alone, unchanged when another image of the batch changes (nothing mixes the batch).
     */
    @Test
    void eachImagesLogitsDependOnThatImageAlone() {
        TlbModel model = TlbModel.create(RunConfig.defaults(), manager);
        NDArray x = images(4, 1);
        NDArray logits = model.forward(ps, x, false);
        assertEquals(new Shape(4, 10), logits.getShape());
        float[] rows = logits.toFloatArray();
        float[] alone = model.forward(ps, x.get("2:3"), false).toFloatArray();
        NDArray changed = x.duplicate();
        changed.set(new NDIndex("3"), images(1, 9).squeeze(0));
        float[] other = model.forward(ps, changed, false).toFloatArray();
        double rowTwo = 0;
        double unchanged = 0;
        double rowThree = 0;
        for (int c = 0; c < 10; c++) {
            rowTwo = Math.max(rowTwo, Math.abs(alone[c] - rows[20 + c]));
            for (int i = 0; i < 3; i++) {
                unchanged = Math.max(unchanged, Math.abs(other[10 * i + c] - rows[10 * i + c]));
            }
            rowThree = Math.max(rowThree, Math.abs(other[30 + c] - rows[30 + c]));
        }
        assertTrue(rowTwo < 1e-5, "image 2 alone against in the batch: " + rowTwo);
        assertTrue(unchanged < 1e-5, "images 0-2 after image 3 changed: " + unchanged);
        assertTrue(rowThree > 1e-3, "image 3's own logits follow it: " + rowThree);
    }

    @Test
    void sameSeedGivesSameWeightsAndOutputs() {
        TlbModel a = TlbModel.create(RunConfig.defaults(), manager);
        TlbModel b = TlbModel.create(RunConfig.defaults(), manager);
        RunConfig other = RunConfig.defaults().with("seed=7");
        TlbModel c = TlbModel.create(other, manager);
        NDArray x = images(3, 5);
        float[] ya = a.forward(ps, x, false).toFloatArray();
        assertArrayEquals(ya, b.forward(ps, x, false).toFloatArray());
        assertFalse(java.util.Arrays.equals(ya, c.forward(ps, x, false).toFloatArray()));
    }

    @Test
    void evalModeIsDeterministicAndTrainingModeUsesDropout() {
        TlbModel model = TlbModel.create(RunConfig.defaults(), manager);
        NDArray x = images(2, 3);
        float[] first = model.forward(ps, x, false).toFloatArray();
        assertArrayEquals(first, model.forward(ps, x, false).toFloatArray());
        assertFalse(java.util.Arrays.equals(first, model.forward(ps, x, true).toFloatArray()));
    }

    @Test
    void dropoutKeepsOneMinusTheRateScaledAndRepeatsItsSeed() {
        Dropout dropout = new Dropout();
        NDArray ones = manager.ones(new Shape(200_000));
        dropout.reseed(3);
        float[] first = dropout.apply(ones, 0.2f, true).toFloatArray();
        int dropped = 0;
        for (float v : first) {
            if (v == 0) {
                dropped++;
            } else {
                assertEquals(1.25f, v, 1e-6f);
            }
        }
        assertEquals(0.2, dropped / 200_000.0, 0.005);
        dropout.reseed(3);
        assertArrayEquals(first, dropout.apply(ones, 0.2f, true).toFloatArray());
        assertFalse(java.util.Arrays.equals(first, dropout.apply(ones, 0.2f, true).toFloatArray()));
        assertSame(ones, dropout.apply(ones, 0.2f, false));
    }

    /**
     * The masks are those of {@code java.util.SplittableRandom(seed)}, two 24-bit draws from each
     * 64-bit one (the last half-draw of an odd length unused): runs keep the masks they had.
     */
    @Test
    void dropoutMasksFollowSplittableRandom() {
        Dropout dropout = new Dropout();
        dropout.reseed(42);
        float[] first = dropout.mask(new float[101], 101, 0.3f);
        float[] second = dropout.mask(new float[4], 4, 0.3f);
        java.util.SplittableRandom random = new java.util.SplittableRandom(42);
        assertArrayEquals(splittableMask(random, 101, 0.3f), first);
        assertArrayEquals(splittableMask(random, 4, 0.3f), second);
    }

    private static float[] splittableMask(java.util.SplittableRandom random, int n, float rate) {
        float[] mask = new float[n];
        int dropBelow = Math.round(rate * (1 << 24));
        for (int i = 0; i < n; i += 2) {
            long bits = random.nextLong();
            mask[i] = (int) (bits >>> 40) < dropBelow ? 0 : 1 / (1 - rate);
            if (i + 1 < n) {
                mask[i + 1] = (int) (bits & ((1L << 24) - 1)) < dropBelow ? 0 : 1 / (1 - rate);
            }
        }
        return mask;
    }

    @Test
    void everyParameterGetsAGradient() {
        TlbModel model = TlbModel.create(RunConfig.defaults(), manager);
        for (Pair<String, Parameter> p : model.getParameters()) {
            p.getValue().getArray().setRequiresGradient(true);
        }
        NDArray x = images(8, 2);
        NDArray labels = manager.create(new int[] {0, 1, 2, 3, 4, 5, 6, 7});
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray logits = model.forward(ps, x, true);
            NDArray loss = logits.logSoftmax(-1).mul(labels.oneHot(10)).sum().neg();
            gc.backward(loss);
        }
        for (Pair<String, Parameter> p : model.getParameters()) {
            float absSum = p.getValue().getArray().getGradient().abs().sum().getFloat();
            assertTrue(absSum > 0, "no gradient reaches " + p.getKey() + ": " + absSum);
        }
    }

    @Test
    void theSlowStateCarriesTheFirstChunkToTheOutput() {
        TlbModel model = TlbModel.create(RunConfig.defaults(), manager);
        NDArray x = images(1, 4);
        NDArray changed = x.duplicate();
        // The first chunk is the first 8 patches of the top row: rows 0-3, columns 0-31.
        changed.set(new ai.djl.ndarray.index.NDIndex(":, :, 0:4, 0:32"), 0.9f);
        float[] before = model.forward(ps, x, false).toFloatArray();
        float[] after = model.forward(ps, changed, false).toFloatArray();
        assertFalse(java.util.Arrays.equals(before, after));
    }

    @Test
    void attentionRecordingGivesOneMapPerChunk() {
        TlbModel model = TlbModel.create(RunConfig.defaults(), manager);
        List<NDArray> maps = new ArrayList<>();
        model.forward(ps, images(2, 6), false, maps);
        assertEquals(18, maps.size());
        assertEquals(new Shape(2, 1, 8, 8), maps.get(0).getShape());
    }

    /**
     * The conv stem's convolutions read no memory they did not write. oneDNN pads channel counts
     * off its block (here embed_dim/2 = 20 and embed_dim = 40) in copies it does not clear and sums
     * over the padding with zero weights, so memory that held a NaN gave NaN logits (forward, over
     * input channels) and NaN gradients (backward, over output channels) now and then. Freed heap
     * memory is filled with NaN before every pass here, with the allocator as training tunes it, so
     * such a read shows every time, not now and then.
     */
    @Test
    void convStemReadsNoUninitialisedMemory() {
        EngineTuning.tuneAllocator();
        RunConfig c = RunConfig.defaults().with("variant=paper", "stem=conv", "kernels=eager", "image_size=16",
                "patch_size=4", "chunk_size=4", "embed_dim=40", "key_dim=24", "num_layers=2", "r=2", "num_heads=2",
                "state_tokens=5", "learned_state=true", "mixed_precision=false", "ffn_drop=0", "attn_drop=0");
        float[] first = null;
        for (int m = 0; m < 40; m++) {
            try (NDManager local = NDManager.newBaseManager()) {
                Engine.getInstance().setRandomSeed(11);
                NDArray x = local.randomUniform(0, 1, new Shape(5, 3, 16, 16));
                TlbModel model = TlbModel.create(c, local);
                ParameterStore store = new ParameterStore(local, false);
                fillFreedMemoryWithNaN(local);
                float[] logits = model.forward(store, x, false).toFloatArray();
                for (float v : logits) {
                    assertTrue(Float.isFinite(v), "model " + m + ": logits " + java.util.Arrays.toString(logits));
                }
                if (first == null) {
                    first = logits;
                }
                assertArrayEquals(first, logits, "model " + m + " against model 0");
                if (m % 4 != 0) {
                    continue;
                }
                for (Pair<String, Parameter> p : model.getParameters()) {
                    p.getValue().getArray().setRequiresGradient(true);
                }
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray loss = model.forward(store, x, true).logSoftmax(-1).get(":, 0").sum().neg();
                    fillFreedMemoryWithNaN(local);
                    gc.backward(loss);
                }
                for (Pair<String, Parameter> p : model.getParameters()) {
                    for (float v : p.getValue().getArray().getGradient().toFloatArray()) {
                        assertTrue(Float.isFinite(v), "model " + m + ": gradient of " + p.getKey() + " " + v);
                    }
                }
            }
        }
    }

    /**
     * The conv stem against the same equations as plain loops, on a width off oneDNN's channel
     * block (20 stem channels, 40 embedding channels): where the engine's convolutions go wrong
     * (before their channels were padded: errors up to 0.8), this sees it, finite or not.
     */
    @Test
    void convStemMatchesPlainLoops() {
        RunConfig c = RunConfig.defaults().with("variant=paper", "stem=conv", "image_size=16", "patch_size=4",
                "chunk_size=4", "embed_dim=40", "key_dim=24", "mixed_precision=false");
        TlbModel model = TlbModel.create(c, manager);
        PatchEmbedding stem = (PatchEmbedding) model.getChildren().values().stream()
                .filter(b -> b instanceof PatchEmbedding).findFirst().orElseThrow();
        Engine.getInstance().setRandomSeed(5);
        int batch = 2;
        NDArray x = manager.randomUniform(0, 1, new Shape(batch, 3, 16, 16));
        float[] engine;
        EngineTuning.configureMatmuls(false); // float32, also where the precision probe rounds (AMX)
        try {
            engine = stem.forward(new Pass(model, ps, false, manager, 40), x).toFloatArray();
        } finally {
            EngineTuning.configureMatmuls(RunConfig.defaults().train().mixedPrecision());
        }
        java.util.function.Function<String, float[]> value = name -> stem.getParameters().stream()
                .filter(p -> p.getKey().endsWith(name)).findFirst().orElseThrow().getValue().getArray().toFloatArray();
        float[] h = relu(conv(x.toFloatArray(), batch, 3, 16, value.apply("stem_conv1_kernel"), value.apply("stem_conv1_bias"), 20, 3, 1, 1));
        h = relu(conv(h, batch, 20, 16, value.apply("stem_conv2_kernel"), value.apply("stem_conv2_bias"), 20, 3, 1, 1));
        float[] patches = conv(h, batch, 20, 16, value.apply("projection_kernel"), value.apply("projection_bias"), 40, 4, 4, 0);
        float[] position = value.apply("position_embedding");
        float[] gamma = value.apply("layernorm_gamma");
        float[] beta = value.apply("layernorm_beta");
        double worst = 0;
        for (int b = 0; b < batch; b++) {
            for (int t = 0; t < 16; t++) { // token t = patch row-major; channel d at patches[b][d][t]
                double mean = 0;
                double square = 0;
                float[] token = new float[40];
                for (int d = 0; d < 40; d++) {
                    token[d] = patches[(b * 40 + d) * 16 + t] + position[t * 40 + d];
                    mean += token[d] / 40.0;
                }
                for (int d = 0; d < 40; d++) {
                    square += (token[d] - mean) * (token[d] - mean) / 40.0;
                }
                for (int d = 0; d < 40; d++) {
                    double plain = (token[d] - mean) / Math.sqrt(square + Norm.EPSILON) * gamma[d] + beta[d];
                    worst = Math.max(worst, Math.abs(plain - engine[(b * 16 + t) * 40 + d]));
                }
            }
        }
        assertTrue(worst < 1e-4, "largest difference from the plain stem " + worst);
    }

    /** A square convolution of [batch, in, size, size] to [batch, out, size', size'], in double. */
    private static float[] conv(float[] x, int batch, int in, int size, float[] kernel, float[] bias, int out, int k,
            int stride, int pad) {
        int outSize = (size + 2 * pad - k) / stride + 1;
        float[] y = new float[batch * out * outSize * outSize];
        for (int b = 0; b < batch; b++) {
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < outSize; i++) {
                    for (int j = 0; j < outSize; j++) {
                        double sum = bias[o];
                        for (int c = 0; c < in; c++) {
                            for (int u = 0; u < k; u++) {
                                for (int v = 0; v < k; v++) {
                                    int r = i * stride + u - pad;
                                    int q = j * stride + v - pad;
                                    if (r >= 0 && r < size && q >= 0 && q < size) {
                                        sum += x[((b * in + c) * size + r) * size + q] * kernel[((o * in + c) * k + u) * k + v];
                                    }
                                }
                            }
                        }
                        y[((b * out + o) * outSize + i) * outSize + j] = (float) sum;
                    }
                }
            }
        }
        return y;
    }

    private static float[] relu(float[] x) {
        for (int i = 0; i < x.length; i++) {
            x[i] = Math.max(0, x[i]);
        }
        return x;
    }

    /** Allocates 16 MB of NaN on the native heap and frees it: what is allocated next may start out as NaN. */
    private static void fillFreedMemoryWithNaN(NDManager manager) {
        manager.full(new Shape(4 << 20), Float.NaN).close();
    }
}
