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
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tlbjava.config.RunConfig;

/**
 * The fused path (kernels=fused: the recurrent cell's forward and backward in Java kernels)
 * against the eager path on the same weights, inputs and dropout masks: logits within 1e-4,
 * and every parameter's gradient within 1e-4 of its largest entry, or of 1e-3 of the largest
 * gradient of all where that is larger: the key biases' gradients are zero but for rounding (a
 * shift of every key leaves the softmax unchanged), as {@code PlainPathTest} notes. Small networks whose widths (40, 24) and batch (5) are not multiples of any vector
 * width, so every kernel's tail runs, and one at the reference's widths (64), where the
 * four-vector paths run.
 */
class FusedPathTest {
    static final double LOGIT_TOLERANCE = 1e-4;
    static final double GRADIENT_TOLERANCE = 1e-4;
    static final double GRADIENT_FLOOR = 1e-3;

    private NDManager manager;
    private int engineThreads;

    /** One engine thread, as a training worker runs. */
    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        EngineTuning.configureMatmuls(false);
        engineThreads = EngineTuning.setThreads(1);
    }

    @AfterEach
    void close() {
        EngineTuning.setThreads(engineThreads);
        manager.close();
        EngineTuning.configureMatmuls(RunConfig.defaults().train().mixedPrecision());
    }

    private static RunConfig small(String... more) {
        return RunConfig.defaults().with("mixed_precision=false", "image_size=16", "patch_size=4", "chunk_size=4",
                "embed_dim=40", "key_dim=24", "num_layers=4", "r=2").with(more);
    }

    static List<RunConfig> variants() {
        return List.of(
                small(),
                small("ffn_drop=0", "attn_drop=0", "num_heads=2"),
                small("variant=paper", "stem=conv", "learned_state=true", "num_heads=2", "state_tokens=5"),
                small("variant=paper", "ffn_drop=0", "attn_drop=0", "readout=last_chunk"),
                // the reference widths: the kernels' four-vector paths (64 = 4 x 16 lanes)
                small("embed_dim=64", "key_dim=64"));
    }

    private NDArray images(int batch, int size) {
        Engine.getInstance().setRandomSeed(11);
        return manager.randomUniform(0, 1, new Shape(batch, 3, size, size));
    }

    @ParameterizedTest(name = "variant {0}")
    @ValueSource(ints = {0, 1, 2, 3, 4})
    void logitsMatchTheEagerPath(int variant) {
        RunConfig c = variants().get(variant);
        NDArray x = images(5, c.model().imageSize());
        float[] eager = logits(TlbModel.create(c.with("kernels=eager"), manager), x);
        float[] fused = logits(TlbModel.create(c.with("kernels=fused"), manager), x);
        assertTrue(Math.abs(eager[0]) > 1e-3, "logits are not trivially zero");
        double worst = largestDifference(eager, fused);
        assertTrue(worst <= LOGIT_TOLERANCE, "largest logit difference " + worst);
    }

    @ParameterizedTest(name = "variant {0}")
    @ValueSource(ints = {0, 1, 2, 3, 4})
    void gradientsMatchTheEagerPath(int variant) {
        RunConfig c = variants().get(variant);
        NDArray x = images(5, c.model().imageSize());
        List<Pair<String, float[]>> eager = gradients(TlbModel.create(c.with("kernels=eager"), manager), x);
        List<Pair<String, float[]>> fused = gradients(TlbModel.create(c.with("kernels=fused"), manager), x);
        String worst = worstGradient(eager, fused);
        assertNull(worst, worst);
    }

    /** A swapped weight (two rows of one feed-forward kernel) is caught by both comparisons. */
    @Test
    void aSwappedWeightIsCaught() {
        RunConfig c = variants().get(0).with("ffn_drop=0", "attn_drop=0");
        NDArray x = images(5, c.model().imageSize());
        TlbModel eagerModel = TlbModel.create(c.with("kernels=eager"), manager);
        TlbModel fusedModel = TlbModel.create(c.with("kernels=fused"), manager);
        NDArray kernel = fusedModel.getParameters().stream().filter(p -> p.getKey().contains("dense_expand_weight"))
                .findFirst().orElseThrow().getValue().getArray();
        float[] w = kernel.toFloatArray();
        int in = Math.toIntExact(kernel.getShape().get(1));
        for (int i = 0; i < in; i++) {
            float t = w[i];
            w[i] = w[in + i];
            w[in + i] = t;
        }
        kernel.set(w);
        assertTrue(largestDifference(logits(eagerModel, x), logits(fusedModel, x)) > LOGIT_TOLERANCE,
                "the swapped weight changes the logits");
        assertNotNull(worstGradient(gradients(eagerModel, x), gradients(fusedModel, x)), "the swapped weight changes gradients");
    }

    /** kernels=auto times both paths and takes the faster, saying so with the figures. */
    @Test
    void theProbeTakesTheFasterPath() {
        Kernels.Choice choice = Kernels.choose(variants().get(1).with("kernels=auto", "batch_size=16"));
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("^(fused|eager) \\(kernels=auto: a 16-image training pass on each of \\d+ workers took (\\d+) ms fused,"
                        + " (\\d+) ms eager")
                .matcher(choice.description());
        assertTrue(m.find(), choice.description());
        boolean fusedFaster = Integer.parseInt(m.group(2)) < Integer.parseInt(m.group(3));
        assertEquals(m.group(1).equals("fused"), choice.fused(), choice.description());
        if (Integer.parseInt(m.group(2)) != Integer.parseInt(m.group(3))) {
            assertEquals(fusedFaster, choice.fused(), choice.description());
        }
        String smaller = Kernels.choose(variants().get(1).with("kernels=auto", "batch_size=8")).description();
        assertTrue(smaller.contains("a 8-image training pass"), "probed again for another pass size: " + smaller);
    }

    private float[] logits(TlbModel model, NDArray x) {
        return model.forward(new ParameterStore(manager, false), x, false).toFloatArray();
    }

    /** Every parameter's gradient after one training pass with seeded dropout masks and a mean cross-entropy loss. */
    private List<Pair<String, float[]>> gradients(TlbModel model, NDArray x) {
        for (Pair<String, Parameter> p : model.getParameters()) {
            p.getValue().getArray().setRequiresGradient(true);
        }
        model.reseedDropout(3);
        NDArray labels = manager.create(new int[] {1, 4, 9, 0, 2});
        UnaryOperator<NDArray> loss = logits -> logits.logSoftmax(-1).mul(labels.oneHot(10)).sum().neg().div(5f);
        try (GradientCollector recording = Engine.getInstance().newGradientCollector()) {
            model.train(new ParameterStore(manager, false), x, loss);
        }
        List<Pair<String, float[]>> gradients = new ArrayList<>();
        for (Pair<String, Parameter> p : model.getParameters()) {
            gradients.add(new Pair<>(p.getKey(), p.getValue().getArray().getGradient().toFloatArray()));
        }
        return gradients;
    }

    /** The first parameter whose fused gradient is off, with its figures; null when all match. */
    private static String worstGradient(List<Pair<String, float[]>> eager, List<Pair<String, float[]>> fused) {
        double largest = 0;
        for (Pair<String, float[]> g : eager) {
            for (float v : g.getValue()) {
                largest = Math.max(largest, Math.abs(v));
            }
        }
        assertTrue(largest > 1e-3, "gradients are not trivially zero: " + largest + " " + eager.get(eager.size() - 1).getKey() + java.util.Arrays.toString(eager.get(eager.size() - 1).getValue()));
        for (int i = 0; i < eager.size(); i++) {
            float[] a = eager.get(i).getValue();
            double scale = GRADIENT_FLOOR * largest;
            for (float v : a) {
                scale = Math.max(scale, Math.abs(v));
            }
            double worst = largestDifference(a, fused.get(i).getValue());
            if (!(worst <= GRADIENT_TOLERANCE * scale)) {
                return eager.get(i).getKey() + ": largest difference " + worst + " against largest gradient " + scale;
            }
        }
        return null;
    }

    private static double largestDifference(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }
}
